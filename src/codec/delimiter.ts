/**
 * Delimiter framing: pure, no I/O. A decoder looks at a {@link ReceiveBuffer} and either
 * takes one frame out of it or says "need more bytes" (`null`), as tokio-util's codecs do.
 *
 * @module
 */

import { checkMaxLength } from "../arguments.js";
import { FrameTooLongError, IncompleteReadError, SocketError } from "../errors.js";
import type { ReceiveBuffer } from "../receive-buffer.js";
import type { Decoder } from "./decoder.js";

/** The contract and the check live in their own modules; re-exported for older imports. */
export { checkMaxLength } from "../arguments.js";
export type { Decoder } from "./decoder.js";

/** A delimiter: text (encoded as UTF-8) or bytes. Must not be empty. */
export type Delimiter = string | Uint8Array;

/** The default `maxLength` of a delimiter read: 1 MiB (1,048,576 bytes). */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;

/** Options of a delimiter read or decoder. */
export interface DelimiterOptions {
  /**
   * The longest frame accepted, in bytes, not counting the delimiter. A longer frame is
   * refused with `ERR_FRAME_TOO_LONG` as soon as the buffered bytes prove it, and the bytes
   * stay in the buffer. An unbounded delimiter search on untrusted input is a
   * denial-of-service risk, hence the default.
   * @default 1048576 (1 MiB)
   */
  maxLength?: number;
  /**
   * Whether the frame handed back ends with its delimiter (hs.socket reads "up to and
   * including the delimiter").
   * @default true
   */
  include?: boolean;
}

/** Normalizes one delimiter or several into byte arrays; refuses empty ones. */
export function toDelimiters(delimiters: Delimiter | readonly Delimiter[]): Buffer[] {
  const list =
    typeof delimiters === "string" || delimiters instanceof Uint8Array ? [delimiters] : delimiters;
  if (!Array.isArray(list)) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      "a delimiter is a string, a Uint8Array, or an array of them",
    );
  }
  if (list.length === 0) {
    throw new SocketError("ERR_INVALID_ARGUMENT", "at least one delimiter is needed");
  }
  return list.map((d: unknown) => {
    if (typeof d !== "string" && !(d instanceof Uint8Array)) {
      throw new SocketError("ERR_INVALID_ARGUMENT", "a delimiter is a string or a Uint8Array");
    }
    const bytes =
      typeof d === "string"
        ? Buffer.from(d, "utf8")
        : Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    if (bytes.length === 0)
      throw new SocketError("ERR_INVALID_ARGUMENT", "a delimiter must not be empty");
    return bytes;
  });
}

/**
 * Splits a byte stream at one or more delimiters.
 *
 * With several delimiters the shortest frame wins: the match that ends first, as Python's
 * `asyncio` `readuntil` does with several separators; of two that end at the same byte the
 * longer delimiter is taken (`"\r\n"` over `"\n"`). A match is final as soon as its last
 * byte arrives, so a read never waits for bytes the peer may never send, and the frames
 * never depend on how the bytes were chunked. One consequence: when a delimiter is a prefix
 * of another (`"\r"` and `"\r\n"`), the shorter one always ends first, so
 * `["\r\n", "\n", "\r"]` splits `"a\r\nb\n"` into `"a\r"`, `"\n"` and `"b\n"`. For
 * lines with any ending use `readLine()` (`eol: "any"` ends a line at CR, LF or CR LF and
 * drops the LF of a CR LF whenever it arrives). The search resumes where the previous one
 * stopped, so no byte is scanned twice, and a delimiter split across chunks is found.
 *
 * @example
 * ```ts
 * const decoder = new DelimiterDecoder(["\r\n", "\n"], { include: false });
 * buffer.append(Buffer.from("one\r\ntwo\nthr"));
 * assert.deepEqual(decoder.decode(buffer), Buffer.from("one"));
 * assert.deepEqual(decoder.decode(buffer), Buffer.from("two"));
 * assert.equal(decoder.decode(buffer), null); // "thr" waits for its delimiter
 * ```
 */
export class DelimiterDecoder implements Decoder {
  readonly #search: DelimiterSearch;
  readonly #maxLength: number;
  readonly #include: boolean;

  constructor(delimiters: Delimiter | readonly Delimiter[], options: DelimiterOptions = {}) {
    this.#search = new DelimiterSearch(delimiters);
    this.#maxLength = checkMaxLength(options.maxLength, DEFAULT_MAX_LINE_LENGTH);
    this.#include = options.include ?? true;
  }

  /**
   * @throws FrameTooLongError `ERR_FRAME_TOO_LONG` when the frame is or must become longer
   * than `maxLength`; nothing is consumed.
   */
  decode(buffer: ReceiveBuffer): Buffer | null {
    return this.#decode(buffer);
  }

  /** A frame if one is complete; otherwise the leftover bytes as an {@link IncompleteReadError}. */
  decodeEof(buffer: ReceiveBuffer, cause?: unknown): Buffer | null {
    const frame = this.#decode(buffer);
    if (frame !== null || buffer.length === 0) return frame;
    this.#search.reset();
    throw new IncompleteReadError(buffer.takeAll(), undefined, cause);
  }

  /** Forgets the scan position: the buffered bytes were purged. */
  reset(): void {
    this.#search.reset();
  }

  /** A decoder that discards the over-long frame this one refused, through its delimiter. */
  skipper(): Decoder {
    return new DelimiterSkipper(this.#search.delimiters);
  }

  #decode(buffer: ReceiveBuffer): Buffer | null {
    const search = this.#search;
    const at = search.find(buffer);
    if (at === "none") {
      // Any later match starts at length - maxDelimiter + 1 or after: too long already?
      if (buffer.length >= this.#maxLength + this.#search.maxDelimiter) {
        throw new FrameTooLongError(this.#maxLength);
      }
      return null;
    }
    if (at > this.#maxLength) throw new FrameTooLongError(this.#maxLength);
    const consumed = at + search.size;
    return buffer.takeRange(0, this.#include ? consumed : at, consumed);
  }
}

/**
 * Discards bytes up to and including the next delimiter as they arrive, holding back only
 * the last `longest delimiter - 1` bytes: the way past an over-long frame (`onOverflow:
 * "skip"`) without buffering it. Delivers an empty buffer once done; at the end of the
 * stream it discards what is left.
 */
export class DelimiterSkipper implements Decoder {
  readonly #search: DelimiterSearch;

  constructor(delimiters: Delimiter | readonly Delimiter[]) {
    this.#search = new DelimiterSearch(delimiters);
  }

  decode(buffer: ReceiveBuffer): Buffer | null {
    return this.#skip(buffer, false);
  }

  decodeEof(buffer: ReceiveBuffer): Buffer | null {
    return this.#skip(buffer, true);
  }

  #skip(buffer: ReceiveBuffer, eof: boolean): Buffer | null {
    const at = this.#search.find(buffer);
    if (at !== "none") {
      buffer.discard(at + this.#search.size);
      return EMPTY;
    }
    const drop = eof ? buffer.length : buffer.length - (this.#search.maxDelimiter - 1);
    if (drop > 0) {
      buffer.discard(drop);
      this.#search.reset();
    }
    return eof ? EMPTY : null;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * What {@link DelimiterSearch.find} reports: the position of the match that ends first, or
 * `"none"` (no delimiter yet). No object per search.
 */
type SearchOutcome = number | "none";

/**
 * Finds the delimiter match that ends first (Python's `asyncio` `readuntil` with a tuple of
 * separators: the shortest data that ends with any of them); of two ending at the same
 * byte, the longer delimiter (`"\r\n"` over `"\n"`). A match is final the moment its last
 * byte arrives, so frames never depend on how the bytes were chunked and a read never waits
 * for a byte that could only make a longer delimiter (a CR-only peer never deadlocks a read
 * of `["\r\n", "\r"]`). It resumes where the previous search stopped, so no byte is
 * scanned twice.
 */
class DelimiterSearch {
  readonly delimiters: Buffer[];
  readonly maxDelimiter: number;
  /** Every position before this one has been ruled out as the start of any delimiter. */
  #scanned = 0;

  constructor(delimiters: Delimiter | readonly Delimiter[]) {
    this.delimiters = toDelimiters(delimiters);
    this.maxDelimiter = Math.max(...this.delimiters.map((d) => d.length));
  }

  /** The size of the delimiter {@link find} last matched, in bytes. */
  size = 0;

  /**
   * The position of the match that ends first (its delimiter's size in {@link size}; the
   * caller consumes it), or `"none"` for none yet. No object per match.
   */
  find(buffer: ReceiveBuffer): SearchOutcome {
    const delimiters = this.delimiters;
    let end = -1;
    let size = 0;
    for (let i = 0; i < delimiters.length; i++) {
      const delimiter = delimiters[i] as Buffer;
      const found = buffer.indexOf(delimiter, this.#scanned);
      if (found < 0) continue;
      const ends = found + delimiter.length;
      if (end < 0 || ends < end || (ends === end && delimiter.length > size)) {
        end = ends;
        size = delimiter.length;
      }
    }
    if (end < 0) {
      this.#scanned = Math.max(0, buffer.length - this.maxDelimiter + 1);
      return "none";
    }
    this.#scanned = 0;
    this.size = size;
    return end - size;
  }

  /** Forgets the scan position (the bytes before it were discarded). */
  reset(): void {
    this.#scanned = 0;
  }
}
