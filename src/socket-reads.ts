/**
 * `SocketReads`: the read-queue half of a {@link Socket}'s reads: promise reads, tagged reads,
 * iterators, reads with any decoder, flow control (`pause`/`resume`, `purge`), and the
 * socket's text encoding. `SocketMessages` and then `Socket` extend it; it is not made on
 * its own. Each method checks its arguments and delegates: the read forms to
 * `read-forms.ts`, flow control to the `Reader` (`reader.ts`).
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { checkData, checkOptions } from "./arguments.js";
import type { Decoder } from "./codec/decoder.js";
import type { Delimiter, DelimiterOptions } from "./codec/delimiter.js";
import type { FrameOptions } from "./codec/frame.js";
import type { LineOptions } from "./codec/line.js";
import type { IterateOptions, LinesOptions } from "./iterate.js";
import type { Lifecycle } from "./lifecycle.js";
import {
  checkOptionNames,
  DELIMITER,
  ITERATE,
  LENGTH_PREFIX,
  LINE,
  READ,
  TAGGED_READ,
  TEXT,
  VARINT_FRAME,
} from "./options.js";
import { ReadForms } from "./read-forms.js";
import type { ReadOptions, TaggedReadOptions } from "./read-options.js";
import { readsDone } from "./reader.js";
import type { Socket } from "./socket.js";
import type { SocketEvents } from "./socket-events.js";
import type { ResolvedSocketOptions } from "./socket-options.js";
import {
  checkSocketEncoding,
  encodeChecked,
  type SocketEncoding,
  type TextOptions,
} from "./text.js";

/** @internal How `Socket` hands its lifecycle to the reading half, once made. */
export const bindReads: unique symbol = Symbol("sockit.bindReads");
/** @internal A string in the socket's encoding (checked data as it is otherwise). */
export const encodeForWrite: unique symbol = Symbol("sockit.encodeForWrite");
/** @internal The socket's `frame` option, for `writeFrame()` and the frame handlers. */
export const frameDefaults: unique symbol = Symbol("sockit.frameDefaults");
/** @internal Text read options with the socket's encoding where they name none. */
export const withTextDefault: unique symbol = Symbol("sockit.withTextDefault");

/**
 * The reading half of a {@link Socket}: use a `Socket` (from `connect()` or a server); this
 * class holds the read methods it inherits.
 */
export abstract class SocketReads<Tag = unknown> extends EventEmitter<SocketEvents<Tag>> {
  #life!: Lifecycle<Tag>;
  #reads!: ReadForms<Tag>;
  /** The text encoding of strings written and of text reads; undefined for UTF-8. */
  #encoding: SocketEncoding | undefined;

  /** @internal Called once by `Socket`'s constructor. */
  [bindReads](life: Lifecycle<Tag>, options: ResolvedSocketOptions): void {
    this.#life = life;
    this.#reads = new ReadForms<Tag>(life, options.frame);
    this.#encoding = options.encoding;
  }

  /** @internal */
  [encodeForWrite](data: string | Uint8Array): string | Uint8Array {
    const checked = checkData(data);
    const encoding = this.#encoding;
    return encoding === undefined || typeof checked !== "string"
      ? checked
      : encodeChecked(checked, encoding);
  }

  /** @internal */
  get [frameDefaults](): FrameOptions | undefined {
    return this.#reads.frameOptions;
  }

  /** @internal How many reads have completed: a server's `firstMessageTimeout` asks. */
  get [readsDone](): number {
    return this.#life.reader.delivered;
  }

  // ---- reading (read-forms.ts) ----

  /** Bytes in the receive buffer, not yet read. */
  get available(): number {
    return this.#life.reader.buffer.length;
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
   * const LINE = 1;
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
    return this.#reads.lines(this[withTextDefault](checked));
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

  /** Drops every byte in the receive buffer (Xojo `Purge`); returns how many. */
  purge(): number {
    return this.#life.reader.purge();
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

  /** @internal Text read options with the socket's encoding where the call gave none. */
  [withTextDefault]<T extends { encoding?: BufferEncoding }>(options: T): T {
    const encoding = this.#encoding;
    return encoding === undefined || options.encoding !== undefined
      ? options
      : { ...options, encoding };
  }
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
