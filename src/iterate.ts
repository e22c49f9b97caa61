/**
 * Async iteration over a socket's reads: `for await (const line of socket.lines())`,
 * `socket.frames()`, `for await (const chunk of socket)`. Each step is one queued read, so
 * iteration keeps the FIFO order with other reads, and breaking out of a loop leaves the
 * unread bytes in the receive buffer.
 *
 * @module
 */
import { BytesSkipper } from "./codec/bytes.js";
import type { Decoder } from "./codec/decoder.js";
import { checkMaxLength, DEFAULT_MAX_LINE_LENGTH } from "./codec/delimiter.js";
import { type FrameOptions, frameDecoder } from "./codec/frame.js";
import { LineDecoder, type LineOptions } from "./codec/line.js";
import {
  FrameTooLongError,
  IncompleteReadError,
  type SocketError,
  toDecoderError,
} from "./errors.js";
import { LineText } from "./line-text.js";
import type { ReadOptions, ReadSettle } from "./read-options.js";
import type { ReceiveBuffer } from "./receive-buffer.js";
import { decodeText, type TextOptions } from "./text.js";

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** What a step of an iterator settles with: a result, or a promise of one (a failure). */
type Outcome<T> = IteratorResult<T, undefined> | Promise<IteratorResult<T, undefined>>;

/** What to do with a frame over `maxLength` while iterating. */
export type OnOverflow = "error" | "skip";

/** The skipper of a read whose messages cannot be skipped: one function for every iterator. */
export const noSkipper = (): undefined => undefined;

/** Options of `lines()` and `frames()` beyond the codec's own. */
export interface IterateOptions {
  /**
   * `"error"`: the loop ends by throwing `ERR_FRAME_TOO_LONG` (the bytes stay buffered).
   * `"skip"`: the over-long frame is discarded as it arrives, never buffered whole: a
   * delimited frame exactly through its next delimiter, a length-prefixed one exactly its
   * declared length. A length too large to count (an 8-byte length over 2^53) cannot be
   * skipped and ends the loop with the error.
   * @default "error"
   */
  onOverflow?: OnOverflow;
  /** Ends the loop: the pending read is aborted with `ERR_ABORTED`, which the loop throws. */
  signal?: AbortSignal;
}

/** Takes a frame straight out of the buffer, already mapped (the iterator's fast path). */
export type FastDecoder<T> = Pick<Decoder<T>, "decode">;

/**
 * Where an iterator's frames come from: the socket's read queue itself (a `Reader`), called
 * directly on every step.
 */
export interface FrameSource {
  /** Queues one read; it settles through `settle` exactly once. */
  enqueue<T>(decoder: Decoder<T>, settle: ReadSettle<T>, options?: ReadOptions): void;
  /**
   * A frame decoded at once when no other read waits and one is complete, or null: the fast
   * path that spares a queued read and its promise when frames are already buffered.
   */
  decodeNow<T>(decoder: FastDecoder<T>): T | null;
}

/**
 * Frames from successive reads until the stream ends cleanly, as an async iterator written
 * by hand rather than as an async generator: when a frame is already buffered and no other
 * read waits, `next()` hands it over without queueing a read; otherwise it queues one read
 * that settles the promise `next()` returned, directly (one promise per frame either way,
 * where nested generators cost several). A frame cut short by the end of the stream throws
 * `ERR_INCOMPLETE_READ` with its `partial` bytes, unless `last` turns it into a last value.
 */
class FrameIterator<T> implements AsyncIterableIterator<T, undefined, undefined> {
  readonly #source: FrameSource;
  /** Takes one frame, already as `T`: at once when buffered, or through a queued read. */
  readonly #decoder: Decoder<T>;
  readonly #skipper: (error: FrameTooLongError) => Decoder | undefined;
  readonly #last: ((error: IncompleteReadError) => T | undefined) | undefined;
  readonly #skip: boolean;
  /** The options of every read this iterator queues: its `signal`, or none. */
  readonly #options: ReadOptions | undefined;
  #done = false;
  /**
   * How the queued reads of this iterator settle: into the promise `next()` returned. One
   * small object whose methods reach this iterator's private ones: two closures and their
   * object would cost ≈ 150 bytes more for every connection a loop waits on (W5).
   */
  static readonly #Settle = class IteratorSettle implements ReadSettle<unknown> {
    readonly #iterator: FrameIterator<unknown>;
    constructor(iterator: FrameIterator<unknown>) {
      this.#iterator = iterator;
    }
    resolve(value: unknown): void {
      this.#iterator.#onValue(value); // a skipper's empty buffer when skipping
    }
    reject(error: SocketError): void {
      this.#iterator.#onError(error);
    }
  };
  // (The settle hands values over untyped, as every queued read's does: hence `unknown`.)
  readonly #settle: ReadSettle<unknown> = new FrameIterator.#Settle(
    this as unknown as FrameIterator<unknown>,
  );
  /** The step whose read is queued, until it settles: a `next()` made meanwhile waits. */
  #inflight: Promise<IteratorResult<T, undefined>> | undefined;
  /** The promise `next()` returned while a read is queued for it. */
  #waiting: ((outcome: Outcome<T>) => void) | undefined;
  /** The queued read is a skipper discarding an over-long frame. */
  #skipping = false;

  constructor(
    source: FrameSource,
    decoder: Decoder<T>,
    skipper: (error: FrameTooLongError) => Decoder | undefined,
    options: IterateOptions,
    last?: (error: IncompleteReadError) => T | undefined,
  ) {
    this.#source = source;
    this.#decoder = decoder;
    this.#skipper = skipper;
    this.#skip = (options.onOverflow ?? "error") === "skip";
    this.#options = options.signal === undefined ? undefined : { signal: options.signal };
    this.#last = last;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#inflight !== undefined) {
      // An earlier step still waits for its frame: this one follows it, so frames come out
      // in order and every step settles (as an async generator's queued next() calls do).
      const after = (): Promise<IteratorResult<T, undefined>> => this.next();
      return this.#inflight.then(after, after);
    }
    if (this.#done) return Promise.resolve(DONE);
    if (!this.#options?.signal?.aborted) {
      try {
        const value = this.#source.decodeNow(this.#decoder);
        if (value !== null) return Promise.resolve({ done: false, value });
      } catch (error) {
        if (!this.#skippable(error)) return this.#fail(toDecoderError(error));
      }
    }
    const step = new Promise<IteratorResult<T, undefined>>((resolve) => {
      this.#waiting = resolve;
      this.#source.enqueue<unknown>(this.#decoder, this.#settle, this.#options);
    });
    if (this.#waiting !== undefined) this.#inflight = step; // not settled at once
    return step;
  }

  /** Ends the iteration; unread bytes stay in the receive buffer. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.#done = true;
    return Promise.resolve(DONE);
  }

  #onValue(value: T): void {
    if (this.#skipping) {
      this.#skipping = false; // the over-long frame is gone: read the next one
      this.#source.enqueue<unknown>(this.#decoder, this.#settle, this.#options);
      return;
    }
    this.#finish({ done: false, value });
  }

  #onError(error: SocketError): void {
    if (this.#skipping) {
      this.#skipping = false;
      this.#finish(this.#fail(error));
      return;
    }
    if (error.code === "ERR_END_OF_STREAM") {
      this.#done = true;
      this.#finish(DONE);
      return;
    }
    const skipper = this.#skippable(error);
    if (skipper === undefined) {
      this.#finish(this.#fail(error));
      return;
    }
    this.#skipping = true;
    this.#source.enqueue<unknown>(skipper, this.#settle, this.#options);
  }

  /** Settles the promise `next()` returned: with a result, or as the promise `outcome` does. */
  #finish(outcome: Outcome<T>): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    this.#inflight = undefined;
    waiting?.(outcome);
  }

  /** The skipper for an over-long frame, when the caller chose to skip and it can be skipped. */
  #skippable(error: unknown): Decoder | undefined {
    return this.#skip && error instanceof FrameTooLongError ? this.#skipper(error) : undefined;
  }

  #fail(error: unknown): Promise<IteratorResult<T, undefined>> {
    this.#done = true;
    if (this.#last !== undefined && error instanceof IncompleteReadError) {
      let value: T | undefined;
      try {
        value = this.#last(error); // decoding the last line can fail too (invalidText "error")
      } catch (decodeError) {
        return Promise.reject(decodeError);
      }
      if (value !== undefined) return Promise.resolve({ done: false, value });
    }
    return Promise.reject(error);
  }
}

/**
 * Frames until the stream ends cleanly; `skipper` gives the decoder that discards a frame
 * refused as too long (undefined: it cannot be skipped).
 */
export function iterateFrames(
  source: FrameSource,
  decoder: Decoder,
  skipper: (error: FrameTooLongError) => Decoder | undefined,
  options: IterateOptions = {},
): AsyncIterableIterator<Buffer, undefined, undefined> {
  return new FrameIterator(source, decoder, skipper, options);
}

/**
 * Batches (every complete message of a read, as one array: `lineBatches()`,
 * `frameBatches()`) until the stream ends cleanly; an over-long message is skipped through
 * `skipper` when `onOverflow` is `"skip"`.
 */
export function iterateBatches<T>(
  source: FrameSource,
  decoder: Decoder<T[]>,
  skipper: (error: FrameTooLongError) => Decoder | undefined,
  options: IterateOptions,
): AsyncIterableIterator<T[], undefined, undefined> {
  return new FrameIterator(source, decoder, skipper, options);
}

/** Messages of any decoder (`socket.messages()`) until the stream ends cleanly. */
export function iterateMessages<T>(
  source: FrameSource,
  decoder: Decoder<T>,
  options: { signal?: AbortSignal },
): AsyncIterableIterator<T, undefined, undefined> {
  const signal = options.signal;
  return new FrameIterator(source, decoder, noSkipper, signal === undefined ? {} : { signal });
}

/** Options of `lines()`: the line codec, the text decoding (UTF-8 by default), iteration. */
export type LinesOptions = LineOptions & Partial<TextOptions> & IterateOptions;

/**
 * Lines as text until the stream ends; a last line without a line ending is yielded too,
 * as Node's readline does (but not one cut short by an error). An over-long line is
 * skipped through its line ending.
 */
export function iterateLines(
  source: FrameSource,
  options: LinesOptions,
): AsyncIterableIterator<string, undefined, undefined> {
  const { encoding = "utf8", invalidText = "replace", eol = "any" } = options;
  const lines = new LineDecoder(options);
  // UTF-8 with replacement is Node's own decoding: straight from the receive buffer.
  const utf8 = invalidText === "replace" && (encoding === "utf8" || encoding === "utf-8");
  const text = utf8
    ? (line: Buffer): string => line.toString()
    : (line: Buffer): string => decodeText(line, encoding, invalidText);
  const one: (buffer: ReceiveBuffer) => string | null = utf8
    ? (buffer) => lines.decodeText(buffer)
    : (buffer) => mapFrame(lines.decode(buffer), text);
  // The fast path: a chunk's lines decoded to text once, cut one by one (line-text.ts).
  const fast = invalidText !== "replace" ? undefined : textEncoding(encoding);
  const cursor =
    fast === undefined || eol === "cr"
      ? undefined
      : new LineText({
          eol,
          encoding: fast,
          maxLength: checkMaxLength(options.maxLength, DEFAULT_MAX_LINE_LENGTH),
        });
  // The line decoder, handing out text: the same scan state whichever path takes a line.
  const decoder: Decoder<string> = {
    decode: cursor === undefined ? one : (buffer) => cursor.take(buffer) ?? one(buffer),
    decodeEof: (buffer, cause) => mapFrame(lines.decodeEof(buffer, cause), text),
    reset: () => {
      lines.reset();
      cursor?.reset();
    },
  };
  const last = (error: IncompleteReadError): string | undefined =>
    error.cause === undefined ? text(error.partial) : undefined;
  return new FrameIterator(source, decoder, () => lines.skipper(), options, last);
}

/**
 * Length-prefixed payloads until the stream ends cleanly; an over-long frame is skipped by
 * its declared length when `onOverflow` is `"skip"`.
 */
export function iterateLengthFrames(
  source: FrameSource,
  codec: FrameOptions | undefined,
  options: IterateOptions,
): AsyncIterableIterator<Buffer, undefined, undefined> {
  const skip = (error: FrameTooLongError) =>
    error.frameLength === undefined ? undefined : new BytesSkipper(error.frameLength);
  return iterateFrames(source, frameDecoder(codec), skip, options);
}

/** The encodings whose characters the line-text fast path can count as bytes. */
function textEncoding(encoding: string): "utf8" | "latin1" | undefined {
  const name = encoding.toLowerCase();
  if (name === "utf8" || name === "utf-8") return "utf8";
  return name === "latin1" || name === "binary" ? "latin1" : undefined;
}

function mapFrame<T>(frame: Buffer | null, map: (frame: Buffer) => T): T | null {
  return frame === null ? null : map(frame);
}
