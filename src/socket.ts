/**
 * `Socket`: one TCP or Unix-domain stream connection, the public class. Its reads are
 * inherited from `SocketReads` (`socket-reads.ts`: the read-queue forms and the encoding)
 * and `SocketMessages` (`socket-messages.ts`: the message-rate forms); this file holds the
 * rest: writes, STARTTLS, closing, `info()`. Every method delegates to the module that owns
 * the job: the lifecycle (`lifecycle.ts`), the transport and its listeners
 * (`transport.ts`), the write queue (`writer.ts`), STARTTLS (`starttls.ts`). See
 * `src/README.md` for the map and DESIGN.md for the semantics.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { checkInteger, checkOptions, describeType, notFunction } from "./arguments.js";
import { encodeFrame, type FrameOptions } from "./codec/frame.js";
import { SocketError } from "./errors.js";
import { Lifecycle } from "./lifecycle.js";
import { type LookupNamesOptions, lookupNames, type SocketNames } from "./lookup-names.js";
import {
  checkOptionNames,
  LENGTH_PREFIX,
  STARTTLS_SIDE,
  TLS_CLIENT,
  TLS_SERVER,
  VARINT_FRAME,
} from "./options.js";
import type { ProxyInfo } from "./proxy-protocol/types.js";
import {
  type ProgressTarget,
  type SendComplete,
  type SendFromOptions,
  type SendSource,
  sendFileWithProgress,
  sendWithProgress,
} from "./send-progress.js";
import type { CloseInfo } from "./socket-events.js";
import { readInfo, type SocketInfo, socketIdOf } from "./socket-info.js";
import { SocketMessages } from "./socket-messages.js";
import { mergeFrameOptions, type SocketInit } from "./socket-options.js";
import { bindReads, encodeForWrite, frameDefaults } from "./socket-reads.js";
import { type StartTlsOptions, upgradeToTls } from "./starttls.js";
import { setIdleTimer } from "./transport.js";
import { toReadableStream, toWritableStream } from "./web-streams.js";
import { describePeer, type SendOptions, type WriteCallback } from "./writer.js";

/**
 * @internal How `connect()` through a proxy hands the socket its transport once the tunnel
 * is up (a socket made with `tunnel: true`). Returns false when the socket no longer wants
 * it (destroyed meanwhile): the caller then destroys the transport.
 */
export const attachTunnel: unique symbol = Symbol("sockit.attachTunnel");

export type { LinesOptions } from "./iterate.js";
export type { SendComplete, SendFromOptions, SendProgress, SendSource } from "./send-progress.js";
export type { CloseInfo, SocketEvents } from "./socket-events.js";
export type { SocketInfo } from "./socket-info.js";
export type { SocketOptions } from "./socket-options.js";
export type { StartTlsOptions } from "./starttls.js";
export type { TextOptions } from "./text.js";
export type { SendOptions, WriteCallback } from "./writer.js";

/**
 * A TCP or Unix-domain stream socket with a FIFO read queue and a write queue.
 *
 * Made by {@link connect} or handed out by a `Server`; not constructed directly.
 * Every read and write settles exactly once. Errors reject what is pending, resolve
 * `closed`, and reach `'error'` only when a listener is attached.
 *
 * @example
 * ```ts
 * const socket = connect("127.0.0.1:6379");
 * socket.write("PING\r\n");
 * const reply = await socket.readLine(); // <Buffer "+PONG">
 * await socket.close();
 * ```
 */
export class Socket<Tag = unknown, Data = unknown> extends SocketMessages<Tag> {
  /** The connection number a server gave this socket (1, 2, …), or undefined for a client. */
  readonly id: number | undefined;
  /**
   * The application's own data for this socket (hs.socket `userData`), typed by `Data`:
   * `connect(target, { data })` sets it for a client, `listen(…, { data: (socket) => … })`
   * for each accepted socket before the handler sees it; `undefined` when neither gave one.
   * sockit never reads it. Settable at any time; it stays after close.
   * @example
   * ```ts
   * const server = await listen(0, { data: () => ({ lines: 0 }) }, async (socket) => {
   *   for await (const _ of socket.lines()) socket.data.lines++; // typed { lines: number }
   * });
   * ```
   */
  data: Data = undefined as Data;
  /** The LiveCode connection name from `"host:port|name"`, when given. */
  readonly name: string | undefined;
  readonly #life: Lifecycle<Tag>;
  /** The PROXY header the connection came with (a `proxyProtocol` server's sockets). */
  readonly #proxy: ProxyInfo | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** @internal Use {@link connect}, or take sockets from a `Server`. */
  constructor(ns: NetSocket, init: SocketInit) {
    super();
    this.id = init.id;
    this.name = init.target?.name;
    this.#proxy = init.proxy;
    this.#life = new Lifecycle<Tag>(this, ns, init);
    this[bindReads](this.#life, init.options);
    this.#life.built();
  }

  /**
   * Resolves with the socket's info once connected; rejects with the connect error. When
   * nothing waited for the connect (a socket a server accepted, say), the info is taken when
   * `opened` is first read, with `connected: true` as at the connect.
   */
  get opened(): Promise<SocketInfo> {
    return this.#life.opened();
  }

  /** Resolves (never rejects) once the socket is closed. */
  get closed(): Promise<CloseInfo> {
    return this.#life.closed();
  }

  /** @internal See {@link attachTunnel}. The transport tells TLS from plain: `secure` is unused. */
  [attachTunnel](ns: NetSocket, _secure?: boolean): boolean {
    return this.#life.attachTunnel(ns);
  }

  /** @internal How the write queue names the peer in its errors. */
  [describePeer](): string {
    return this.#life.describePeer();
  }

  /**
   * The LiveCode socket ID (`the openSockets`, `close socket`): `"host:port"` as connected
   * to, `"host:port|name"` with a connection name, and for a connection a server accepted,
   * the peer's `"host:port|N"` where N is the server's accept number. Found again with
   * {@link findSocket} while the socket is open.
   * @example
   * ```ts
   * connect("127.0.0.1:8080|control").socketId; // "127.0.0.1:8080|control"
   * ```
   */
  get socketId(): string {
    return socketIdOf(this.#life.target, this.info(), this.id);
  }

  /** Whether a connect is in progress (Tcl `-connecting`). */
  get connecting(): boolean {
    return this.#life.state === "connecting";
  }

  /** Whether the socket is connected and not closing (hs.socket `connected`, Xojo `IsConnected`). */
  get connected(): boolean {
    return this.#life.state === "open";
  }

  /** Writes `payload` with a length prefix (the socket's `frame` option, overridden by `options`). */
  writeFrame(
    payload: string | Uint8Array,
    options?: FrameOptions,
    tag?: Tag,
    onWritten?: WriteCallback<Tag>,
  ): boolean {
    checkOptionNames("writeFrame()", options, LENGTH_PREFIX, VARINT_FRAME);
    const codec = mergeFrameOptions(this[frameDefaults], options ?? {});
    return this.write(encodeFrame(this[encodeForWrite](payload), codec), tag, onWritten);
  }

  /**
   * The socket's bytes as a WHATWG `ReadableStream` (WinterTC sockets shape), created on
   * first use; it reads through the same queue, with backpressure.
   */
  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= toReadableStream(this);
    return this.#readable;
  }

  /** A WHATWG `WritableStream` to the peer (WinterTC sockets shape); `close()` half-closes. */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= toWritableStream(this);
    return this.#writable;
  }

  // ---- writing (writer.ts) ----

  /**
   * Queues bytes (text in the socket's `encoding`, UTF-8 by default) for the peer, also while
   * connecting (sent once connected, as all four seeds do). `'written'` fires with `tag` once they reach the kernel, and
   * `onWritten(error, tag)` is called exactly once either way. Returns false when the queue
   * is above the write high-water mark: wait for `'drain'`, or use {@link send}.
   * @throws SocketError `ERR_SOCKET_CLOSED` after `close()`, `end()` or `destroy()`;
   * `ERR_WRITE_BUFFER_FULL` over `maxWriteBuffer` (nothing queued, the socket stays usable).
   */
  write(data: string | Uint8Array, tag?: Tag, onWritten?: WriteCallback<Tag>): boolean {
    if (onWritten !== undefined && typeof onWritten !== "function")
      throw notFunction("write()'s onWritten", onWritten);
    this.#life.checkWritable();
    return this.#life.writer.write(this[encodeForWrite](data), tag, onWritten);
  }

  /**
   * Writes bytes and resolves once they reach the kernel, so awaiting it waits for room.
   * @throws (rejects) `ERR_SOCKET_CLOSED`, `ERR_WRITE_TIMEOUT` (the bytes stay queued),
   * `ERR_ABORTED`, or the socket's error.
   */
  send(data: string | Uint8Array, options?: SendOptions): Promise<void> {
    try {
      this.#life.checkWritable();
      return this.#life.writer.send(
        this[encodeForWrite](data),
        checkOptions("options", options, {}),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends a large source chunk by chunk with progress (Xojo `SendProgress`): each chunk is
   * awaited until the kernel took it, then `'progress'` reports `{ bytesSent, bytesTotal }`;
   * `'sendComplete'` reports the end (Xojo `SendComplete(userAborted)`). Aborting `signal`
   * stops it and resolves with `userAborted: true`. A buffer or text is sent in 64 KiB
   * slices; an iterable (a Node `Readable`) chunk by chunk.
   * @throws (rejects) `ERR_SOCKET_CLOSED`, the socket's error, or the source's, with no
   * `'sendComplete'`.
   * @example
   * ```ts
   * socket.on("progress", ({ bytesSent, bytesTotal }) => console.log(bytesSent, bytesTotal));
   * const { userAborted } = await socket.sendFrom(bigBuffer, { signal: AbortSignal.timeout(60_000) });
   * ```
   */
  sendFrom(source: SendSource, options?: SendFromOptions): Promise<SendComplete> {
    const bytes = typeof source === "string" ? this[encodeForWrite](source) : source;
    return sendWithProgress(this.#progressTarget(), bytes, options);
  }

  /**
   * Sends a file's bytes as {@link sendFrom} does, with its size as `bytesTotal`.
   * @throws (rejects) the file's error (`ENOENT`, `EISDIR`, `EACCES`; `address` is the path)
   * before anything is sent, or the socket's error.
   */
  sendFile(path: string, options?: SendFromOptions): Promise<SendComplete> {
    if (typeof path !== "string") {
      const message = `path must be a string, got ${describeType(path)}`;
      return Promise.reject(new SocketError("ERR_INVALID_ARGUMENT", message));
    }
    return sendFileWithProgress(this.#progressTarget(), path, options);
  }

  #progressTarget(): ProgressTarget {
    return {
      send: (data, options) => this.send(data, options),
      progress: (progress) => this.emit("progress", progress),
      complete: (result) => this.emit("sendComplete", result),
    };
  }

  // ---- TLS (starttls.ts) ----

  /**
   * Upgrades the connection to TLS in place (STARTTLS: SMTP, IMAP, PostgreSQL's SSLRequest;
   * hs.socket `startTLS`). Call it once the plaintext exchange that announces TLS is done.
   * Plaintext writes already queued reach the peer first; bytes already received and not
   * read (a ClientHello that came with the command) go to the handshake, not to a read.
   * Reads and writes made from this call on wait for the handshake, then go through TLS,
   * also on a socket still connecting: nothing written after the call leaves in clear text. As a
   * client, the host name checked is the one connected to, unless `verifyHost` says another.
   * Resolves with `info()` (`secure`, `tls`).
   * @throws (rejects) `ERR_TLS_CERT` (with `reason`), `ERR_TLS_HANDSHAKE`,
   * `ERR_TLS_HANDSHAKE_TIMEOUT` (the socket is destroyed), `ERR_INVALID_STATE` (already
   * secure or upgrading), `ERR_SOCKET_CLOSED`, `ERR_INVALID_ARGUMENT` (a server side without
   * `cert` and `key`).
   * @example
   * ```ts
   * await socket.send("STARTTLS\r\n");
   * await socket.readLine(); // <Buffer "220 Ready to start TLS">
   * await socket.startTLS(); // verified against the host connected to
   * ```
   */
  async startTLS(options?: StartTlsOptions): Promise<SocketInfo> {
    const checked = checkOptions("options", options, {});
    checkOptionNames("startTLS()", checked, TLS_CLIENT, TLS_SERVER, STARTTLS_SIDE);
    await upgradeToTls(this.#life, checked, this.id === undefined ? "client" : "server");
    return this.info();
  }

  // ---- closing (lifecycle.ts) ----

  /**
   * Half-close: flushes queued writes, then sends FIN. Reading goes on until the peer closes.
   * Resolves once the FIN is sent. Idempotent.
   */
  end(): Promise<void> {
    return this.#life.end();
  }

  /**
   * Graceful close: flushes queued writes, sends FIN, waits up to `closeTimeout` ms for the
   * peer to close, then destroys. Resolves like `closed`. Idempotent. The socket keeps its
   * addresses and its unread receive buffer (Xojo `Close`).
   */
  close(): Promise<CloseInfo> {
    return this.#life.close();
  }

  /**
   * Immediate close: queued reads and writes fail (with `error`, or `ERR_SOCKET_CLOSED`) and
   * the connection is dropped. Bytes already buffered stay readable. Idempotent.
   */
  destroy(error?: SocketError): Promise<CloseInfo> {
    return this.#life.destroy(error);
  }

  /**
   * Abortive close: a TCP RST (`SO_LINGER` 0) instead of a FIN, so bytes still queued in the
   * kernel are dropped rather than sent, and the peer's next read fails with `ECONNRESET`
   * (Linux reports it as a plain end of stream when the peer still had unread bytes).
   * Otherwise as {@link destroy} (reads fail with `ERR_SOCKET_CLOSED`, buffered bytes stay
   * readable).
   * On a TLS or Unix-domain socket, which Node cannot reset, on one still connecting, and
   * right after `end()` or `close()` (the FIN already on its way), it is `destroy()`. Idempotent.
   */
  reset(): Promise<CloseInfo> {
    return this.#life.reset();
  }

  /**
   * Changes the idle timeout of a live socket (hs.socket `setTimeout`, LiveCode
   * `socketTimeout`): `'timeout'` after `ms` milliseconds without a byte either way; `0`
   * stops the timer. The socket stays open: the listener decides. Returns the socket.
   * @throws SocketError `ERR_INVALID_ARGUMENT` for a value that is not an integer from 0 to
   * 2,147,483,647.
   * @example
   * ```ts
   * socket.setIdleTimeout(30_000).on("timeout", () => void socket.close());
   * ```
   */
  setIdleTimeout(ms: number): this {
    setIdleTimer(this.#life.ns, checkInteger("idleTimeout", ms, 0, 2 ** 31 - 1));
    return this;
  }

  /** The idle timeout in force, in milliseconds (`0`: none): the option, the default or the last `setIdleTimeout()`. */
  get idleTimeout(): number {
    return this.#life.ns.timeout ?? 0;
  }

  /**
   * Both ends with their host names (Tcl `-sockname` / `-peername`: address, host name,
   * port), by reverse lookup (`getnameinfo`: `/etc/hosts`, then DNS); a name falls back to
   * the address when there is none, the lookup fails or takes over `timeout` ms (default
   * 5000). Opt-in: `info()` makes no lookups. Works after close (the addresses are kept).
   * @throws (rejects) `ERR_INVALID_STATE` for a Unix-domain socket or one not connected
   * yet; `ERR_INVALID_ARGUMENT` for bad options.
   * @example
   * ```ts
   * const { local, remote } = await socket.lookupNames();
   * console.log(remote.host, remote.address, remote.port); // "localhost" "127.0.0.1" 7
   * ```
   */
  lookupNames(options?: LookupNamesOptions): Promise<SocketNames> {
    return lookupNames(this.info(), options);
  }

  /** `await using socket = connect(…)`: a graceful {@link close} when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Lets the process exit while this socket is open (Node's `unref()`). Returns the socket. */
  unref(): this {
    this.#life.ns.unref();
    this.#life.reconnect?.setRef(false);
    return this;
  }

  /** Undoes {@link unref}: the open socket keeps the process alive. Returns the socket. */
  ref(): this {
    this.#life.ns.ref();
    this.#life.reconnect?.setRef(true);
    return this;
  }

  /** Addresses, ports and state (hs.socket `info`); addresses stay readable after close. */
  info(): SocketInfo {
    return readInfo(this.#life, this.id, this.name, this.#proxy);
  }
}
