/**
 * The read forms of a `Socket`: which decoder serves each call (`readBytes`, `readUntil`,
 * `readLine`, `readAvailable`, `readFrame`, the tagged `read`, the iterators), the decoders
 * cached per socket for the common calls, how a tagged read settles, and text decoding of a
 * result. Every form is a use of one path: a decoder put on the read queue (`reader.ts`),
 * or decoded at once when that keeps the FIFO order.
 *
 * @module
 */

import { checkInteger, checkReadOptions } from "./arguments.js";
import { availableDecoder, bytesDecoder, chunkDecoder } from "./codec/bytes.js";
import type { Decoder } from "./codec/decoder.js";
import { type Delimiter, DelimiterDecoder, type DelimiterOptions } from "./codec/delimiter.js";
import { type FrameOptions, frameDecoder } from "./codec/frame.js";
import { LineDecoder, type LineOptions } from "./codec/line.js";
import { debugEnabled, traceRead } from "./diagnostics.js";
import { SocketError, toDecoderError } from "./errors.js";
import {
  type IterateOptions,
  iterateFrames,
  iterateLengthFrames,
  iterateLines,
  iterateMessages,
  type LinesOptions,
  noSkipper,
} from "./iterate.js";
import type { ReadOptions, ReadSettle, TaggedReadOptions } from "./read-options.js";
import type { Reader } from "./reader.js";
import { mergeFrameOptions } from "./socket-options.js";
import { decodeText, type TextOptions } from "./text.js";

/** The socket the reads are for (its lifecycle): its read queue, its events. */
export interface ReadOwner<Tag> {
  readonly reader: Reader;
  /** Where tagged reads settle: the socket's `'read'` and `'readError'` events. */
  readonly host: {
    listenerCount(event: "readError"): number;
    emit(event: "read", data: Buffer, tag: Tag | undefined): boolean;
    emit(event: "readError", error: SocketError, tag: Tag | undefined): boolean;
  };
  /** Reports an error to `'error'` listeners, if any, recording nothing. */
  report(error: SocketError): void;
  /** How the debug log names the peer. */
  describePeer(): string;
}

/**
 * How every tagged read of a socket settles: into its `'read'` and `'readError'` events, as
 * plain calls, not a promise (a throwing listener throws like any event listener). One per
 * socket, made at its first tagged read; methods rather than closures (W5: ≈ 200 bytes less
 * per connection).
 */
class TaggedSettle<Tag> implements ReadSettle {
  readonly #owner: ReadOwner<Tag>;

  constructor(owner: ReadOwner<Tag>) {
    this.#owner = owner;
  }

  resolve(data: Buffer, tag: unknown): void {
    if (debugEnabled) traceRead(this.#owner.describePeer(), data.length, tag);
    this.#owner.host.emit("read", data, tag as Tag);
  }

  reject(error: SocketError, tag: unknown): void {
    const host = this.#owner.host;
    if (host.listenerCount("readError") > 0) host.emit("readError", error, tag as Tag);
    else this.#owner.report(error); // a failed read is not the socket's error: record nothing
  }
}

/** The largest `readBytes()` / `read(n)` length: 4 GiB. */
const MAX_READ_LENGTH = 2 ** 32;

/** The read forms of one socket, over its read queue. */
export class ReadForms<Tag> {
  readonly #reader: Reader;
  readonly #frame: FrameOptions | undefined;
  readonly #owner: ReadOwner<Tag>;
  /**
   * Decoders for the common calls, made once per socket: a read with default options reuses
   * one (the reader resets it as each read starts) instead of building one per call
   * (bench W2, W4).
   */
  #defaults:
    | {
        line?: LineDecoder;
        frame?: Decoder;
        delimited?: Map<string, DelimiterDecoder>;
      }
    | undefined;
  /** How every tagged read settles, made on the first one. */
  #tagged: ReadSettle | undefined;

  constructor(owner: ReadOwner<Tag>, frame: FrameOptions | undefined) {
    this.#reader = owner.reader;
    this.#frame = frame;
    this.#owner = owner;
  }

  /** The socket's `frame` option: its length-prefix codec. */
  get frameOptions(): FrameOptions | undefined {
    return this.#frame;
  }

  readBytes(length: number, options: ReadOptions | undefined): Promise<Buffer> {
    let decoder: Decoder;
    try {
      decoder = bytesDecoder(checkInteger("length", length, 0, MAX_READ_LENGTH));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#readWith(decoder, options);
  }

  readUntil(
    delimiter: Delimiter | readonly Delimiter[],
    options: (DelimiterOptions & ReadOptions & Partial<TextOptions>) | undefined,
  ): Promise<Buffer | string> {
    let decoder: Decoder;
    try {
      decoder = this.#delimited(delimiter, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return text(this.#readWith(decoder, options), options);
  }

  readLine(
    options: (LineOptions & ReadOptions & Partial<TextOptions>) | undefined,
  ): Promise<Buffer | string> {
    let decoder: Decoder;
    try {
      decoder = this.#lines(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return text(this.#readWith(decoder, options), options);
  }

  readAvailable(options: ReadOptions | undefined): Promise<Buffer> {
    return this.#readWith(availableDecoder, options);
  }

  readFrame(options: (FrameOptions & ReadOptions) | undefined): Promise<Buffer> {
    let decoder: Decoder;
    try {
      if (options === undefined) decoder = this.#frames(undefined);
      else {
        const { timeout: _t, signal: _s, ...frame } = options;
        decoder = this.#frames(frame);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#readWith(decoder, options);
  }

  /** One message of a user's decoder, on the path of the built-in reads. */
  readWith<T>(decoder: Decoder<T>, options: ReadOptions | undefined): Promise<T> {
    try {
      checkDecoder(decoder);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#readWith(decoder, options);
  }

  /** A user's decoder's messages until the stream ends cleanly. */
  messages<T>(
    decoder: Decoder<T>,
    options: { signal?: AbortSignal },
  ): AsyncIterableIterator<T, undefined, undefined> {
    checkDecoder(decoder);
    return iterateMessages(this.#reader, decoder, options);
  }

  /** The tagged read: its result goes to `'read'`, its failure to `'readError'`. */
  tagged(
    what: number | Delimiter | readonly Delimiter[],
    tag: Tag | undefined,
    options?: TaggedReadOptions,
  ): void {
    const decoder =
      typeof what === "number"
        ? bytesDecoder(checkInteger("length", what, 0, MAX_READ_LENGTH))
        : this.#delimited(what, undefined);
    this.#tagged ??= new TaggedSettle(this.#owner);
    this.#reader.enqueue(decoder, this.#tagged, options, tag);
  }

  lines(options: LinesOptions): AsyncIterableIterator<string, undefined, undefined> {
    return iterateLines(this.#reader, options);
  }

  frames(
    options: FrameOptions & IterateOptions,
  ): AsyncIterableIterator<Buffer, undefined, undefined> {
    const { onOverflow: _o, signal: _s, ...frame } = options;
    return iterateLengthFrames(this.#reader, mergeFrameOptions(this.#frame, frame), options);
  }

  chunks(): AsyncIterableIterator<Buffer, undefined, undefined> {
    return iterateFrames(this.#reader, chunkDecoder, noSkipper);
  }

  /**
   * The one read path: when no read waits and the message is already buffered, it settles
   * at once without queueing (`decodeNow`); otherwise the decoder goes on the read queue.
   */
  #readWith<T>(decoder: Decoder<T>, options: ReadOptions | undefined): Promise<T> {
    if (options?.signal?.aborted !== true && checkReadOptions(options) === undefined) {
      try {
        const frame = this.#reader.decodeNow(decoder);
        if (frame !== null) return Promise.resolve(frame);
      } catch (error) {
        return Promise.reject(toDecoderError(error));
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.#reader.enqueue(decoder, { resolve, reject }, options);
    });
  }

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
}

/**
 * Throws `ERR_INVALID_ARGUMENT` unless `decoder` keeps the {@link Decoder} contract's
 * shape: `decode` and `decodeEof` functions, and `reset` a function when present.
 */
export function checkDecoder(decoder: unknown): void {
  const d = decoder as Partial<Record<keyof Decoder, unknown>> | null | undefined;
  const ok =
    typeof d === "object" &&
    d !== null &&
    typeof d.decode === "function" &&
    typeof d.decodeEof === "function" &&
    (d.reset === undefined || typeof d.reset === "function");
  if (!ok) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      "a decoder needs decode(buffer) and decodeEof(buffer, cause) methods",
    );
  }
}

/** Decodes the result of a read when an `encoding` is asked for. */
function text(
  read: Promise<Buffer>,
  options: Partial<TextOptions> | undefined,
): Promise<Buffer | string> {
  const encoding = options?.encoding;
  if (encoding === undefined) return read;
  return read.then((data) => decodeText(data, encoding, options?.invalidText ?? "replace"));
}
