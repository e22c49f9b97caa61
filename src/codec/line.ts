/**
 * Line framing: pure, no I/O.
 *
 * @module
 */
import { DelimiterDecoder } from "./delimiter.js";

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

/**
 * Takes one line and returns it without its line ending.
 *
 * @example
 * ```ts
 * const lines = new LineDecoder();
 * buffer.append(Buffer.from("HELO a\r\nQUIT\n"));
 * lines.decode(buffer); // <Buffer "HELO a">
 * lines.decode(buffer); // <Buffer "QUIT">
 * ```
 */
export class LineDecoder extends DelimiterDecoder {
  constructor(options: LineOptions = {}) {
    const eol = options.eol ?? "any";
    // "any": CRLF starts one byte before its LF, so the earliest match takes the CR too.
    const delimiters = eol === "any" ? ["\r\n", "\n"] : eol === "crlf" ? "\r\n" : "\n";
    const limit = options.maxLength === undefined ? {} : { maxLength: options.maxLength };
    super(delimiters, { ...limit, include: false });
  }
}
