/**
 * Socket options: their types, defaults and checks, shared by `connect()` and `listen()` so
 * that a bad option is refused before any I/O; and `SocketInit`, how a socket is made.
 *
 * @module
 */

import type { Endpoint } from "./address.js";
import { checkInteger, MAX_TIMER } from "./arguments.js";
import { type FrameOptions, frameDecoder } from "./codec/frame.js";
import { getDefaults } from "./defaults.js";
import { SocketError } from "./errors.js";
import type { ProxyInfo } from "./proxy-protocol/types.js";
import type { ReconnectInit } from "./reconnect.js";
import { checkSocketEncoding, type SocketEncoding } from "./text.js";

/** Options shared by client and accepted sockets. */
export interface SocketOptions {
  /**
   * The socket's length-prefix codec, used by `readFrame()`, `writeFrame()`, `frames()` and
   * a server's `broadcastFrame()` unless they are given options of their own.
   * @default a 4-byte big-endian length, payloads up to 8 MiB
   */
  frame?: FrameOptions;
  /**
   * Idle time in milliseconds after which `'timeout'` is emitted (LiveCode `socketTimeout`,
   * hs.socket `setTimeout`). The socket stays open: the listener decides. `0`: none. On
   * `listen()` the server also drops an idle connection nobody listens to (`ListenOptions`).
   * @default 0
   */
  idleTimeout?: number;
  /**
   * The former name of {@link idleTimeout}, kept for one release: it warns once per process
   * (`SOCKIT_DEP_TIMEOUT`). Giving both is refused with `ERR_INVALID_ARGUMENT`. In sockit,
   * `timeout` means one call's deadline (a read's, a send's).
   * @deprecated Use `idleTimeout`.
   */
  timeout?: number;
  /**
   * Keep the write side open after the peer's FIN (half-close, as Node's `allowHalfOpen`).
   * When false, the socket ends once queued writes are flushed.
   * @default false
   */
  allowHalfOpen?: boolean;
  /** Disable Nagle's algorithm (`TCP_NODELAY`): small writes go out at once. @default true */
  noDelay?: boolean;
  /** TCP keep-alive: `true`, or the idle delay in milliseconds before the first probe. @default false */
  keepAlive?: boolean | number;
  /**
   * Bytes buffered with no read waiting before sockit stops reading from the kernel
   * (backpressure); reading resumes when a read is queued or the buffer drains.
   * @default 1048576 (1 MiB)
   */
  readHighWaterMark?: number;
  /** Bytes queued for the kernel above which `write()` returns false. @default 65536 (64 KiB) */
  writeHighWaterMark?: number;
  /**
   * Bytes queued for the peer (in sockit and Node, not yet taken by the kernel) beyond which
   * `write()` is refused with `ERR_WRITE_BUFFER_FULL` instead of growing without bound: a
   * peer that stops reading cannot make the process run out of memory. Nothing of the refused
   * write is queued and the socket stays usable; `send()` waits for room instead. A write
   * into an empty queue is always taken, whatever its size. `0`: no limit (as asyncio and
   * Netty, which only signal the high-water mark).
   * @default 0 (no limit)
   */
  maxWriteBuffer?: number;
  /** Milliseconds `close()` waits for the peer to close after our FIN before destroying. @default 5000 */
  closeTimeout?: number;
  /**
   * The socket's text encoding, both ways (Tcl `fconfigure -encoding iso8859-1`): strings
   * given to `write()`, `send()`, `writeFrame()`, `sendFrom()` and a server's `write()` /
   * `broadcast()` are encoded with it (a character it cannot represent becomes `?`, see
   * `encodeText`), and the reads that give text by default (`lines()`, `lineBatches()`,
   * `onLine()`) decode with it unless given their own `encoding`. Reads that resolve with
   * bytes stay bytes (binary by default): ask `readLine({ encoding: socket.encoding })`.
   * Bytes written as a `Uint8Array` are never touched. `socket.setEncoding()` changes it.
   * @default "utf8"
   */
  encoding?: SocketEncoding;
}

/** Socket options with defaults applied, checked. */
export interface ResolvedSocketOptions {
  frame: FrameOptions | undefined;
  idleTimeout: number;
  noDelay: boolean;
  keepAlive: number | false;
  readHighWaterMark: number;
  writeHighWaterMark: number;
  /** Infinity when there is no limit. */
  maxWriteBuffer: number;
  closeTimeout: number;
  /** The socket's text encoding; undefined for UTF-8. */
  encoding: SocketEncoding | undefined;
}

/**
 * Checks socket options and applies their defaults.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for a value out of range.
 */
export function resolveSocketOptions(options: SocketOptions): ResolvedSocketOptions {
  const keepAlive = options.keepAlive ?? false;
  const defaults = getDefaults(); // setDefaults(): the process-wide values an option overrides
  if (options.frame !== undefined) frameDecoder(options.frame); // refuses bad codec options now
  return {
    frame: options.frame,
    idleTimeout: idleTimeout(options, defaults.idleTimeout),
    noDelay: options.noDelay ?? true,
    keepAlive:
      keepAlive === false
        ? false
        : checkInteger("keepAlive", keepAlive === true ? 0 : keepAlive, 0, MAX_TIMER),
    readHighWaterMark: checkInteger(
      "readHighWaterMark",
      options.readHighWaterMark ?? defaults.readHighWaterMark,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    writeHighWaterMark: checkInteger(
      "writeHighWaterMark",
      options.writeHighWaterMark ?? 64 * 1024,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    maxWriteBuffer:
      checkInteger("maxWriteBuffer", options.maxWriteBuffer ?? 0, 0, Number.MAX_SAFE_INTEGER) ||
      Number.POSITIVE_INFINITY,
    closeTimeout: checkInteger(
      "closeTimeout",
      options.closeTimeout ?? defaults.closeTimeout,
      0,
      MAX_TIMER,
    ),
    encoding: options.encoding === undefined ? undefined : checkSocketEncoding(options.encoding),
  };
}

let warnedTimeout = false;

/** `idleTimeout`, or its deprecated alias `timeout` (which warns once per process). */
function idleTimeout(options: SocketOptions, fallback: number): number {
  if (options.timeout === undefined)
    return checkInteger("idleTimeout", options.idleTimeout ?? fallback, 0, MAX_TIMER);
  if (options.idleTimeout !== undefined) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      "give idleTimeout or its deprecated alias timeout, not both",
    );
  }
  if (!warnedTimeout) {
    warnedTimeout = true;
    process.emitWarning("the socket option `timeout` is deprecated: use `idleTimeout`", {
      type: "DeprecationWarning",
      code: "SOCKIT_DEP_TIMEOUT",
    });
  }
  return checkInteger("timeout", options.timeout, 0, MAX_TIMER);
}

/**
 * The frame codec for one call: the socket's (or server's) `frame` option with the call's
 * own fields on top; undefined means the codec's defaults.
 */
export function mergeFrameOptions(
  base: FrameOptions | undefined,
  override: object,
): FrameOptions | undefined {
  if (Object.keys(override).length === 0) return base;
  return { ...base, ...override } as FrameOptions;
}

/** How a socket is made: by `connect()` (a target) or by a server (an id, a path). */
export interface SocketInit {
  target?: Endpoint;
  id?: number;
  path?: string;
  /** Checked once by `connect()` or the server, not per socket. */
  options: ResolvedSocketOptions;
  /**
   * `ns` is a placeholder: the real transport comes through `Lifecycle.attachTunnel`
   * (a proxy tunnel); reads and writes wait for it as for a connect.
   */
  tunnel?: boolean;
  /** The PROXY header read before the socket was handed over (a `proxyProtocol` server). */
  proxy?: ProxyInfo;
  /** A reconnecting client (`ns` is a placeholder, as for `tunnel`): how to reconnect. */
  reconnect?: ReconnectInit;
}
