/**
 * Socket options: their types, defaults and checks, shared by `connect()` and `listen()` so
 * that a bad option is refused before any I/O.
 *
 * @module
 */
import { type FrameOptions, frameDecoder } from "./codec/frame.js";
import { checkInteger } from "./errors.js";
import { DEFAULT_READ_HIGH_WATER_MARK } from "./reader.js";

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
   * hs.socket `setTimeout`). The socket stays open: the listener decides. `0`: none.
   * @default 0
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
}

/** Socket options with defaults applied, checked. */
export interface ResolvedSocketOptions {
  frame: FrameOptions | undefined;
  timeout: number;
  noDelay: boolean;
  keepAlive: number | false;
  readHighWaterMark: number;
  writeHighWaterMark: number;
  /** Infinity when there is no limit. */
  maxWriteBuffer: number;
  closeTimeout: number;
}

const MAX_TIMER = 2 ** 31 - 1;

/**
 * Checks socket options and applies their defaults.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for a value out of range.
 */
export function resolveSocketOptions(options: SocketOptions): ResolvedSocketOptions {
  const keepAlive = options.keepAlive ?? false;
  if (options.frame !== undefined) frameDecoder(options.frame); // refuses bad codec options now
  return {
    frame: options.frame,
    timeout: checkInteger("timeout", options.timeout ?? 0, 0, MAX_TIMER),
    noDelay: options.noDelay ?? true,
    keepAlive:
      keepAlive === false
        ? false
        : checkInteger("keepAlive", keepAlive === true ? 0 : keepAlive, 0, MAX_TIMER),
    readHighWaterMark: checkInteger(
      "readHighWaterMark",
      options.readHighWaterMark ?? DEFAULT_READ_HIGH_WATER_MARK,
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
    closeTimeout: checkInteger("closeTimeout", options.closeTimeout ?? 5000, 0, MAX_TIMER),
  };
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
