/**
 * Line framing: pure, no I/O.
 *
 * @module
 */

import { checkMaxLength, shown } from "../arguments.js";
import { FrameTooLongError, IncompleteReadError, SocketError } from "../errors.js";
import type { ReceiveBuffer } from "../receive-buffer.js";
import type { Decoder } from "./decoder.js";
import { DEFAULT_MAX_LINE_LENGTH, DelimiterDecoder } from "./delimiter.js";

/**
 * Which line endings end a line:
 * - `"any"`: LF, CR LF, and a lone CR (the classic Mac OS ending of the LiveCode page). A CR
 *   ends the line at once, so a CR-only peer never waits for a byte that does not come, and
 *   an LF right after it is dropped as part of the same ending even when it arrives in a later
 *   chunk or is read by a later read (Java `BufferedReader.readLine`).
 * - `"lf"`: LF only; a CR before it stays in the line.
 * - `"crlf"`: CR LF only (SMTP, HTTP, Redis); a bare LF or CR stays in the line.
 * - `"cr"`: CR only (classic Mac OS, Tcl `-translation cr`); an LF stays in the line.
 *
 * Accepting several endings is convenient, but where two parsers of the same bytes disagree
 * on line ends (a proxy and a server), that difference is how request smuggling happens:
 * choose `"crlf"` for protocols that mandate it.
 */
export type LineEnding = "any" | "lf" | "crlf" | "cr";

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
const LF = 0x0a;
const LINE_ENDINGS: readonly LineEnding[] = ["any", "lf", "crlf", "cr"];
const EMPTY = Buffer.alloc(0);

/** Checks an `eol` option; `ERR_INVALID_ARGUMENT` names the value and the choices. */
function checkEol(eol: unknown): LineEnding {
  if (eol === undefined) return "any";
  if (LINE_ENDINGS.includes(eol as LineEnding)) return eol as LineEnding;
  throw new SocketError(
    "ERR_INVALID_ARGUMENT",
    `eol must be "any", "lf", "crlf" or "cr", got ${shown(eol)}`,
  );
}

/**
 * Where the next line ending starts at or after `from`: the first LF (or, with `cr`, the
 * first CR before it), or -1. The CR search stops at the LF found, so no byte is scanned
 * past the line.
 */
function findEnding(buffer: ReceiveBuffer, from: number, cr: boolean): number {
  const lf = buffer.indexOfByte(LF, from, buffer.length);
  if (!cr) return lf;
  const before = buffer.indexOfByte(CR, from, lf < 0 ? buffer.length : lf);
  return before >= 0 ? before : lf;
}

/**
 * Takes one line and returns it without its line ending. `"any"`, `"lf"` and `"cr"` search
 * for single bytes (the fast path: a native byte search, resumed where the last one
 * stopped); `"crlf"` searches for the two-byte delimiter.
 *
 * @example
 * ```ts
 * const lines = new LineDecoder();
 * buffer.append(Buffer.from("HELO a\r\nQUIT\rNOOP\n"));
 * lines.decode(buffer); // <Buffer "HELO a">
 * lines.decode(buffer); // <Buffer "QUIT">  (a lone CR ends a line too)
 * lines.decode(buffer); // <Buffer "NOOP">
 * ```
 */
export class LineDecoder implements Decoder {
  readonly #maxLength: number;
  readonly #eol: LineEnding;
  /** CRLF only: the generic delimiter search. */
  readonly #crlf: DelimiterDecoder | undefined;
  /** Every position before this one has been ruled out as a line ending. */
  #scanned = 0;

  /** @throws SocketError `ERR_INVALID_ARGUMENT` for a bad `eol` or `maxLength`. */
  constructor(options: LineOptions = {}) {
    this.#eol = checkEol(options.eol);
    this.#maxLength = checkMaxLength(options.maxLength, DEFAULT_MAX_LINE_LENGTH);
    this.#crlf =
      this.#eol === "crlf"
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
    const consume = this.#consume(buffer, at);
    if (consume !== 0) return buffer.takeRange(0, at, consume);
    const line = buffer.takeRange(0, at, at + 1);
    buffer.dropNextLf();
    return line;
  }

  /**
   * {@link decode}, with the line as UTF-8 text (malformed bytes become U+FFFD): a line
   * inside one chunk becomes a string with no `Buffer` made for it (`lines()`'s fast path).
   */
  decodeText(buffer: ReceiveBuffer): string | null {
    if (this.#crlf !== undefined) return this.#crlf.decode(buffer)?.toString() ?? null;
    const at = this.#find(buffer);
    if (at < 0) return null;
    const consume = this.#consume(buffer, at);
    if (consume !== 0) return buffer.takeText(0, at, consume);
    const line = buffer.takeText(0, at, at + 1);
    buffer.dropNextLf();
    return line;
  }

  /** The position of the next line ending, or -1 after checking that the line may still grow. */
  #find(buffer: ReceiveBuffer): number {
    const eol = this.#eol;
    const at =
      eol === "cr"
        ? buffer.indexOfByte(CR, this.#scanned, buffer.length)
        : findEnding(buffer, this.#scanned, eol === "any");
    if (at < 0) {
      this.#scanned = buffer.length;
      if (buffer.length > this.#maxLength) throw new FrameTooLongError(this.#maxLength);
      return at;
    }
    if (at > this.#maxLength) throw new FrameTooLongError(this.#maxLength);
    this.#scanned = 0;
    return at;
  }

  /**
   * How many bytes the line ending at `at` takes with the line: CR LF together when both are
   * here; 0 for an "any" CR that is the last byte buffered (its LF may be still to come).
   */
  #consume(buffer: ReceiveBuffer, at: number): number {
    if (this.#eol !== "any" || buffer.byteAt(at) !== CR) return at + 1;
    if (at + 1 === buffer.length) return 0;
    return buffer.byteAt(at + 1) === LF ? at + 2 : at + 1;
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
    if (this.#crlf !== undefined) return this.#crlf.skipper();
    return new LineSkipper(this.#eol);
  }
}

/**
 * Discards bytes through the next line ending as they arrive (`onOverflow: "skip"`),
 * buffering nothing; with `"any"` a CR ends the skip and an LF after it is dropped too.
 */
class LineSkipper implements Decoder {
  readonly #eol: LineEnding;

  constructor(eol: LineEnding) {
    this.#eol = eol;
  }

  decode(buffer: ReceiveBuffer): Buffer | null {
    const eol = this.#eol;
    const at =
      eol === "cr"
        ? buffer.indexOfByte(CR, 0, buffer.length)
        : findEnding(buffer, 0, eol === "any");
    if (at < 0) {
      buffer.discard(buffer.length);
      return null;
    }
    const cr = eol === "any" && buffer.byteAt(at) === CR;
    buffer.discard(at + 1);
    if (cr) buffer.dropNextLf();
    return EMPTY;
  }

  decodeEof(buffer: ReceiveBuffer): Buffer | null {
    this.decode(buffer);
    buffer.discard(buffer.length);
    return EMPTY;
  }
}
