/**
 * Lines as text cut from one decoding of a chunk: the fast path of `lines()`. A line read
 * one at a time from the receive buffer costs a `Buffer#toString` of its bytes (a native
 * call through Node's JS wrapper, ≈ 80 ns for a 63-byte line in bench W2); here a chunk's
 * complete lines are decoded to text once, and each `take()` cuts the next line with
 * `String#indexOf`/`slice` and consumes its bytes from the buffer. Only the bytes of the
 * line handed out are consumed, so a loop left early leaves every other byte buffered, and
 * any other read interleaved with it finds the buffer as it would without this cursor.
 *
 * A line string is a slice of the text it was cut from, which stays in memory while the line
 * is kept. So a chunk is decoded in segments of about {@link TEXT_SEGMENT} bytes, each ending
 * at a line ending: a line kept pins at most its segment (8 KiB, or the line itself when it
 * is longer), not the whole read (64 KiB). It costs nothing: 524,288 lines of 64 bytes in
 * 64 KiB reads took 13.0 ms through `onLine`'s sink in segments against 15.2 ms whole
 * (in-process, medians of 7; the smaller strings are cheaper to make and collect). The same
 * holds for `onLine`.
 *
 * @module
 */
import * as nodeBuffer from "node:buffer";
import type { ReceiveBuffer } from "./receive-buffer.js";

const LF = 0x0a;

/**
 * The bytes decoded at a time: what a kept line can pin (see the module's doc), measured by
 * `tests/line-text.test.ts`.
 */
export const TEXT_SEGMENT = 8 * 1024;

/**
 * Where the text decoded from `start` ends: at the last LF of the {@link TEXT_SEGMENT} bytes
 * from `start`, or, when a line is longer than that, at the LF that ends it; `last` is the
 * chunk's last LF (at or after `start`). Returns the LF's index.
 */
export function segmentEnd(chunk: Buffer, start: number, last: number): number {
  const limit = start + TEXT_SEGMENT;
  if (last < limit) return last;
  const lf = chunk.lastIndexOf(LF, limit - 1);
  return lf >= start ? lf : chunk.indexOf(LF, limit);
}

/** Node's `buffer.isAscii` (Node 18.15+, 19.6+), when the runtime has it. */
const isAscii: ((input: Uint8Array) => boolean) | undefined =
  typeof (nodeBuffer as { isAscii?: unknown }).isAscii === "function"
    ? (nodeBuffer as unknown as { isAscii: (input: Uint8Array) => boolean }).isAscii
    : undefined;

/**
 * Bytes `start` to `end` of `chunk` as text in `encoding` (`utf8` or `latin1`). ASCII bytes
 * are the same text in both, and a SIMD check plus a latin1 copy takes ≈ 40 µs for 64 KiB
 * where UTF-8 decoding takes ≈ 60 µs (Node 20), so ASCII is decoded as latin1.
 */
export function chunkText(
  chunk: Buffer,
  encoding: "utf8" | "latin1",
  start: number,
  end: number,
): string {
  if (encoding === "utf8" && isAscii !== undefined && isAscii(chunk.subarray(start, end))) {
    return chunk.toString("latin1", start, end);
  }
  return chunk.toString(encoding, start, end);
}

/** The options the cursor serves; other line endings and encodings go to the decoder. */
export interface LineTextOptions {
  readonly eol: "any" | "lf" | "crlf";
  readonly encoding: "utf8" | "latin1";
  readonly maxLength: number;
}

/** The next line of the buffer's first chunk, as text, or null (then ask the decoder). */
export class LineText {
  readonly #separator: string;
  /** `"any"`: a CR before the LF belongs to the line ending; a lone CR is the decoder's. */
  readonly #stripCr: boolean;
  readonly #encoding: "utf8" | "latin1";
  readonly #maxLength: number;
  /** The chunk `#text` was decoded from, while it still has lines to hand out. */
  #chunk: Buffer | undefined;
  /** The byte of `#chunk` where the next line starts (the buffer's offset in it, if unread). */
  #at = -1;
  #text = "";
  /** The next line's start in `#text`. */
  #pos = 0;
  /** The first CR at or after `#pos` in `#text` ("any" only), or -1. */
  #cr = -1;
  /** A chunk the fast path cannot serve (no line ending, multi-byte text, a lone CR). */
  #unfit: Buffer | undefined;

  constructor(options: LineTextOptions) {
    this.#separator = options.eol === "crlf" ? "\r\n" : "\n";
    this.#stripCr = options.eol === "any";
    this.#encoding = options.encoding;
    this.#maxLength = options.maxLength;
  }

  /**
   * Takes the next line when it lies whole in the buffer's first chunk, and consumes its
   * bytes and its line ending; returns null, consuming nothing, when it does not, or when
   * the line needs the decoder (over `maxLength`, a lone CR, multi-byte text).
   */
  take(buffer: ReceiveBuffer): string | null {
    const chunk = buffer.head;
    if (chunk === undefined) return null;
    const offset = buffer.headOffset;
    if ((chunk !== this.#chunk || offset !== this.#at) && !this.#load(chunk, offset)) return null;
    const text = this.#text;
    const pos = this.#pos;
    const at = text.indexOf(this.#separator, pos);
    if (at < 0) return this.#unfitChunk(chunk); // the rest of the chunk: a partial line
    let end = at;
    if (this.#stripCr && this.#cr >= 0) {
      let cr = this.#cr;
      if (cr < pos) {
        cr = text.indexOf("\r", pos);
        this.#cr = cr;
      }
      if (cr >= 0 && cr < at) {
        if (cr !== at - 1) return this.#unfitChunk(chunk); // a lone CR ends a line
        end = cr;
      }
    }
    if (end - pos > this.#maxLength) return null; // the decoder refuses it, keeping it
    const next = at + this.#separator.length;
    buffer.discard(next - pos);
    this.#pos = next;
    this.#at = offset + next - pos;
    if (next === text.length) this.#forget();
    return text.slice(pos, end);
  }

  /** Forgets the chunk (the buffer changed under the cursor: purged, or handed over). */
  reset(): void {
    this.#forget();
    this.#unfit = undefined;
  }

  /**
   * Decodes `chunk` from `offset` through the LF that ends its segment (see
   * {@link segmentEnd}); false when it cannot be served.
   */
  #load(chunk: Buffer, offset: number): boolean {
    if (chunk === this.#unfit) return false;
    const last = chunk.lastIndexOf(LF);
    if (last < offset) {
      this.#unfitChunk(chunk); // chunks never change: no line ending will appear in it
      return false;
    }
    const end = segmentEnd(chunk, offset, last) + 1;
    const text = chunkText(chunk, this.#encoding, offset, end);
    if (text.length !== end - offset) {
      this.#unfitChunk(chunk); // characters of several bytes: text positions are not bytes
      return false;
    }
    this.#chunk = chunk;
    this.#at = offset;
    this.#text = text;
    this.#pos = 0;
    this.#cr = this.#stripCr ? text.indexOf("\r") : -1;
    return true;
  }

  #unfitChunk(chunk: Buffer): null {
    this.#forget();
    this.#unfit = chunk;
    return null;
  }

  #forget(): void {
    this.#chunk = undefined;
    this.#at = -1;
    this.#text = "";
  }
}
