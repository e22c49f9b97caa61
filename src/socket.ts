/**
 * `Socket`: one TCP or Unix-domain stream connection. Lifecycle, the read queue, the write
 * queue and information. See DESIGN.md for the semantics; each seed is cited where it
 * decides a behaviour.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import type { Socket as NetSocket } from "node:net";
import { TLSSocket } from "node:tls";
import { type Endpoint, formatAddress, formatEndpoint } from "./address.js";
import { checkData, checkOptions, describeType } from "./arguments.js";
import { availableDecoder, bytesDecoder, chunkDecoder } from "./codec/bytes.js";
import {
  type Decoder,
  type Delimiter,
  DelimiterDecoder,
  type DelimiterOptions,
} from "./codec/delimiter.js";
import { encodeFrame, type FrameOptions, frameDecoder } from "./codec/frame.js";
import { LineDecoder, type LineOptions } from "./codec/line.js";
import { checkInteger, SocketError, toSocketError } from "./errors.js";
import {
  type IterateOptions,
  iterateFrames,
  iterateLengthFrames,
  iterateLines,
  type LinesOptions,
} from "./iterate.js";
import type { ProxyInfo } from "./proxy-protocol/types.js";
import {
  checkReadOptions,
  Reader,
  type ReadOptions,
  type ReadSettle,
  readsDone,
} from "./reader.js";
import {
  type ProgressTarget,
  type SendComplete,
  type SendFromOptions,
  type SendSource,
  sendFileWithProgress,
  sendWithProgress,
} from "./send-progress.js";
import type { CloseInfo, SocketEvents } from "./socket-events.js";
import {
  type AddressSnapshot,
  emptySnapshot,
  proxiedAddresses,
  type SocketInfo,
  snapshotAddresses,
} from "./socket-info.js";
import { mergeFrameOptions, type ResolvedSocketOptions } from "./socket-options.js";
import { awaitHandshake, type StartTlsOptions, tlsWrapper } from "./starttls.js";
import { decodeText, type TextOptions } from "./text.js";
import { DEFAULT_HANDSHAKE_TIMEOUT, type TlsInfo, tlsInfo, toTlsError } from "./tls.js";
import { toReadableStream, toWritableStream } from "./web-streams.js";
import { describePeer, type SendOptions, type WriteCallback, WriteQueue } from "./writer.js";

export type { LinesOptions } from "./iterate.js";
export type { SendComplete, SendFromOptions, SendProgress, SendSource } from "./send-progress.js";
export type { CloseInfo, SocketEvents } from "./socket-events.js";
export type { SocketInfo } from "./socket-info.js";
export type { SocketOptions } from "./socket-options.js";
export type { StartTlsOptions } from "./starttls.js";
export type { TextOptions } from "./text.js";
export type { SendOptions, WriteCallback } from "./writer.js";

type State = "connecting" | "open" | "closing" | "closed";

/** A listener of the transport's events; Node calls it with the transport as `this`. */
// biome-ignore lint/suspicious/noExplicitAny: Node's listener type is (...args: any[]) => void
type TransportListener = (this: NetSocket, ...args: any[]) => void;

/**
 * @internal How `connect()` through a proxy hands the socket its transport once the tunnel
 * is up (see {@link Socket}'s `tunnel` init). Returns false when the socket no longer wants
 * it (destroyed meanwhile): the caller then destroys the transport.
 */
export const attachTunnel: unique symbol = Symbol("sockit.attachTunnel");

/** `#openedOutcome` of a socket that connected while nothing waited for its info. */
const CONNECTED = Symbol("connected");

/**
 * Milliseconds a destroyed transport has to emit `'close'` before the socket closes without
 * it. Node normally emits it within a tick; the bound is for the paths where it never does.
 */
const CLOSE_FALLBACK = 1000;

/** A promise with its settle functions, made when a promise is first asked for. */
class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: SocketError) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

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
export class Socket<Tag = unknown> extends EventEmitter<SocketEvents<Tag>> {
  /** The connection number a server gave this socket (1, 2, …), or undefined for a client. */
  readonly id: number | undefined;
  /** The LiveCode connection name from `"host:port|name"`, when given. */
  readonly name: string | undefined;
  /**
   * Resolves with the socket's info once connected; rejects with the connect error. When
   * nothing waited for the connect (a socket a server accepted, say), the info is taken when
   * `opened` is first read, with `connected: true` as at the connect.
   */
  get opened(): Promise<SocketInfo> {
    // Made on first use: most accepted sockets never ask, and a server holds thousands.
    if (this.#opened === undefined) {
      const outcome = this.#openedOutcome;
      this.#opened = new Deferred<SocketInfo>();
      this.#opened.promise.catch(() => {}); // a failed connect nobody awaits must not crash
      if (outcome instanceof SocketError) this.#opened.reject(outcome);
      else if (outcome === CONNECTED)
        this.#opened.resolve({ ...this.info(), connected: true, connecting: false });
      else if (outcome !== undefined) this.#opened.resolve(outcome);
    }
    return this.#opened.promise;
  }

  /** Resolves (never rejects) once the socket is closed. */
  get closed(): Promise<CloseInfo> {
    if (this.#closed === undefined) {
      this.#closed = new Deferred<CloseInfo>();
      if (this.#closeInfo !== undefined) this.#closed.resolve(this.#closeInfo);
    }
    return this.#closed.promise;
  }

  /** The transport: a `net.Socket`, or the `TLSSocket` that `startTLS()` put in its place. */
  #ns: NetSocket;
  #secure: boolean;
  #upgrading = false;
  /** What the TLS handshake established, once it has. */
  #tls: TlsInfo | undefined;
  readonly #reader: Reader;
  readonly #writer: WriteQueue<Tag>;
  readonly #target: Endpoint | undefined;
  readonly #closeTimeout: number;
  readonly #frame: FrameOptions | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  #state: State;
  #error: SocketError | undefined;
  #addresses: AddressSnapshot;
  /** How the connect ended, once it has: the info, or the error (`opened` settles with it). */
  #openedOutcome: SocketInfo | SocketError | typeof CONNECTED | undefined;
  #opened: Deferred<SocketInfo> | undefined;
  /** How the socket ended, once it has (`closed` resolves with it). */
  #closeInfo: CloseInfo | undefined;
  #closed: Deferred<CloseInfo> | undefined;
  /** Whether the owner called `destroy()`: later reads fail with `ERR_SOCKET_CLOSED`. */
  #destroyed = false;
  /** The PROXY header the connection came with (a `proxyProtocol` server's sockets). */
  readonly #proxy: ProxyInfo | undefined;
  /** Closes the socket should the transport never emit `'close'` (see `#boundClose`). */
  #closeFallback: NodeJS.Timeout | undefined;

  /** @internal Use {@link connect}, or take sockets from a `Server`. */
  constructor(
    ns: NetSocket,
    init: {
      target?: Endpoint;
      id?: number;
      path?: string;
      /** Checked once by `connect()` or the server, not per socket. */
      options: ResolvedSocketOptions;
      /** A TLS socket: `opened` waits for the handshake when it is still connecting. */
      secure?: boolean;
      /**
       * `ns` is a placeholder: the real transport comes through {@link attachTunnel} (a
       * proxy tunnel); reads and writes wait for it as for a connect.
       */
      tunnel?: boolean;
      /** The PROXY header read before the socket was handed over. */
      proxy?: ProxyInfo;
    },
  ) {
    super();
    const { options } = init;
    this.#ns = ns;
    this.#secure = init.secure ?? false;
    this.#target = init.target;
    this.#proxy = init.proxy;
    this.id = init.id;
    this.name = init.target?.name;
    const path = init.target?.kind === "unix" ? init.target.path : init.path;
    this.#addresses = emptySnapshot(path);
    this.#closeTimeout = options.closeTimeout;
    this.#frame = options.frame;
    this.#reader = new Reader(ns, options.readHighWaterMark);
    this.#writer = new WriteQueue<Tag>(
      ns,
      options.writeHighWaterMark,
      this,
      options.maxWriteBuffer,
    );
    this.#state = ns.connecting || ns.pending ? "connecting" : "open";
    this.#configure(options);
    this.#attach(ns);
    if (init.tunnel === true) {
      this.#reader.hold();
      this.#writer.hold();
    }
    if (this.#state === "connecting") {
      ns.once(this.#secure ? "secureConnect" : "connect", Socket.#onTransportConnect);
    } else this.#onConnect();
  }

  #configure(options: ResolvedSocketOptions): void {
    if (options.timeout > 0) this.#ns.setTimeout(options.timeout);
    this.#ns.setNoDelay(options.noDelay);
    if (options.keepAlive !== false) this.#ns.setKeepAlive(true, options.keepAlive);
  }

  // ---- the transport's events ----
  //
  // One set of listeners shared by every socket, finding their socket through `#owners`:
  // a server holding thousands of connections makes no closures per connection for them.

  /** The socket each transport belongs to. */
  static readonly #owners = new WeakMap<NetSocket, Socket>();

  static readonly #events: readonly [string, TransportListener][] = [
    [
      "data",
      function (this: NetSocket, chunk: Buffer) {
        const socket = Socket.#owners.get(this);
        if (socket === undefined) return;
        socket.#reader.push(chunk);
        socket.emit("dataAvailable");
      },
    ],
    [
      "end",
      function (this: NetSocket) {
        const socket = Socket.#owners.get(this);
        // Bun emits 'end' after destroy(), Node does not: after the owner's destroy(), reads
        // fail with ERR_SOCKET_CLOSED on every runtime, not with an end of stream.
        if (socket === undefined || socket.#destroyed) return;
        // A TLS alert arrives as 'error' just before 'end': reads must see that, not EOF.
        socket.#reader.end(socket.#error);
        socket.emit("end");
      },
    ],
    [
      "error",
      function (this: NetSocket, error: Error) {
        const socket = Socket.#owners.get(this);
        if (socket !== undefined) socket.#fail(socket.#toError(error));
      },
    ],
    [
      "close",
      function (this: NetSocket) {
        const socket = Socket.#owners.get(this);
        if (socket !== undefined) socket.#onClose();
      },
    ],
  ];

  /** Listened to only when an idle timeout is set: an unused listener costs every socket. */
  static readonly #onTimeout = function (this: NetSocket): void {
    Socket.#owners.get(this)?.emit("timeout");
  };

  static readonly #onTransportConnect = function (this: NetSocket): void {
    const socket = Socket.#owners.get(this);
    if (socket !== undefined) socket.#onConnect();
  };

  /** Listens to a transport's events (again after STARTTLS, to the TLS layer's). */
  #attach(ns: NetSocket): void {
    Socket.#owners.set(ns, this);
    for (const [event, listener] of Socket.#events) ns.on(event, listener);
    if ((ns.timeout ?? 0) > 0) ns.on("timeout", Socket.#onTimeout);
  }

  /** Stops listening to a transport (STARTTLS replaces it). */
  #detach(ns: NetSocket): void {
    for (const [event, listener] of Socket.#events) ns.off(event, listener);
    ns.off("timeout", Socket.#onTimeout);
    ns.off("connect", Socket.#onTransportConnect);
    ns.off("secureConnect", Socket.#onTransportConnect);
    Socket.#owners.delete(ns);
  }

  /** @internal See {@link attachTunnel}. */
  [attachTunnel](ns: NetSocket, secure: boolean): boolean {
    if (this.#destroyed || this.#state === "closed") return false;
    const placeholder = this.#ns;
    this.#detach(placeholder);
    if ((placeholder.timeout ?? 0) > 0) ns.setTimeout(placeholder.timeout ?? 0);
    this.#ns = ns;
    this.#secure = secure;
    this.#attach(ns);
    this.#writer.setTransport(ns); // with a startTLS() pending, only the writes made before it
    this.#reader.release(ns);
    if (this.#upgrading) this.#reader.hold(); // startTLS() serves reads after its handshake
    ns.resume(); // the tunnel left it paused, the target's first bytes unread
    if (placeholder.writableEnded) {
      // end() or close() came first: FIN after the queued writes, then settle what waits.
      const settle = (): void => void placeholder.destroy();
      ns.once("finish", settle);
      ns.once("close", settle);
      ns.end();
    } else placeholder.destroy();
    this.#onConnect();
    return true;
  }

  #toError(error: unknown): SocketError {
    const peer = this.#describePeer();
    return (this.#secure ? toTlsError(error, peer) : undefined) ?? toSocketError(error, peer);
  }

  #onConnect(): void {
    if (this.#state === "connecting") this.#state = "open";
    if (this.#secure && this.#ns instanceof TLSSocket) this.#tls = tlsInfo(this.#ns);
    // The addresses now, while Node can still report them; an info object only for those
    // waiting (a server's thousands of accepted sockets are spared one each).
    this.#addresses = snapshotAddresses(this.#ns, this.#addresses);
    if (this.#opened === undefined && this.listenerCount("connect") === 0) {
      this.#openedOutcome = CONNECTED;
      return;
    }
    const info = this.info();
    this.#openedOutcome = info;
    this.#opened?.resolve(info);
    this.emit("connect", info);
  }

  /** Records the error that ends the socket, and reports it. */
  #fail(error: SocketError): void {
    this.#error ??= error;
    this.#report(error);
  }

  /** Reports an error to `'error'` listeners, if any: it never crashes the process. */
  #report(error: SocketError): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  #onClose(): void {
    if (this.#closeInfo !== undefined) return; // the transport's 'close' after the fallback
    if (this.#closeFallback !== undefined) clearTimeout(this.#closeFallback);
    this.#addresses = snapshotAddresses(this.#ns, this.#addresses);
    this.#state = "closed";
    const error = this.#error;
    // Made only when something is left to fail: most sockets close with nothing pending.
    let closedError: SocketError | undefined;
    const closed = (): SocketError => {
      closedError ??= error ?? new SocketError("ERR_SOCKET_CLOSED", "the socket is closed");
      return closedError;
    };
    if (this.#openedOutcome === undefined) {
      this.#openedOutcome = closed();
      this.#opened?.reject(this.#openedOutcome);
    }
    if (this.#writer.pending) this.#writer.failAll(closed());
    this.#writer.closed();
    this.#reader.end(this.#destroyed ? closed() : error);
    const info: CloseInfo = error === undefined ? { hadError: false } : { hadError: true, error };
    this.#closeInfo = info;
    this.#closed?.resolve(info);
    this.emit("close", info);
  }

  /** @internal How many reads have completed: a server's `firstMessageTimeout` asks. */
  get [readsDone](): number {
    return this.#reader.delivered;
  }

  /** @internal How the write queue names the peer in its errors. */
  [describePeer](): string {
    return this.#describePeer();
  }

  #describePeer(): string {
    if (this.#target !== undefined) return formatEndpoint(this.#target);
    const { remoteAddress, remotePort } = this.#addresses;
    return remoteAddress === undefined ? "socket" : formatAddress(remoteAddress, remotePort ?? 0);
  }

  // ---- reading ----

  /** Bytes in the receive buffer, not yet read. */
  get available(): number {
    return this.#reader.buffer.length;
  }

  /** Whether a connect is in progress (Tcl `-connecting`). */
  get connecting(): boolean {
    return this.#state === "connecting";
  }

  /** Whether the socket is connected and not closing (hs.socket `connected`, Xojo `IsConnected`). */
  get connected(): boolean {
    return this.#state === "open";
  }

  /**
   * Reads exactly `length` bytes.
   * @throws (rejects) `ERR_INCOMPLETE_READ` with `partial` if the stream ends first,
   * `ERR_END_OF_STREAM` if it had ended with nothing buffered, `ERR_READ_TIMEOUT`,
   * `ERR_ABORTED`, `ERR_INVALID_ARGUMENT`, or the socket's error.
   */
  readBytes(length: number, options?: ReadOptions): Promise<Buffer> {
    return this.#read(() => bytesDecoder(checkInteger("length", length, 0, 2 ** 32)), options);
  }

  /**
   * Reads up to and including a delimiter (hs.socket). With several delimiters the shortest
   * frame wins. Over `maxLength` (default 1 MiB, not counting the delimiter) it rejects with
   * `ERR_FRAME_TOO_LONG` and the bytes stay buffered; see also {@link readBytes}'s errors.
   * With `encoding` it resolves with text (see {@link TextOptions}).
   */
  readUntil(
    delimiter: Delimiter | readonly Delimiter[],
    options: DelimiterOptions & ReadOptions & TextOptions,
  ): Promise<string>;
  readUntil(
    delimiter: Delimiter | readonly Delimiter[],
    options?: DelimiterOptions & ReadOptions,
  ): Promise<Buffer>;
  readUntil(
    delimiter: Delimiter | readonly Delimiter[],
    options?: DelimiterOptions & ReadOptions & Partial<TextOptions>,
  ): Promise<Buffer | string> {
    return this.#text(
      this.#read(() => this.#delimited(delimiter, options), options),
      options,
    );
  }

  /** Reads one line and returns it without its line ending (Tcl `gets`). See {@link LineOptions}. */
  readLine(options: LineOptions & ReadOptions & TextOptions): Promise<string>;
  readLine(options?: LineOptions & ReadOptions): Promise<Buffer>;
  readLine(options?: LineOptions & ReadOptions & Partial<TextOptions>): Promise<Buffer | string> {
    return this.#text(
      this.#read(() => this.#lines(options), options),
      options,
    );
  }

  /**
   * Reads every buffered byte, waiting until there is at least one. At a clean end of
   * stream it resolves with an empty buffer.
   */
  readAvailable(options?: ReadOptions): Promise<Buffer> {
    return this.#read(() => availableDecoder, options);
  }

  /**
   * Tagged read (hs.socket `read`, CocoaAsyncSocket): `what` is a byte count or a delimiter
   * (or several). The result arrives as a `'read'` event with `tag`; a failure as
   * `'readError'` (or `'error'` when only that has a listener). Returns the socket, to chain.
   */
  read(what: number | Delimiter | readonly Delimiter[], tag?: Tag, options?: ReadOptions): this {
    const decoder =
      typeof what === "number"
        ? bytesDecoder(checkInteger("length", what, 0, 2 ** 32))
        : this.#delimited(what, undefined);
    this.#tagged ??= this.#taggedSettle();
    this.#reader.enqueue(decoder, this.#tagged, options, tag);
    return this;
  }

  /** How every tagged read settles, made on the first one. */
  #tagged: ReadSettle | undefined;

  /**
   * Plain calls, not a promise (a throwing listener throws like any event listener), made
   * once per socket rather than once per read.
   */
  #taggedSettle(): ReadSettle {
    return {
      resolve: (data, tag) => this.emit("read", data, tag as Tag),
      reject: (error, tag) => {
        if (this.listenerCount("readError") > 0) this.emit("readError", error, tag as Tag);
        else this.#report(error); // a failed read is not the socket's error: record nothing
      },
    };
  }

  /**
   * Queues a read; a bad argument (thrown by `make`) rejects like any other failure. When no
   * read waits and the frame is already buffered, it settles at once without queueing.
   */
  #read(make: () => Decoder, options: ReadOptions | undefined): Promise<Buffer> {
    let decoder: Decoder;
    try {
      decoder = make();
      if (options?.signal?.aborted !== true && checkReadOptions(options) === undefined) {
        const frame = this.#reader.decodeNow(decoder);
        if (frame !== null) return Promise.resolve(frame);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Buffer>((resolve, reject) => {
      this.#reader.enqueue(decoder, { resolve, reject }, options);
    });
  }

  /** Decodes the result of a read when an `encoding` is asked for. */
  #text(
    read: Promise<Buffer>,
    options: Partial<TextOptions> | undefined,
  ): Promise<Buffer | string> {
    const encoding = options?.encoding;
    if (encoding === undefined) return read;
    return read.then((data) => decodeText(data, encoding, options?.invalidText ?? "replace"));
  }

  /**
   * Reads one length-prefixed frame and returns its payload. `options` override the
   * socket's `frame` option (default: a 4-byte big-endian length, 8 MiB at most). A length
   * over `maxLength` is refused with `ERR_FRAME_TOO_LONG` before its payload is buffered.
   * See `FrameOptions` for the layouts; also takes `timeout` and `signal`.
   */
  readFrame(options?: FrameOptions & ReadOptions): Promise<Buffer> {
    if (options === undefined) return this.#read(() => this.#frames(undefined), undefined);
    const { timeout: _t, signal: _s, ...frame } = options;
    return this.#read(() => this.#frames(frame), options);
  }

  /** Writes `payload` with a length prefix (the socket's `frame` option, overridden by `options`). */
  writeFrame(
    payload: string | Uint8Array,
    options?: FrameOptions,
    tag?: Tag,
    onWritten?: WriteCallback<Tag>,
  ): boolean {
    return this.write(
      encodeFrame(checkData(payload), mergeFrameOptions(this.#frame, options ?? {})),
      tag,
      onWritten,
    );
  }

  /**
   * Iterates over lines as text (UTF-8 by default) until the stream ends; a last line
   * without a line ending is yielded too, as Node's readline does. Breaking out of the loop
   * leaves unread bytes buffered. See {@link LinesOptions} for `onOverflow` and `signal`.
   * @example
   * ```ts
   * for await (const line of socket.lines({ eol: "crlf", maxLength: 998 })) handle(line);
   * ```
   */
  lines(options?: LinesOptions): AsyncIterableIterator<string, undefined, undefined> {
    return iterateLines(this.#reader, checkOptions("options", options, {}));
  }

  /**
   * Iterates over length-prefixed frames (payloads) until the stream ends cleanly; a frame
   * cut short throws `ERR_INCOMPLETE_READ`. `options` override the socket's `frame` option.
   * @example
   * ```ts
   * for await (const payload of socket.frames({ width: 2, onOverflow: "skip" })) handle(payload);
   * ```
   */
  frames(
    frameOptions?: FrameOptions & IterateOptions,
  ): AsyncIterableIterator<Buffer, undefined, undefined> {
    const options = checkOptions("options", frameOptions, {});
    const { onOverflow: _o, signal: _s, ...frame } = options;
    const codec = mergeFrameOptions(this.#frame, frame);
    return iterateLengthFrames(this.#reader, codec, options);
  }

  /**
   * Iterates over the received chunks until the stream ends: each as the transport
   * delivered it (a view, never a copy); `readAvailable()` instead joins all that is buffered.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer, undefined, undefined> {
    return iterateFrames(this.#reader, chunkDecoder, () => undefined);
  }

  /**
   * Decoders for the common calls, made once per socket: a read with default options reuses
   * one (the reader resets it as each read starts) instead of building one per call.
   */
  #defaults:
    | {
        line?: LineDecoder;
        frame?: Decoder;
        delimited?: Map<string, DelimiterDecoder>;
      }
    | undefined;

  #frames(override: object | undefined): Decoder {
    if (override !== undefined && Object.keys(override).length > 0) {
      return frameDecoder(mergeFrameOptions(this.#frame, override));
    }
    this.#defaults ??= {};
    this.#defaults.frame ??= frameDecoder(this.#frame);
    return this.#defaults.frame;
  }

  #lines(options: LineOptions | undefined): LineDecoder {
    if (options?.eol !== undefined || options?.maxLength !== undefined)
      return new LineDecoder(options);
    this.#defaults ??= {};
    this.#defaults.line ??= new LineDecoder();
    return this.#defaults.line;
  }

  #delimited(
    delimiter: Delimiter | readonly Delimiter[],
    options: DelimiterOptions | undefined,
  ): DelimiterDecoder {
    const plain = options?.maxLength === undefined && options?.include === undefined;
    if (!plain || typeof delimiter !== "string") return new DelimiterDecoder(delimiter, options);
    this.#defaults ??= {};
    this.#defaults.delimited ??= new Map();
    let decoder = this.#defaults.delimited.get(delimiter);
    if (decoder === undefined) {
      decoder = new DelimiterDecoder(delimiter);
      if (this.#defaults.delimited.size < 16) this.#defaults.delimited.set(delimiter, decoder);
    }
    return decoder;
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

  /** Drops every byte in the receive buffer (Xojo `Purge`); returns how many. */
  purge(): number {
    return this.#reader.purge();
  }

  // ---- writing ----

  /**
   * Queues bytes (text is UTF-8) for the peer, also while connecting (sent once connected,
   * as all four seeds do). `'written'` fires with `tag` once they reach the kernel, and
   * `onWritten(error, tag)` is called exactly once either way. Returns false when the queue
   * is above the write high-water mark: wait for `'drain'`, or use {@link send}.
   * @throws SocketError `ERR_SOCKET_CLOSED` after `close()`, `end()` or `destroy()`;
   * `ERR_WRITE_BUFFER_FULL` over `maxWriteBuffer` (nothing queued, the socket stays usable).
   */
  write(data: string | Uint8Array, tag?: Tag, onWritten?: WriteCallback<Tag>): boolean {
    this.#checkWritable();
    return this.#writer.write(checkData(data), tag, onWritten);
  }

  /**
   * Writes bytes and resolves once they reach the kernel, so awaiting it waits for room.
   * @throws (rejects) `ERR_SOCKET_CLOSED`, `ERR_WRITE_TIMEOUT` (the bytes stay queued),
   * `ERR_ABORTED`, or the socket's error.
   */
  send(data: string | Uint8Array, options?: SendOptions): Promise<void> {
    try {
      this.#checkWritable();
      return this.#writer.send(checkData(data), checkOptions("options", options, {}));
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
    return sendWithProgress(this.#progressTarget(), source, options);
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

  #checkWritable(): void {
    if (this.#state === "closing" || this.#state === "closed" || this.#ns.writableEnded) {
      throw new SocketError(
        "ERR_SOCKET_CLOSED",
        `cannot write: the socket to ${this.#describePeer()} is closed`,
      );
    }
  }

  // ---- TLS ----

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
   * await socket.readLine(); // "220 Ready to start TLS"
   * await socket.startTLS(); // verified against the host connected to
   * ```
   */
  async startTLS(tlsOptions?: StartTlsOptions): Promise<SocketInfo> {
    const options = checkOptions("options", tlsOptions, {});
    if (this.#state === "closing" || this.#state === "closed")
      throw new SocketError("ERR_SOCKET_CLOSED", "cannot start TLS: the socket is not open");
    if (this.#secure || this.#upgrading)
      throw new SocketError("ERR_INVALID_STATE", "the socket is already secure");
    const side = options.side ?? (this.id === undefined ? "client" : "server");
    const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    const host = this.#target?.kind === "tcp" ? this.#target.host : undefined;
    const wrap = tlsWrapper(side, options, host); // bad options fail here, before any change
    // Held from this call on, whatever the state: a write made after startTLS() on a socket
    // still connecting must wait for the handshake, never leave in clear text.
    this.#upgrading = true;
    this.#reader.hold();
    this.#writer.hold();
    try {
      if (this.#state === "connecting") await this.opened; // the connect comes first
      if (this.#state !== "open")
        throw this.#error ?? new SocketError("ERR_SOCKET_CLOSED", "closed during STARTTLS");
      await this.#writer.flushed(); // the plaintext before the upgrade goes out first
      if (this.#state !== "open")
        throw this.#error ?? new SocketError("ERR_SOCKET_CLOSED", "closed during STARTTLS");
      const raw = this.#ns;
      this.#detach(raw);
      raw.pause();
      const early = this.#reader.buffer.takeAll();
      if (early.length > 0) raw.unshift(early); // the peer's first handshake bytes
      const secure = wrap(raw);
      // The idle timer follows the connection: on the raw socket it would fire unheard.
      if ((raw.timeout ?? 0) > 0) {
        secure.setTimeout(raw.timeout ?? 0);
        raw.setTimeout(0);
      }
      this.#ns = secure;
      this.#secure = true;
      this.#attach(secure);
      this.#writer.setTransport(secure);
      await awaitHandshake(secure, side, timeout, options, (e) => this.#toError(e)).catch(
        (error: SocketError) => {
          const cause = this.#error ?? error; // a TLS alert recorded just before the close
          void this.destroy(cause);
          throw cause;
        },
      );
      this.#tls = tlsInfo(secure);
    } finally {
      this.#upgrading = false;
      // Reads are served again either way: after a failed upgrade they see its error.
      this.#reader.release(this.#ns);
    }
    return this.info();
  }

  // ---- closing ----

  /**
   * Half-close: flushes queued writes, then sends FIN. Reading goes on until the peer closes.
   * Resolves once the FIN is sent. Idempotent.
   */
  end(): Promise<void> {
    return this.#writer.end();
  }

  /**
   * Graceful close: flushes queued writes, sends FIN, waits up to `closeTimeout` ms for the
   * peer to close, then destroys. Resolves like `closed`. Idempotent. The socket keeps its
   * addresses and its unread receive buffer (Xojo `Close`).
   */
  close(): Promise<CloseInfo> {
    if (this.#state === "closing" || this.#state === "closed") return this.closed;
    this.#state = "closing";
    this.#reader.discardOverflow(); // a paused socket would never see the peer's FIN
    void this.#writer.end();
    const timer = setTimeout(() => {
      this.#ns.destroy();
      this.#boundClose();
    }, this.#closeTimeout);
    void this.closed.then(() => clearTimeout(timer));
    return this.closed;
  }

  /**
   * Immediate close: queued reads and writes fail (with `error`, or `ERR_SOCKET_CLOSED`) and
   * the connection is dropped. Bytes already buffered stay readable. Idempotent.
   */
  destroy(error?: SocketError): Promise<CloseInfo> {
    if (this.#state === "closed" || this.#destroyed) return this.closed;
    this.#destroyed = true;
    if (error !== undefined) this.#fail(error);
    this.#state = "closing";
    this.#reader.failAll(error ?? new SocketError("ERR_SOCKET_CLOSED", "the socket was destroyed"));
    this.#ns.destroy();
    this.#boundClose();
    return this.closed;
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
    if (this.#state === "closed" || this.#destroyed) return this.closed;
    this.#destroyed = true;
    this.#state = "closing";
    this.#reader.failAll(new SocketError("ERR_SOCKET_CLOSED", "the socket was reset"));
    // While a FIN is being sent (end() or close() in the same tick), Node's reset fails with
    // EINVAL and never emits 'close', leaking the handle: that connection is destroyed
    // instead, as is one still connecting (nothing to reset yet).
    const finishing = this.#ns.writableEnded && !this.#ns.writableFinished;
    try {
      if (finishing || this.#ns.connecting) this.#ns.destroy();
      else this.#ns.resetAndDestroy(); // Node's TCP handles only: it throws for TLS and pipes
    } catch {
      this.#ns.destroy();
    }
    this.#boundClose();
    return this.closed;
  }

  /**
   * The transport was told to go; should it never emit `'close'` (a Node path that destroys
   * without it), the socket closes anyway after {@link CLOSE_FALLBACK} ms: `closed`, `end()`
   * and every pending operation settle whatever the transport does.
   */
  #boundClose(): void {
    if (this.#closeInfo !== undefined || this.#closeFallback !== undefined) return;
    this.#closeFallback = setTimeout(() => this.#onClose(), CLOSE_FALLBACK);
  }

  /** Addresses, ports and state (hs.socket `info`); addresses stay readable after close. */
  info(): SocketInfo {
    if (!this.#ns.destroyed) this.#addresses = snapshotAddresses(this.#ns, this.#addresses);
    return {
      id: this.id,
      name: this.name,
      ...proxiedAddresses(this.#addresses, this.#proxy),
      connected: this.#state === "open",
      connecting: this.#state === "connecting",
      secure: this.#tls !== undefined,
      bytesRead: this.#ns.bytesRead,
      bytesWritten: this.#ns.bytesWritten,
      available: this.#reader.buffer.length,
      tls: this.#tls,
      proxy: this.#proxy,
    };
  }
}
