/**
 * The message-rate forms of a `Socket` (issue #15): synchronous handlers (`onLine`,
 * `onFrame`, `onMessage`) fed each chunk as it arrives, with no promise, event or queue
 * entry per message; a batch per read for `for await` (`lineBatches`, `frameBatches`); and
 * the non-blocking try-reads (Tcl `gets` on a non-blocking channel, Xojo `DataAvailable`).
 * The sinks are in `sink.ts`, `line-sink.ts` and `frame-sink.ts`; the measurements behind
 * them in `bench/README.md`.
 *
 * @module
 */
import { checkInteger } from "./arguments.js";
import { BatchDecoder } from "./batch-decoder.js";
import { BytesSkipper, bytesDecoder } from "./codec/bytes.js";
import type { Decoder } from "./codec/decoder.js";
import type { FrameOptions } from "./codec/frame.js";
import { frameDecoder } from "./codec/frame.js";
import { LineDecoder, type LineOptions } from "./codec/line.js";
import { SocketError } from "./errors.js";
import { type FrameHandlerOptions, FrameSink } from "./frame-sink.js";
import { type IterateOptions, iterateBatches, type LinesOptions } from "./iterate.js";
import { type LineHandlerOptions, LineSink } from "./line-sink.js";
import type { Reader } from "./reader.js";
import { DecoderSink, type MessageHandlerOptions, type Sink, type SinkHost } from "./sink.js";
import { mergeFrameOptions } from "./socket-options.js";
import { decodeText, type TextOptions } from "./text.js";

/** The largest `tryReadBytes()` length: 4 GiB. */
const MAX_READ_LENGTH = 2 ** 32;

/** The message forms of one socket, over its read queue. */
export class MessageForms {
  readonly #reader: Reader;
  readonly #host: SinkHost;
  readonly #frame: () => FrameOptions | undefined;

  /**
   * @param report where a handler's error goes without `onError` (the socket's `'error'`
   * listeners); `frame` gives the socket's `frame` option.
   */
  constructor(
    reader: Reader,
    report: (error: SocketError) => void,
    frame: () => FrameOptions | undefined,
  ) {
    this.#reader = reader;
    this.#host = { detach: (sink) => reader.detach(sink), report };
    this.#frame = frame;
  }

  onLine(handler: (line: string) => void, options: LineHandlerOptions): () => void {
    checkHandler("onLine", handler);
    return this.#attach(new LineSink(this.#host, handler, options));
  }

  onFrame(handler: (payload: Buffer) => void, options: FrameHandlerOptions): () => void {
    checkHandler("onFrame", handler);
    const { onError, onEnd, transient, ...codec } = options;
    if (transient !== undefined && typeof transient !== "boolean") {
      throw new SocketError("ERR_INVALID_ARGUMENT", "transient must be true or false");
    }
    const handlers: MessageHandlerOptions = {};
    if (onError !== undefined) handlers.onError = onError;
    if (onEnd !== undefined) handlers.onEnd = onEnd;
    const merged = mergeFrameOptions(this.#frame(), codec);
    const sink = new FrameSink(this.#host, handler, merged ?? {}, handlers, transient === true);
    return this.#attach(sink);
  }

  onMessage<T>(
    decoder: Decoder<T>,
    handler: (message: T) => void,
    options: MessageHandlerOptions,
  ): () => void {
    checkHandler("onMessage", handler);
    return this.#attach(new DecoderSink(this.#host, decoder, handler, options));
  }

  lineBatches(options: LinesOptions): AsyncIterableIterator<string[], undefined, undefined> {
    const { onOverflow: _o, signal: _s, ...line } = options;
    const batches = new BatchDecoder<string>(
      (host, handler, handlers) => new LineSink(host, handler, { ...line, ...handlers }),
    );
    const lines = new LineDecoder(line);
    return iterateBatches(this.#reader, batches, () => lines.skipper(), options);
  }

  frameBatches(
    options: FrameOptions & IterateOptions,
  ): AsyncIterableIterator<Buffer[], undefined, undefined> {
    const { onOverflow: _o, signal: _s, ...frame } = options;
    const codec = mergeFrameOptions(this.#frame(), frame);
    const batches = new BatchDecoder<Buffer>(
      (host, handler, handlers) => new FrameSink(host, handler, codec ?? {}, handlers),
    );
    return iterateBatches(this.#reader, batches, frameSkipper, options);
  }

  tryReadLine(options: LineOptions & Partial<TextOptions>): Buffer | string | null {
    const line = this.#reader.decodeNow(new LineDecoder(options));
    const encoding = options.encoding;
    if (line === null || encoding === undefined) return line;
    return decodeText(line, encoding, options.invalidText ?? "replace");
  }

  tryReadFrame(options: FrameOptions): Buffer | null {
    return this.#reader.decodeNow(frameDecoder(mergeFrameOptions(this.#frame(), options)));
  }

  tryReadBytes(length: number): Buffer | null {
    return this.#reader.decodeNow(bytesDecoder(checkInteger("length", length, 0, MAX_READ_LENGTH)));
  }

  /** Feeds the stream to `sink`; the returned function removes it (idempotent). */
  #attach(sink: Sink): () => void {
    this.#reader.attach(sink);
    return () => this.#reader.detach(sink);
  }
}

/** An over-long frame is skipped by its declared length, when it declared one. */
function frameSkipper(error: { frameLength?: number | undefined }): Decoder | undefined {
  return error.frameLength === undefined ? undefined : new BytesSkipper(error.frameLength);
}

function checkHandler(what: string, handler: unknown): void {
  if (typeof handler !== "function") {
    throw new SocketError("ERR_INVALID_ARGUMENT", `${what}() needs a handler function`);
  }
}
