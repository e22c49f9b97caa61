/**
 * Line framing: pure, no I/O.
 *
 * @module
 */
import { FrameTooLongError, IncompleteReadError, SocketError, shown } from "../errors.js";
import type { ReceiveBuffer } from "../receive-buffer.js";
import {
  checkMaxLength,
  DEFAULT_MAX_LINE_LENGTH,
  type Decoder,
  DelimiterDecoder,
  DelimiterSkipper,
} from "./delimiter.js";

/**
 * Which line endings end a line:
 * - `"any"`: LF, and a CR just before it is removed too (Tcl `gets` in auto mode).
 * - `"lf"`: LF only; a CR before it stays in the line.
 * - `"crlf"`: CR LF only (SMTP, HTTP, Redis); a bare LF stays in the line.
 *
 * Accepting both LF and CRLF is convenient, but where two parsers of the same bytes disagree
 * on line ends (a proxy and a server), that difference is how request smuggling happens:
 * choose `"crlf"` for protocols that mandate it.
 */
export type LineEnding = "any" | "lf" | "crlf";

/** Options of a line read. */
export interface LineOptions {
  /**
   * The longest line accepted, in bytes, without its line ending; a longer one rejects with
   * `ERR_FRAME_TOO_LONG` and stays in the buffer.
   * @default 1048576 (1 MiB)
   */
  maxLength?: number;
  /** Which line endings end a line. @default "any" */
  eol?: LineEnding;
}

const CR = 0x0d;
const NEWLINE = Buffer.from("\n");

/**
 * Takes one line and returns it without its line ending. `"any"` and `"lf"` search for a
 * single LF byte (the fast path: one `indexOf` of a byte, resumed where the last one
 * stopped); `"crlf"` searches for the two-byte delimiter.
 *
 * @example
 * ```ts
 * const lines = new LineDecoder();
 * buffer.append(Buffer.from("HELO a\r\nQUIT\n"));
 * lines.decode(buffer); // <Buffer "HELO a">
 * lines.decode(buffer); // <Buffer "QUIT">
 * ```
 */
export class LineDecoder implements Decoder {
  readonly #maxLength: number;
  /** "any": a CR before the LF is part of the line ending. */
  readonly #stripCr: boolean;
  /** CRLF only: the generic delimiter search. */
  readonly #crlf: DelimiterDecoder | undefined;
  /** Every position before this one has been ruled out as the LF. */
  #scanned = 0;

  constructor(options: LineOptions = {}) {
    const eol = options.eol ?? "any";
    if (eol !== "any" && eol !== "lf" && eol !== "crlf") {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `eol must be "any", "lf" or "crlf", got ${shown(eol)}`,
      );
    }
    this.#maxLength = checkMaxLength(options.maxLength, DEFAULT_MAX_LINE_LENGTH);
    this.#stripCr = eol === "any";
    this.#crlf =
      eol === "crlf"
        ? new DelimiterDecoder("\r\n", { maxLength: this.#maxLength, include: false })
        : undefined;
  }

  /**
   * @throws FrameTooLongError `ERR_FRAME_TOO_LONG` as soon as the line (without its line
   * ending) is proven longer than `maxLength`; nothing is consumed.
   */
  decode(buffer: ReceiveBuffer): Buffer | null {
    if (this.#crlf !== undefined) return this.#crlf.decode(buffer);
    const at = this.#find(buffer);
    if (at < 0) return null;
    return buffer.takeRange(0, this.#end(buffer, at), at + 1); // the line; its ending dropped
  }

  /**
   * {@link decode}, with the line as UTF-8 text (malformed bytes become U+FFFD): a line
   * inside one chunk becomes a string with no `Buffer` made for it (`lines()`'s fast path).
   */
  decodeText(buffer: ReceiveBuffer): string | null {
    if (this.#crlf !== undefined) return this.#crlf.decode(buffer)?.toString() ?? null;
    const at = this.#find(buffer);
    if (at < 0) return null;
    return buffer.takeText(0, this.#end(buffer, at), at + 1);
  }

  /** The position of the next LF, or -1 after checking that the line may still grow. */
  #find(buffer: ReceiveBuffer): number {
    const at = buffer.indexOf(NEWLINE, this.#scanned);
    if (at < 0) {
      const length = buffer.length;
      this.#scanned = length;
      // A trailing CR may still turn out to be the line ending's ("any").
      const pending = this.#stripCr && buffer.byteAt(length - 1) === CR ? length - 1 : length;
      if (pending > this.#maxLength) throw new FrameTooLongError(this.#maxLength);
    }
    return at;
  }

  /** Where the line ending that has its LF at `at` starts; checks the line's length. */
  #end(buffer: ReceiveBuffer, at: number): number {
    const end = this.#stripCr && at > 0 && buffer.byteAt(at - 1) === CR ? at - 1 : at;
    if (end > this.#maxLength) throw new FrameTooLongError(this.#maxLength);
    this.#scanned = 0;
    return end;
  }

  /** A line if one is complete; otherwise the leftover bytes as an {@link IncompleteReadError}. */
  decodeEof(buffer: ReceiveBuffer, cause?: unknown): Buffer | null {
    if (this.#crlf !== undefined) return this.#crlf.decodeEof(buffer, cause);
    const line = this.decode(buffer);
    if (line !== null || buffer.length === 0) return line;
    this.#scanned = 0;
    throw new IncompleteReadError(buffer.takeAll(), undefined, cause);
  }

  /** Forgets the scan position: the buffered bytes were purged or consumed by another read. */
  reset(): void {
    this.#scanned = 0;
    this.#crlf?.reset();
  }

  /** A decoder that discards the over-long line this one refused, through its line ending. */
  skipper(): Decoder {
    return this.#crlf?.skipper() ?? new DelimiterSkipper(NEWLINE);
  }
}
