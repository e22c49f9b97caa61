/**
 * `Socket`: one TCP or Unix-domain stream connection, the public class alone. Its jobs live
 * in their own modules and the class delegates to them: the lifecycle (`lifecycle.ts`), the
 * transport and its listeners (`transport.ts`), the read forms (`read-forms.ts`), the read
 * queue (`reader.ts`), the write queue (`writer.ts`), STARTTLS (`starttls.ts`). See
 * `src/README.md` for the map and DESIGN.md for the semantics.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import type { Socket as NetSocket } from "node:net";
import { formatAddress, formatEndpoint } from "./address.js";
import { checkData, checkInteger, checkOptions, describeType } from "./arguments.js";
import type { Decoder } from "./codec/decoder.js";
import type { Delimiter, DelimiterOptions } from "./codec/delimiter.js";
import { encodeFrame, type FrameOptions } from "./codec/frame.js";
import type { LineOptions } from "./codec/line.js";
import { SocketError } from "./errors.js";
import type { FrameHandlerOptions } from "./frame-sink.js";
import type { IterateOptions, LinesOptions } from "./iterate.js";
import { Lifecycle, type SocketInit } from "./lifecycle.js";
import type { LineHandlerOptions } from "./line-sink.js";
import { type LookupNamesOptions, lookupNames, type SocketNames } from "./lookup-names.js";
import { MessageForms } from "./message-forms.js";
import {
  checkOptionNames,
  DELIMITER,
  describeValue,
  ITERATE,
  LENGTH_PREFIX,
  LINE,
  MESSAGE_HANDLER,
  READ,
  STARTTLS_SIDE,
  TAGGED_READ,
  TEXT,
  TLS_CLIENT,
  TLS_SERVER,
  VARINT_FRAME,
} from "./options.js";
import type { ProxyInfo } from "./proxy-protocol/types.js";
import { checkDecoder, ReadForms } from "./read-forms.js";
import { type ReadOptions, readsDone, type TaggedReadOptions } from "./reader.js";
import {
  type ProgressTarget,
  type SendComplete,
  type SendFromOptions,
  type SendSource,
  sendFileWithProgress,
  sendWithProgress,
} from "./send-progress.js";
import type { MessageHandlerOptions } from "./sink.js";
import type { CloseInfo, SocketEvents } from "./socket-events.js";
import {
  descriptorOf,
  proxiedAddresses,
  type SocketInfo,
  snapshotAddresses,
  sockaddrsOf,
} from "./socket-info.js";
import { mergeFrameOptions } from "./socket-options.js";
import { type StartTlsOptions, upgradeToTls } from "./starttls.js";
import {
  checkSocketEncoding,
  encodeChecked,
  type SocketEncoding,
  type TextOptions,
} from "./text.js";
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
export class Socket<Tag = unknown, Data = unknown> extends EventEmitter<SocketEvents<Tag>> {
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
  readonly #reads: ReadForms<Tag>;
  /** The PROXY header the connection came with (a `proxyProtocol` server's sockets). */
  readonly #proxy: ProxyInfo | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  /** The text encoding of strings written and of text reads; undefined for UTF-8. */
  #encoding: SocketEncoding | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** @internal Use {@link connect}, or take sockets from a `Server`. */
  constructor(ns: NetSocket, init: SocketInit) {
    super();
    this.id = init.id;
    this.name = init.target?.name;
    this.#proxy = init.proxy;
    this.#encoding = init.options.encoding;
    this.#life = new Lifecycle<Tag>(this, ns, init);
    this.#reads = new ReadForms<Tag>(this.#life, init.options.frame);
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

  /** @internal How many reads have completed: a server's `firstMessageTimeout` asks. */
  get [readsDone](): number {
    return this.#life.reader.delivered;
  }

  /** @internal How the write queue names the peer in its errors. */
  [describePeer](): string {
    return this.#life.describePeer();
  }

  // ---- reading (read-forms.ts) ----

  /** Bytes in the receive buffer, not yet read. */
  get available(): number {
    return this.#life.reader.buffer.length;
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
    const target = this.#life.target;
    if (target !== undefined) {
      const where = formatEndpoint(target);
      return target.name === undefined ? where : `${where}|${target.name}`;
    }
    const info = this.info();
    const peer =
      info.remoteAddress === undefined
        ? info.path === undefined
          ? "unix"
          : `unix:${info.path}`
        : formatAddress(info.remoteAddress, info.remotePort ?? 0);
    return this.id === undefined ? peer : `${peer}|${this.id}`;
  }

  /** Whether a connect is in progress (Tcl `-connecting`). */
  get connecting(): boolean {
    return this.#life.state === "connecting";
  }

  /** Whether the socket is connected and not closing (hs.socket `connected`, Xojo `IsConnected`). */
  get connected(): boolean {
    return this.#life.state === "open";
  }

  /**
   * Reads exactly `length` bytes.
   * @throws (rejects) `ERR_INCOMPLETE_READ` with `partial` if the stream ends first,
   * `ERR_END_OF_STREAM` if it had ended with nothing buffered, `ERR_READ_TIMEOUT`,
   * `ERR_ABORTED`, `ERR_INVALID_ARGUMENT`, or the socket's error.
   */
  readBytes(length: number, options?: ReadOptions): Promise<Buffer> {
    return unknownOption("readBytes()", options, READ) ?? this.#reads.readBytes(length, options);
  }

  /**
   * Reads up to and including a delimiter (hs.socket). With several delimiters the shortest
   * frame wins: the match that ends first, final as soon as its last byte arrives (see
   * `DelimiterDecoder`; for lines ended by CR, LF or CR LF use {@link readLine}). Over `maxLength` (default 1 MiB, not counting the delimiter) it rejects with
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
    return (
      unknownOption("readUntil()", options, DELIMITER, READ, TEXT) ??
      this.#reads.readUntil(delimiter, options)
    );
  }

  /**
   * Reads one line and returns it without its line ending (Tcl `gets`): by default LF, CR LF
   * or a lone CR ends it, the LF of a CR LF dropped even when it arrives later (Java
   * `BufferedReader.readLine`). See {@link LineOptions} and `LineEnding`.
   */
  readLine(options: LineOptions & ReadOptions & TextOptions): Promise<string>;
  readLine(options?: LineOptions & ReadOptions): Promise<Buffer>;
  readLine(options?: LineOptions & ReadOptions & Partial<TextOptions>): Promise<Buffer | string> {
    return unknownOption("readLine()", options, LINE, READ, TEXT) ?? this.#reads.readLine(options);
  }

  /**
   * Reads every buffered byte, waiting until there is at least one. At a clean end of
   * stream it resolves with an empty buffer.
   */
  readAvailable(options?: ReadOptions): Promise<Buffer> {
    return unknownOption("readAvailable()", options, READ) ?? this.#reads.readAvailable(options);
  }

  /**
   * Tagged read (hs.socket `read`, CocoaAsyncSocket): `what` is a byte count or a delimiter
   * (or several). The result arrives as a `'read'` event with `tag`; a failure as
   * `'readError'` (or `'error'` when only that has a listener). Returns the socket, to chain.
   * With `{ repeat: true }` the read stands: every frame of its kind comes as `'read'`
   * with `tag`, with no re-arming, until it fails or its `signal` aborts it
   * (see {@link TaggedReadOptions}).
   * @example
   * ```ts
   * socket.on("read", (line, tag) => handle(line));
   * socket.read("\n", LINE, { repeat: true }); // every line, until the end of stream
   * ```
   */
  read(
    what: number | Delimiter | readonly Delimiter[],
    tag?: Tag,
    options?: TaggedReadOptions,
  ): this {
    checkOptionNames("read()", options, TAGGED_READ);
    this.#reads.tagged(what, tag, options);
    return this;
  }

  /**
   * Reads one length-prefixed frame and returns its payload. `options` override the
   * socket's `frame` option (default: a 4-byte big-endian length, 8 MiB at most). A length
   * over `maxLength` is refused with `ERR_FRAME_TOO_LONG` before its payload is buffered.
   * See `FrameOptions` for the layouts; also takes `timeout` and `signal`.
   */
  readFrame(options?: FrameOptions & ReadOptions): Promise<Buffer> {
    return (
      unknownOption("readFrame()", options, LENGTH_PREFIX, VARINT_FRAME, READ) ??
      this.#reads.readFrame(options)
    );
  }

  /** Writes `payload` with a length prefix (the socket's `frame` option, overridden by `options`). */
  writeFrame(
    payload: string | Uint8Array,
    options?: FrameOptions,
    tag?: Tag,
    onWritten?: WriteCallback<Tag>,
  ): boolean {
    checkOptionNames("writeFrame()", options, LENGTH_PREFIX, VARINT_FRAME);
    const codec = mergeFrameOptions(this.#reads.frameOptions, options ?? {});
    return this.write(encodeFrame(this.#encode(payload), codec), tag, onWritten);
  }

  /**
   * Iterates over lines as text (the socket's `encoding`, UTF-8 by default) until the stream
   * ends; a last line without a line ending is yielded too, as Node's readline does.
   * Breaking out of the loop leaves unread bytes buffered. See {@link LinesOptions} for `onOverflow` and `signal`.
   * @example
   * ```ts
   * for await (const line of socket.lines({ eol: "crlf", maxLength: 998 })) handle(line);
   * ```
   */
  lines(options?: LinesOptions): AsyncIterableIterator<string, undefined, undefined> {
    const checked = checkOptions("options", options, {});
    checkOptionNames("lines()", checked, LINE, TEXT, ITERATE);
    return this.#reads.lines(this.#textDefault(checked));
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
    options?: FrameOptions & IterateOptions,
  ): AsyncIterableIterator<Buffer, undefined, undefined> {
    const checked = checkOptions("options", options, {});
    checkOptionNames("frames()", checked, LENGTH_PREFIX, VARINT_FRAME, ITERATE);
    return this.#reads.frames(checked);
  }

  /**
   * Iterates over the received chunks until the stream ends: each as the transport
   * delivered it (a view, never a copy); `readAvailable()` instead joins all that is buffered.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer, undefined, undefined> {
    return this.#reads.chunks();
  }

  /**
   * Reads one message with any {@link Decoder}: a user's own, or an exported codec
   * (`new LengthPrefixedDecoder({ width: 2 })`, `new VarintDecoder()`, …). It takes the
   * path of the built-in reads: the FIFO queue, `timeout` and `signal`, exactly one
   * settlement, nothing consumed by a read that fails or times out (tokio-util `Framed`).
   * @throws (rejects) `ERR_INVALID_ARGUMENT` for an object that is not a decoder or a bad
   * `timeout`; `ERR_READ_TIMEOUT`, `ERR_ABORTED`; `ERR_END_OF_STREAM` when the stream had
   * ended with nothing buffered; what the decoder throws (a `SocketError` as it is, such as
   * `ERR_FRAME_TOO_LONG` or `ERR_INCOMPLETE_READ` from its `decodeEof`; anything else as
   * `ERR_INVALID_STATE` with the original on `cause`); or the socket's error.
   * @example
   * ```ts
   * const socket = connect("127.0.0.1:7000");
   * socket.write(encodeVarint("hi")); // an echo server sends it back
   * const payload = await socket.readWith(new VarintDecoder(), { timeout: 5000 });
   * assert.deepEqual(payload, Buffer.from("hi"));
   * ```
   */
  readWith<T>(decoder: Decoder<T>, options?: ReadOptions): Promise<T> {
    return this.#reads.readWith(decoder, options);
  }

  /**
   * Iterates over the messages of any {@link Decoder} until the stream ends cleanly (a
   * message cut short throws what the decoder's `decodeEof` throws). Each step is one
   * queued read, in FIFO order with the other reads; breaking out of the loop, or aborting
   * `signal` (the loop throws `ERR_ABORTED`), leaves unread bytes buffered.
   * @throws SocketError `ERR_INVALID_ARGUMENT` for an object that is not a decoder.
   * @example
   * ```ts
   * for await (const payload of socket.messages(new VarintDecoder())) handle(payload);
   * ```
   */
  messages<T>(
    decoder: Decoder<T>,
    options: { signal?: AbortSignal } = {},
  ): AsyncIterableIterator<T, undefined, undefined> {
    return this.#reads.messages(decoder, options);
  }

  /**
   * Calls a synchronous `handler` with each message of any {@link Decoder} until the stream
   * ends (`onEnd`) or the returned function is called; unread bytes stay buffered. Each
   * message is one queued read, in FIFO order with the other reads. A failed read
   * (`ERR_FRAME_TOO_LONG`, `ERR_INCOMPLETE_READ`, the socket's error) or a handler that
   * throws (`ERR_HANDLER_FAILED`, the throw on `cause`) removes the handler and goes to
   * `onError`, or to the socket's `'error'` listeners without one.
   * @throws SocketError `ERR_INVALID_ARGUMENT` for an object that is not a decoder, or a
   * handler that is not a function.
   * @example
   * ```ts
   * const stop = socket.onMessage(new LengthPrefixedDecoder({ width: 2 }), (payload) => {
   *   if (payload.length === 0) stop(); // an empty frame ends the exchange
   *   else handle(payload);
   * });
   * ```
   */
  onMessage<T>(
    decoder: Decoder<T>,
    handler: (message: T) => void,
    options?: MessageHandlerOptions,
  ): () => void {
    checkDecoder(decoder);
    const checked = checkOptions("options", options, {});
    checkOptionNames("onMessage()", checked, MESSAGE_HANDLER);
    return this.#messages().onMessage(decoder, handler, checked);
  }

  // ---- message rate: a plain call per message, a batch per read, try-reads ----

  /**
   * Calls `handler(line)` synchronously for every line, as text, straight from each chunk
   * as it arrives: no promise, no event and no queued read per line (the fastest way to read
   * lines; `bench/README.md`). A last line without a line ending is delivered at the end of
   * the stream, then `onEnd`. An over-long line (`ERR_FRAME_TOO_LONG`, the line stays
   * buffered), a throw from the handler (`ERR_HANDLER_FAILED`, on `cause`), invalid text
   * with `invalidText: "error"`, or the socket's error removes the handler and goes to
   * `onError` once (without one, to the socket's `'error'` listeners). Bytes not delivered
   * stay readable by any other read. While a handler is attached, other reads are refused
   * with `ERR_INVALID_STATE`; {@link pause} and {@link resume} work from inside it.
   * Options: `eol` (default `"any"`), `maxLength` (bytes, default 1 MiB), `encoding`
   * (default `"utf8"`), `invalidText`, `onError`, `onEnd`.
   * @returns a function that removes the handler (the bytes after the last line delivered
   * stay buffered).
   * @throws SocketError `ERR_INVALID_ARGUMENT` (a handler that is not a function, an unknown
   * option), `ERR_INVALID_STATE` (reads are queued, or a handler is attached).
   * @example
   * ```ts
   * let count = 0;
   * socket.onLine((line) => count++, { eol: "crlf", onEnd: () => console.log(count) });
   * ```
   */
  onLine(handler: (line: string) => void, options?: LineHandlerOptions): () => void {
    const checked = checkOptions("options", options, {});
    checkOptionNames("onLine()", checked, LINE, TEXT, MESSAGE_HANDLER);
    return this.#messages().onLine(handler, this.#textDefault(checked));
  }

  /**
   * Calls `handler(payload)` synchronously for every length-prefixed frame (the socket's
   * `frame` option, overridden by `options`), as {@link onLine} does for lines. A plain
   * length field (1–4 bytes) is read straight from each chunk and each payload handed out
   * as a view of it, valid after the handler returns; a length over `maxLength` is refused
   * from the header (`ERR_FRAME_TOO_LONG`), a frame cut by the end of the stream is
   * `ERR_INCOMPLETE_READ` with its `partial` bytes.
   * @returns a function that removes the handler.
   * @throws SocketError as {@link onLine}, and `ERR_INVALID_ARGUMENT` for bad codec options.
   * @example
   * ```ts
   * socket.onFrame((payload) => handle(JSON.parse(payload.toString())), { width: 2 });
   * ```
   */
  onFrame(handler: (payload: Buffer) => void, options?: FrameHandlerOptions): () => void {
    const checked = checkOptions("options", options, {});
    checkOptionNames("onFrame()", checked, LENGTH_PREFIX, VARINT_FRAME, MESSAGE_HANDLER);
    return this.#messages().onFrame(handler, checked);
  }

  /**
   * Iterates over batches of lines: each step is every complete line of what arrived, as
   * one array of text (one promise per read, not per line). Reading from the kernel stops
   * while the buffer is at its high-water mark; breaking out leaves every byte not handed
   * out buffered. Takes the options of {@link lines}.
   * @example
   * ```ts
   * for await (const batch of socket.lineBatches()) for (const line of batch) handle(line);
   * ```
   */
  lineBatches(options?: LinesOptions): AsyncIterableIterator<string[], undefined, undefined> {
    const checked = checkOptions("options", options, {});
    checkOptionNames("lineBatches()", checked, LINE, TEXT, ITERATE);
    return this.#messages().lineBatches(this.#textDefault(checked));
  }

  /**
   * Iterates over batches of length-prefixed payloads, as {@link lineBatches} does for lines.
   * Takes the options of {@link frames}.
   * @example
   * ```ts
   * for await (const batch of socket.frameBatches({ width: 2 })) batch.forEach(handle);
   * ```
   */
  frameBatches(
    options?: FrameOptions & IterateOptions,
  ): AsyncIterableIterator<Buffer[], undefined, undefined> {
    const checked = checkOptions("options", options, {});
    checkOptionNames("frameBatches()", checked, LENGTH_PREFIX, VARINT_FRAME, ITERATE);
    return this.#messages().frameBatches(checked);
  }

  /**
   * Stops delivering to a message handler (mid-chunk when called from inside one: the rest
   * stays buffered) and stops reading from the kernel, so the peer is slowed by TCP's flow
   * control. Queued reads are still served from what is buffered. Returns the socket.
   */
  pause(): this {
    this.#life.reader.pause();
    return this;
  }

  /** Undoes {@link pause}: what was buffered meanwhile goes to the handler first. */
  resume(): this {
    this.#life.reader.resume();
    return this;
  }

  /**
   * One line from what is already buffered, or `null` without consuming anything (Tcl's
   * `gets` on a non-blocking channel, for a `'dataAvailable'` handler that drains what it
   * can). Text with `encoding`, else bytes; `null` too while reads are queued.
   * @throws SocketError `ERR_FRAME_TOO_LONG` (nothing consumed), `ERR_INVALID_ARGUMENT`.
   * @example
   * ```ts
   * socket.on("dataAvailable", () => {
   *   for (let line = socket.tryReadLine(); line !== null; line = socket.tryReadLine()) handle(line);
   * });
   * ```
   */
  tryReadLine(options: LineOptions & TextOptions): string | null;
  tryReadLine(options?: LineOptions): Buffer | null;
  tryReadLine(options?: LineOptions & Partial<TextOptions>): Buffer | string | null {
    const checked = checkOptions("options", options, {});
    checkOptionNames("tryReadLine()", checked, LINE, TEXT);
    return this.#messages().tryReadLine(checked);
  }

  /**
   * One length-prefixed payload from what is already buffered, or `null` (nothing consumed).
   * @throws SocketError `ERR_FRAME_TOO_LONG`, `ERR_FRAME_CORRUPT`, `ERR_INVALID_ARGUMENT`.
   */
  tryReadFrame(options?: FrameOptions): Buffer | null {
    const checked = checkOptions("options", options, {});
    checkOptionNames("tryReadFrame()", checked, LENGTH_PREFIX, VARINT_FRAME);
    return this.#messages().tryReadFrame(checked);
  }

  /** Exactly `length` bytes if that many are buffered, else `null` (nothing consumed). */
  tryReadBytes(length: number): Buffer | null {
    return this.#messages().tryReadBytes(length);
  }

  /** The message forms, made on first use: most sockets never ask. */
  #messageForms: MessageForms | undefined;

  #messages(): MessageForms {
    this.#messageForms ??= new MessageForms(
      this.#life.reader,
      (error) => this.#life.report(error),
      () => this.#reads.frameOptions,
    );
    return this.#messageForms;
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
    return this.#life.reader.purge();
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
    if (onWritten !== undefined && typeof onWritten !== "function") throw notCallback(onWritten);
    this.#life.checkWritable();
    return this.#life.writer.write(this.#encode(data), tag, onWritten);
  }

  /**
   * Writes bytes and resolves once they reach the kernel, so awaiting it waits for room.
   * @throws (rejects) `ERR_SOCKET_CLOSED`, `ERR_WRITE_TIMEOUT` (the bytes stay queued),
   * `ERR_ABORTED`, or the socket's error.
   */
  send(data: string | Uint8Array, options?: SendOptions): Promise<void> {
    try {
      this.#life.checkWritable();
      return this.#life.writer.send(this.#encode(data), checkOptions("options", options, {}));
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
    const bytes = typeof source === "string" ? this.#encode(source) : source;
    return sendWithProgress(this.#progressTarget(), bytes, options);
  }

  /**
   * The socket's text encoding (the `encoding` option, or the last {@link setEncoding}):
   * strings written are encoded with it, and `lines()`, `lineBatches()`, `onLine()` decode
   * with it by default. `"utf8"` unless set.
   */
  get encoding(): SocketEncoding {
    return this.#encoding ?? "utf8";
  }

  /**
   * Changes the socket's text encoding for what is written and read from now on (Tcl
   * `chan configure -encoding`): strings given to later writes, and iterators and handlers
   * made later (one made before keeps its encoding). Bytes are never touched. Returns the
   * socket.
   * @throws SocketError `ERR_INVALID_ARGUMENT` for anything but a `SocketEncoding`.
   * @example
   * ```ts
   * socket.setEncoding("latin1").write("café\r\n"); // 63 61 66 e9 0d 0a
   * ```
   */
  setEncoding(encoding: SocketEncoding): this {
    this.#encoding = checkSocketEncoding(encoding);
    return this;
  }

  /** Checks written data; a string is encoded in the socket's encoding (UTF-8: left to Node). */
  #encode(data: string | Uint8Array): string | Uint8Array {
    const checked = checkData(data);
    const encoding = this.#encoding;
    return encoding === undefined || typeof checked !== "string"
      ? checked
      : encodeChecked(checked, encoding);
  }

  /** Text read options with the socket's encoding where the call gave none. */
  #textDefault<T extends { encoding?: BufferEncoding }>(options: T): T {
    const encoding = this.#encoding;
    return encoding === undefined || options.encoding !== undefined
      ? options
      : { ...options, encoding };
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
    const life = this.#life;
    const ns = life.ns;
    if (!ns.destroyed) life.addresses = snapshotAddresses(ns, life.addresses);
    const addresses = proxiedAddresses(life.addresses, this.#proxy);
    return {
      id: this.id,
      name: this.name,
      ...addresses,
      connected: life.state === "open",
      connecting: life.state === "connecting",
      secure: life.tls !== undefined,
      bytesRead: ns.bytesRead,
      bytesWritten: ns.bytesWritten,
      available: life.reader.buffer.length,
      tls: life.tls,
      proxy: this.#proxy,
      ...sockaddrsOf(addresses, this.id !== undefined),
      ...(life.reconnect === undefined ? {} : { reconnect: life.reconnect.info() }),
      fd: descriptorOf(ns),
      idleTimeout: this.idleTimeout,
    };
  }
}

/** `write(data, tag, onWritten)` with something other than a function as `onWritten`. */
function notCallback(value: unknown): SocketError {
  return new SocketError(
    "ERR_INVALID_ARGUMENT",
    `write()'s onWritten must be a function, got ${describeValue(value)}`,
  );
}

/** A rejection naming an unknown option, or undefined when every name is known. */
function unknownOption(
  where: string,
  options: object | undefined,
  ...lists: Parameters<typeof checkOptionNames>[2][]
): Promise<never> | undefined {
  try {
    checkOptionNames(where, options, ...lists);
    return undefined;
  } catch (error) {
    return Promise.reject(error);
  }
}
