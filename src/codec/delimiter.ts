/**
 * Delimiter framing: pure, no I/O. A decoder looks at a {@link ReceiveBuffer} and either
 * takes one frame out of it or says "need more bytes" (`null`), as tokio-util's codecs do.
 *
 * @module
 */
import { FrameTooLongError, IncompleteReadError, SocketError, shown } from "../errors.js";
import type { ReceiveBuffer } from "../receive-buffer.js";

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

/**
 * Something that takes frames out of a receive buffer: the contract every codec keeps.
 * `T` is what a frame is handed out as (bytes, unless a codec decodes them further).
 */
export interface Decoder<T = Buffer> {
  /** Takes one frame out of `buffer`, or returns `null` when more bytes are needed. */
  decode(buffer: ReceiveBuffer): T | null;
  /** Forgets what it learnt of the buffered bytes (they were purged). Optional. */
  reset?(): void;
  /**
   * Called once the stream has ended: a last frame, `null` when the buffer is empty, or an
   * {@link IncompleteReadError} holding the leftover bytes (taken out of the buffer).
   */
  decodeEof(buffer: ReceiveBuffer, cause?: unknown): T | null;
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

/** Checks a `maxLength` option: an integer ≥ 0, or the default. */
export function checkMaxLength(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `maxLength must be an integer >= 0, got ${shown(value)}`,
    );
  }
  return value;
}

/**
 * Splits a byte stream at one or more delimiters.
 *
 * With several delimiters the shortest frame wins (the match that starts first); when two
 * match at the same position the longer delimiter is taken (`\r\n` over `\r`), and a
 * match is not final while a delimiter starting at or before it could still complete, so
 * the frames never depend on how the bytes were chunked. The search
 * resumes where the previous one stopped, so no byte is scanned twice, and a delimiter split
 * across chunks is found.
 *
 * @example
 * ```ts
 * const decoder = new DelimiterDecoder(["\r\n", "\n"], { include: false });
 * buffer.append(Buffer.from("one\r\ntwo\nthr"));
 * decoder.decode(buffer); // <Buffer "one">
 * decoder.decode(buffer); // <Buffer "two">
 * decoder.decode(buffer); // null: "thr" waits for its delimiter
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
    return this.#decode(buffer, false);
  }

  /** A frame if one is complete; otherwise the leftover bytes as an {@link IncompleteReadError}. */
  decodeEof(buffer: ReceiveBuffer, cause?: unknown): Buffer | null {
    const frame = this.#decode(buffer, true);
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

  #decode(buffer: ReceiveBuffer, eof: boolean): Buffer | null {
    const search = this.#search;
    const at = search.find(buffer, eof);
    if (at === NONE) {
      // Any later match starts at length - maxDelimiter + 1 or after: too long already?
      if (buffer.length >= this.#maxLength + this.#search.maxDelimiter) {
        throw new FrameTooLongError(this.#maxLength);
      }
      return null;
    }
    if (at === WAIT) return null;
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
    const at = this.#search.find(buffer, eof);
    if (at === WAIT) return null;
    if (at !== NONE) {
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

/** {@link DelimiterSearch.find}: no delimiter yet. */
const NONE = -1;
/** {@link DelimiterSearch.find}: a match, but a longer delimiter may still complete before it. */
const WAIT = -2;

/**
 * Finds the earliest delimiter. It resumes where the previous search stopped, so no byte is
 * scanned twice, and reports `"wait"` while a delimiter starting at or before the match may
 * still complete (`"\r"` then `"\n"` of `"\r\n"`): otherwise frames would depend on how
 * the bytes were chunked.
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
   * The position of the earliest complete match (its delimiter's size in {@link size}; the
   * caller consumes it), {@link WAIT}, or {@link NONE} for none yet. No object per match.
   */
  find(buffer: ReceiveBuffer, eof: boolean): number {
    const delimiters = this.delimiters;
    let at = -1;
    let size = 0;
    for (let i = 0; i < delimiters.length; i++) {
      const delimiter = delimiters[i] as Buffer;
      const found = buffer.indexOf(delimiter, this.#scanned);
      if (found >= 0 && (at < 0 || found < at || (found === at && delimiter.length > size))) {
        at = found;
        size = delimiter.length;
      }
    }
    if (at < 0) {
      this.#scanned = Math.max(0, buffer.length - this.maxDelimiter + 1);
      return NONE;
    }
    if (!eof && delimiters.length > 1 && this.#couldStillMatch(buffer, at)) return WAIT;
    this.#scanned = 0;
    this.size = size;
    return at;
  }

  /** Forgets the scan position (the bytes before it were discarded). */
  reset(): void {
    this.#scanned = 0;
  }

  #couldStillMatch(buffer: ReceiveBuffer, at: number): boolean {
    for (const delimiter of this.delimiters) {
      for (let p = Math.max(0, buffer.length - delimiter.length + 1); p <= at; p++) {
        if (buffer.couldMatchAt(delimiter, p)) return true;
      }
    }
    return false;
  }
}
