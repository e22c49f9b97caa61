/**
 * `SocketMessages`: the message-rate half of a {@link Socket}'s reads: a synchronous handler
 * per message (`onLine`, `onFrame`, `onMessage` with any decoder), a batch per read
 * (`lineBatches`, `frameBatches`), and the non-blocking try-reads. Each delegates to
 * `message-forms.ts`, whose sinks take messages straight from the receive buffer with no
 * promise per message. `Socket` extends it; it is not made on its own.
 *
 * @module
 */
import { checkOptions } from "./arguments.js";
import type { Decoder } from "./codec/decoder.js";
import type { FrameOptions } from "./codec/frame.js";
import type { LineOptions } from "./codec/line.js";
import type { FrameHandlerOptions } from "./frame-sink.js";
import type { IterateOptions, LinesOptions } from "./iterate.js";
import type { Lifecycle } from "./lifecycle.js";
import type { LineHandlerOptions } from "./line-sink.js";
import { MessageForms } from "./message-forms.js";
import {
  checkOptionNames,
  ITERATE,
  LENGTH_PREFIX,
  LINE,
  MESSAGE_HANDLER,
  TEXT,
  TRANSIENT,
  VARINT_FRAME,
} from "./options.js";
import { checkDecoder } from "./read-forms.js";
import type { MessageHandlerOptions } from "./sink.js";
import type { Socket } from "./socket.js";
import type { ResolvedSocketOptions } from "./socket-options.js";
import { bindReads, frameDefaults, SocketReads, withTextDefault } from "./socket-reads.js";
import type { TextOptions } from "./text.js";

/**
 * The message-rate reads of a {@link Socket}: use a `Socket` (from `connect()` or a server);
 * this class holds the methods it inherits.
 */
export abstract class SocketMessages<Tag = unknown> extends SocketReads<Tag> {
  #life!: Lifecycle<Tag>;

  /** @internal Called once by `Socket`'s constructor. */
  override [bindReads](life: Lifecycle<Tag>, options: ResolvedSocketOptions): void {
    super[bindReads](life, options);
    this.#life = life;
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
    return this.#messages().onLine(handler, this[withTextDefault](checked));
  }

  /**
   * Calls `handler(payload)` synchronously for every length-prefixed frame (the socket's
   * `frame` option, overridden by `options`), as {@link onLine} does for lines. A plain
   * length field (1–4 bytes) is read straight from each chunk and each payload handed out
   * as a view of it, valid after the handler returns; a length over `maxLength` is refused
   * from the header (`ERR_FRAME_TOO_LONG`), a frame cut by the end of the stream is
   * `ERR_INCOMPLETE_READ` with its `partial` bytes.
   * `transient: true` (default `false`) lets each payload be a view of the recycled read
   * buffer, valid only until the handler returns: on client sockets it saves a copy of
   * every read (W4r in `bench/RESULTS.md`); copy what you keep (`Buffer.from(payload)`).
   * @returns a function that removes the handler.
   * @throws SocketError as {@link onLine}, and `ERR_INVALID_ARGUMENT` for bad codec options
   * or a `transient` that is not a boolean.
   * @example
   * ```ts
   * // Each payload is parsed inside the handler and not kept: `transient` spares a copy.
   * socket.onFrame((payload) => handle(JSON.parse(payload.toString())), {
   *   width: 2,
   *   transient: true,
   * });
   * ```
   */
  onFrame(handler: (payload: Buffer) => void, options?: FrameHandlerOptions): () => void {
    const checked = checkOptions("options", options, {});
    const names = [LENGTH_PREFIX, VARINT_FRAME, MESSAGE_HANDLER, TRANSIENT] as const;
    checkOptionNames("onFrame()", checked, ...names);
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
    return this.#messages().lineBatches(this[withTextDefault](checked));
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
      () => this[frameDefaults],
    );
    return this.#messageForms;
  }
}
