/**
 * `socket.onLine(handler)`: every line as a string, by a plain call. The fast path decodes
 * each chunk's complete lines to text once and cuts them with `String#indexOf`/`slice` (no
 * `Buffer` per line, no promise); a line that straddles two chunks, text whose characters
 * are not one byte each, and any other text encoding go through the {@link LineDecoder} on
 * the receive buffer instead. Both paths give the same lines, however the bytes were chunked.
 *
 * @module
 */
import { checkMaxLength, DEFAULT_MAX_LINE_LENGTH } from "./codec/delimiter.js";
import { LineDecoder, type LineOptions } from "./codec/line.js";
import { FrameTooLongError, IncompleteReadError } from "./errors.js";
import { chunkText, segmentEnd } from "./line-text.js";
import type { ReceiveBuffer } from "./receive-buffer.js";
import {
  asError,
  callHandler,
  handlerFailed,
  keep,
  type MessageHandlerOptions,
  Sink,
  type SinkHost,
} from "./sink.js";
import { decodeText, type InvalidText, type TextEncoding } from "./text.js";

/** Options of `onLine()`: the line codec, the text decoding, and where errors go. */
export interface LineHandlerOptions extends LineOptions, MessageHandlerOptions {
  /** The text encoding of the lines. @default "utf8" */
  encoding?: TextEncoding;
  /** Bytes not valid in `encoding`: U+FFFD, or `ERR_INVALID_TEXT`. @default "replace" */
  invalidText?: InvalidText;
}

/**
 * What the constructor decodes to check the encoding. Shared: `Buffer.alloc(0)` costs
 * ≈ 230 ns, two thirds of making a sink, and a batch per read makes one per read.
 */
const NO_BYTES = Buffer.alloc(0);

const LF = 0x0a;
const CR = 0x0d;

/** Lines to a handler, with the chunk-at-a-time text fast path. */
export class LineSink extends Sink {
  readonly #handler: (line: string) => void;
  readonly #decoder: LineDecoder;
  readonly #maxLength: number;
  /** `"any"`: a CR before the LF belongs to the line ending. */
  readonly #stripCr: boolean;
  /** What ends a line on the fast path: `"\n"`, or `"\r\n"` for `eol: "crlf"`. */
  readonly #separator: string;
  /** The fast path's encoding (`utf8` or `latin1`), or undefined when it cannot be used. */
  readonly #fast: "utf8" | "latin1" | undefined;
  readonly #text: (line: Buffer) => string;

  constructor(host: SinkHost, handler: (line: string) => void, options: LineHandlerOptions) {
    super(host, options);
    const { eol = "any", encoding = "utf8", invalidText = "replace" } = options;
    this.#handler = handler;
    this.#decoder = new LineDecoder(options);
    this.#maxLength = checkMaxLength(options.maxLength, DEFAULT_MAX_LINE_LENGTH);
    this.#stripCr = eol === "any";
    this.#separator = eol === "crlf" ? "\r\n" : "\n";
    const name = encoding.toLowerCase();
    const utf8 = name === "utf8" || name === "utf-8";
    const latin1 = name === "latin1" || name === "binary";
    // `"cr"` lines, and `"any"` lines ended by a lone CR, go through the decoder (below).
    this.#fast =
      invalidText !== "replace" || eol === "cr"
        ? undefined
        : utf8
          ? "utf8"
          : latin1
            ? "latin1"
            : undefined;
    this.#text = (line) => decodeText(line, encoding, invalidText); // checks the encoding now
    this.#text(NO_BYTES);
  }

  feed(buffer: ReceiveBuffer, chunk: Buffer | undefined, transient = false): void {
    try {
      if (chunk === undefined || this.#fast === undefined || this.#needsDecoder(buffer, chunk)) {
        if (chunk !== undefined) keep(buffer, chunk, transient);
        this.#slow(buffer);
      } else if (buffer.length === 0) {
        this.#chunk(buffer, chunk, 0, transient);
      } else {
        this.#straddle(buffer, chunk, transient);
      }
    } catch (error) {
      this.fail(asError(error));
    }
  }

  /**
   * Whether `chunk` must go through the decoder: with `"any"`, a CR in it may end a line on
   * its own, and an LF that a lone CR of the last chunk left pending must be dropped (the
   * receive buffer does that as the chunk is appended).
   */
  #needsDecoder(buffer: ReceiveBuffer, chunk: Buffer): boolean {
    return this.#stripCr && (buffer.dropsNextLf || chunk.indexOf(CR) >= 0);
  }

  /** A partial line waits in the buffer: complete it with the chunk, then go fast again. */
  #straddle(buffer: ReceiveBuffer, chunk: Buffer, transient: boolean): void {
    const lf = chunk.indexOf(LF);
    if (lf < 0) {
      keep(buffer, chunk, transient);
      this.#slow(buffer); // checks the growing line against maxLength
      return;
    }
    const rest = lf + 1;
    keep(buffer, chunk.subarray(0, rest), transient);
    try {
      this.#slow(buffer);
    } catch (error) {
      keep(buffer, chunk.subarray(rest), transient); // nothing after the failure is lost
      throw error;
    }
    if (buffer.length === 0 && !this.halted) {
      this.#chunk(buffer, chunk, rest, transient);
      return;
    }
    keep(buffer, chunk.subarray(rest), transient); // halted, or a CRLF line still open
    if (!this.halted) this.#slow(buffer);
  }

  /** The buffer changed under the sink (purged, handed to a TLS layer): scan it afresh. */
  override reset(): void {
    this.#decoder.reset();
  }

  /** The generic path: line by line through the decoder, from the buffer. */
  #slow(buffer: ReceiveBuffer): void {
    const decoder = this.#decoder;
    const text = this.#text;
    const handler = this.#handler;
    this.drain(buffer, decoder, (line) => callHandler(handler, text(line)));
  }

  /**
   * The fast path over `chunk` from `from`, with nothing buffered: decode its complete lines
   * a segment at a time (each segment once, see `line-text.ts`), cut the lines from the
   * text; what follows the last LF stays buffered.
   */
  #chunk(buffer: ReceiveBuffer, chunk: Buffer, from: number, transient: boolean): void {
    const last = chunk.lastIndexOf(LF);
    let at = from;
    while (at <= last) {
      at = this.#segment(buffer, chunk, at, segmentEnd(chunk, at, last) + 1, transient);
      if (at < 0) return; // the rest is buffered already
    }
    this.#keep(buffer, chunk, at, transient);
  }

  /**
   * Hands out the lines of `chunk` from `from` to `end` (just past an LF). Returns where the
   * next segment starts, or -1 when the rest of the chunk was buffered instead (halted, or
   * characters of several bytes: the decoder's path).
   */
  #segment(buffer: ReceiveBuffer, chunk: Buffer, from: number, end: number, transient: boolean) {
    const text = chunkText(chunk, this.#fast ?? "utf8", from, end);
    if (text.length !== end - from) {
      // Some characters took more than a byte: text positions are not byte positions.
      keep(buffer, chunk.subarray(from), transient);
      this.#slow(buffer);
      return -1;
    }
    const handler = this.#handler;
    const separator = this.#separator;
    const max = this.#maxLength;
    let start = 0;
    try {
      for (;;) {
        const at = text.indexOf(separator, start);
        if (at < 0) break;
        const stop = this.#stripCr && at > start && text.charCodeAt(at - 1) === 0x0d ? at - 1 : at;
        if (stop - start > max) {
          keep(buffer, chunk.subarray(from + start), transient);
          throw new FrameTooLongError(max); // the line stays buffered, as readLine() leaves it
        }
        const line = text.slice(start, stop);
        start = at + separator.length;
        handler(line);
        if (this.halted) break;
      }
    } catch (error) {
      if (!(error instanceof FrameTooLongError))
        keep(buffer, chunk.subarray(from + start), transient);
      throw error instanceof FrameTooLongError ? error : handlerFailed(error);
    }
    if (this.halted) {
      this.#keep(buffer, chunk, from + start, transient);
      return -1;
    }
    if (start === text.length) return end;
    // `"crlf"` and a bare LF ended the segment: the line goes on past it, so the rest of the
    // chunk takes the decoder's path (its complete lines are handed out now).
    keep(buffer, chunk.subarray(from + start), transient);
    this.#slow(buffer);
    return -1;
  }

  /** Buffers the rest of `chunk` from `from`: a partial line (checked against maxLength). */
  #keep(buffer: ReceiveBuffer, chunk: Buffer, from: number, transient: boolean): void {
    if (from >= chunk.length) return;
    keep(buffer, chunk.subarray(from), transient);
    // A partial line: the decoder refuses it once it is proven too long; halted: left as is.
    if (!this.halted && buffer.length > this.#maxLength) this.#slow(buffer);
  }

  protected finishClean(buffer: ReceiveBuffer): void {
    this.#slow(buffer);
    if (buffer.length === 0 || this.halted) return;
    try {
      this.#decoder.decodeEof(buffer);
    } catch (error) {
      // The last line, without a line ending: delivered, as lines() and readline do.
      if (!(error instanceof IncompleteReadError)) throw error;
      callHandler(this.#handler, this.#text(error.partial));
    }
  }
}
