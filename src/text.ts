/**
 * Text helpers: pure, no I/O. Sockets are binary (all four seeds); text is only where asked.
 * - {@link decodeText}: bytes to a string in one of Node's encodings, with invalid input
 *   either replaced (U+FFFD) or refused with `ERR_INVALID_TEXT`.
 * - {@link convertEol} and the streaming {@link EolConverter}: end-of-line conversion
 *   between LF, CR and CRLF, byte by byte (LiveCode: "you will need to convert end-of-line
 *   markers yourself"; Tcl's `-translation`). The CLI's `--crlf` uses the converter.
 *
 * @module
 */
import { SocketError } from "./errors.js";

/** A text encoding Node's `Buffer` knows: `utf8`, `latin1`, `ascii`, `utf16le`, `hex`, … */
export type TextEncoding = BufferEncoding;

/**
 * What {@link decodeText} does with bytes that are not valid in the encoding:
 * `"replace"` puts U+FFFD in their place, `"error"` throws `ERR_INVALID_TEXT`.
 */
export type InvalidText = "replace" | "error";

/** Guards a value that JavaScript callers could pass unchecked. */
function invalidArgument(message: string): SocketError {
  return new SocketError("ERR_INVALID_ARGUMENT", message);
}

/** One decoder per label and mode: `decode()` without `stream` keeps no state between calls. */
const decoders = new Map<string, InstanceType<typeof TextDecoder>>();

/** Wraps a `TextDecoder` for the encodings whose invalid input it detects. */
function whatwgDecode(label: "utf-8" | "utf-16le", bytes: Uint8Array, invalid: InvalidText) {
  if (label === "utf-8" && invalid === "replace") {
    // Node's own UTF-8 decoder gives the same text (U+FFFD per maximal invalid subpart, BOM
    // kept) and is the fast path for every line of lines().
    const view = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return view.toString("utf8");
  }
  const key = `${label}/${invalid}`;
  let decoder = decoders.get(key);
  if (decoder === undefined) {
    // ignoreBOM keeps a leading U+FEFF in the text, as Buffer#toString does: nothing is dropped.
    decoder = new TextDecoder(label, { fatal: invalid === "error", ignoreBOM: true });
    decoders.set(key, decoder);
  }
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new SocketError("ERR_INVALID_TEXT", `bytes are not valid ${label} text`, {
      cause: error,
    });
  }
}

/**
 * Decodes `bytes` as text. Where input can be invalid, `invalid` chooses between U+FFFD and
 * an error; a leading byte-order mark is kept as U+FEFF.
 *
 * | encoding | invalid input | `"replace"` gives |
 * | --- | --- | --- |
 * | `utf8`, `utf-8` | a byte sequence that is not UTF-8 (overlong, surrogate, truncated) | one U+FFFD per maximal invalid subpart, as `Buffer#toString` and `TextDecoder` |
 * | `ascii` | a byte above 0x7f | one U+FFFD per such byte (`Buffer#toString` would clear the high bit instead) |
 * | `utf16le`, `utf-16le`, `ucs2`, `ucs-2` | an odd byte count; a lone surrogate | one U+FFFD each (`Buffer#toString` would drop the odd byte) |
 * | `latin1`, `binary` | none: every byte is one character U+0000–U+00FF | — |
 * | `hex`, `base64`, `base64url` | none: the bytes are written out in that notation | — |
 *
 * @throws SocketError `ERR_INVALID_TEXT` with `invalid: "error"` and invalid input (the
 * decoder's `TypeError`, if any, on `cause`); `ERR_INVALID_ARGUMENT` for an unknown encoding
 * or `invalid` value, or `bytes` that are not a `Uint8Array`.
 *
 * @example
 * ```ts
 * decodeText(Buffer.from([0x68, 0xc3, 0xa9])); // "hé"
 * decodeText(Buffer.from([0x68, 0xff])); // "h\uFFFD"
 * decodeText(Buffer.from([0x68, 0xff]), "utf8", "error"); // throws ERR_INVALID_TEXT
 * decodeText(Buffer.from([0xe9]), "latin1"); // "é"
 * ```
 */
export function decodeText(
  bytes: Uint8Array,
  encoding: TextEncoding = "utf8",
  invalid: InvalidText = "replace",
): string {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument("bytes must be a Uint8Array");
  if (invalid !== "replace" && invalid !== "error") {
    throw invalidArgument(`invalid must be "replace" or "error", got ${String(invalid)}`);
  }
  const name = typeof encoding === "string" ? encoding.toLowerCase() : "";
  switch (name) {
    case "utf8":
    case "utf-8":
      return whatwgDecode("utf-8", bytes, invalid);
    case "utf16le":
    case "utf-16le":
    case "ucs2":
    case "ucs-2":
      return whatwgDecode("utf-16le", bytes, invalid);
    case "ascii":
      return decodeAscii(bytes, invalid);
    case "latin1":
    case "binary":
    case "hex":
    case "base64":
    case "base64url":
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(name);
    default:
      throw invalidArgument(`unknown text encoding: ${String(encoding)}`);
  }
}

/** ASCII: bytes 0x00–0x7f; a byte above is invalid. */
function decodeAscii(bytes: Uint8Array, invalid: InvalidText): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = view.findIndex((byte) => byte > 0x7f);
  if (bad < 0) return view.toString("latin1");
  if (invalid === "error") {
    throw new SocketError(
      "ERR_INVALID_TEXT",
      `byte 0x${view[bad]?.toString(16)} at ${bad} is not ASCII`,
    );
  }
  return view.toString("latin1").replace(/[\u0080-\u00ff]/g, "\uFFFD");
}

/**
 * An end-of-line convention: `"lf"` (Unix, LiveCode internally), `"cr"` (classic Mac OS),
 * `"crlf"` (Windows and most Internet protocols: SMTP, HTTP, Telnet).
 */
export type EolStyle = "lf" | "cr" | "crlf";

const CR = 0x0d;
const LF = 0x0a;
const EOL_BYTES: Readonly<Record<EolStyle, Buffer>> = {
  lf: Buffer.from([LF]),
  cr: Buffer.from([CR]),
  crlf: Buffer.from([CR, LF]),
};
const EMPTY = Buffer.alloc(0);

/**
 * Converts every line ending in a stream of chunks: CR LF, a lone CR and a lone LF each
 * become one `to` line ending. Every other byte passes through untouched (binary-safe; no
 * text decoding). A CR LF split across two chunks is still one line ending: a CR at the end
 * of a chunk is held back until the next chunk or {@link EolConverter.end} shows what follows.
 *
 * A result may share memory with the chunk it came from when part of it needed no change.
 *
 * @example
 * ```ts
 * const eol = new EolConverter("crlf");
 * eol.push(Buffer.from("a\nb\r")); // <Buffer "a\r\nb">  (the CR waits)
 * eol.push(Buffer.from("\nc"));    // <Buffer "\r\nc">   (CR LF: one line ending)
 * eol.end();                       // <Buffer "">
 * ```
 */
export class EolConverter {
  readonly #to: EolStyle;
  readonly #eol: Buffer;
  #pendingCr = false;

  /** @throws SocketError `ERR_INVALID_ARGUMENT` unless `to` is `"lf"`, `"cr"` or `"crlf"`. */
  constructor(to: EolStyle) {
    if (to !== "lf" && to !== "cr" && to !== "crlf") {
      throw invalidArgument(`to must be "lf", "cr" or "crlf", got ${String(to)}`);
    }
    this.#to = to;
    this.#eol = EOL_BYTES[to];
  }

  /**
   * Converts one chunk; returns what can be emitted so far (empty when the chunk was a lone
   * trailing CR). @throws SocketError `ERR_INVALID_ARGUMENT` unless `chunk` is a `Uint8Array`.
   */
  push(chunk: Uint8Array): Buffer {
    if (!(chunk instanceof Uint8Array)) throw invalidArgument("chunk must be a Uint8Array");
    const input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (input.length === 0) return EMPTY;
    const parts: Buffer[] = [];
    let pos = 0; // the first byte not yet examined
    let copied = 0; // the first byte not yet in `parts`
    if (this.#pendingCr) {
      this.#pendingCr = false;
      parts.push(this.#eol);
      if (input[0] === LF) pos = copied = 1;
    }
    let nextCr = input.indexOf(CR, pos);
    let nextLf = input.indexOf(LF, pos);
    while (nextCr >= 0 || nextLf >= 0) {
      const isCr = nextCr >= 0 && (nextLf < 0 || nextCr < nextLf);
      const at = isCr ? nextCr : nextLf;
      if (isCr && at === input.length - 1) {
        parts.push(input.subarray(copied, at));
        copied = input.length;
        this.#pendingCr = true;
        break;
      }
      const length = isCr && input[at + 1] === LF ? 2 : 1;
      const found: EolStyle = length === 2 ? "crlf" : isCr ? "cr" : "lf";
      if (found !== this.#to) {
        parts.push(input.subarray(copied, at), this.#eol);
        copied = at + length;
      }
      pos = at + length;
      // Each search resumes past the last hit, so a chunk is scanned once for each byte value.
      if (nextCr >= 0 && nextCr < pos) nextCr = input.indexOf(CR, pos);
      if (nextLf >= 0 && nextLf < pos) nextLf = input.indexOf(LF, pos);
    }
    if (copied < input.length) parts.push(input.subarray(copied));
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  /**
   * Ends the stream: returns the line ending for a CR held back from the last chunk, or an
   * empty buffer. The converter can then be used for another stream.
   */
  end(): Buffer {
    const held = this.#pendingCr;
    this.#pendingCr = false;
    return held ? this.#eol : EMPTY;
  }
}

/**
 * Converts every line ending in `data` (CR LF, a lone CR, a lone LF) to `to`. Works on
 * bytes, so binary data around the line endings is untouched; a string is UTF-8 encoded
 * first. The result may share memory with `data` when nothing needed converting.
 *
 * @throws SocketError `ERR_INVALID_ARGUMENT` for a `to` other than `"lf"`, `"cr"`, `"crlf"`,
 * or `data` that is neither a string nor a `Uint8Array`.
 *
 * @example
 * ```ts
 * convertEol("a\nb\r\nc\rd", "crlf"); // <Buffer "a\r\nb\r\nc\r\nd">
 * convertEol(Buffer.from("a\r\nb"), "lf"); // <Buffer "a\nb">
 * ```
 */
export function convertEol(data: Uint8Array | string, to: EolStyle): Buffer {
  const converter = new EolConverter(to);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const body = converter.push(bytes);
  const tail = converter.end();
  return tail.length === 0 ? body : Buffer.concat([body, tail]);
}

/**
 * Decoding a delimited read to text (Tcl `-encoding`): with `encoding` the read resolves
 * with a string instead of a `Buffer`.
 */
export interface TextOptions {
  /** The text encoding, any Node `BufferEncoding` (`"utf8"`, `"latin1"`, `"utf16le"`, …). */
  encoding: BufferEncoding;
  /**
   * Invalid bytes: `"replace"` each bad sequence with U+FFFD, or `"error"`: reject with
   * `ERR_INVALID_TEXT` (the frame is consumed).
   * @default "replace"
   */
  invalidText?: InvalidText;
}

/**
 * A socket's text encoding (the `encoding` socket option, `socket.setEncoding()`): one of
 * Node's `Buffer` encodings that map text to bytes and back, with their aliases. The
 * notations `hex` and `base64` are not text encodings and are refused.
 */
export type SocketEncoding =
  | "utf8"
  | "utf-8"
  | "latin1"
  | "binary"
  | "ascii"
  | "utf16le"
  | "utf-16le"
  | "ucs2"
  | "ucs-2";

const SOCKET_ENCODINGS: ReadonlySet<string> = new Set<SocketEncoding>([
  "utf8",
  "utf-8",
  "latin1",
  "binary",
  "ascii",
  "utf16le",
  "utf-16le",
  "ucs2",
  "ucs-2",
]);

/**
 * Checks a socket's `encoding`; returns it, or `undefined` for UTF-8 (the default, which
 * needs no conversion of written strings).
 * @throws SocketError `ERR_INVALID_ARGUMENT` for anything but a {@link SocketEncoding}.
 */
export function checkSocketEncoding(encoding: unknown): SocketEncoding | undefined {
  const name = typeof encoding === "string" ? encoding.toLowerCase() : "";
  if (!SOCKET_ENCODINGS.has(name)) {
    throw invalidArgument(
      `encoding must be one of ${[...SOCKET_ENCODINGS].join(", ")}, got ${String(encoding)}`,
    );
  }
  return name === "utf8" || name === "utf-8" ? undefined : (name as SocketEncoding);
}

/** Characters outside Latin-1 (one per code point, a surrogate pair included). */
const NOT_LATIN1 = /[\u0100-\u{10ffff}]/gu;
/** Characters outside ASCII. */
const NOT_ASCII = /[\u0080-\u{10ffff}]/gu;

/**
 * Encodes `text` in a socket encoding, as a socket with that `encoding` writes a string
 * (Tcl `fconfigure -encoding iso8859-1`). A character the encoding cannot represent becomes
 * one `?` (Latin-1 above U+00FF, ASCII above U+007F), as Tcl 8 and Java's `getBytes` do,
 * rather than Node's low byte of the code unit (which would turn `€` into `¬`). UTF-8 writes
 * a lone surrogate as U+FFFD; UTF-16LE writes the code units as they are.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for an encoding that is not a {@link SocketEncoding}.
 * @example
 * ```ts
 * encodeText("é", "latin1"); // <Buffer e9>
 * encodeText("€", "latin1"); // <Buffer 3f>  ("?")
 * ```
 */
export function encodeText(text: string, encoding: SocketEncoding = "utf8"): Buffer {
  return encodeChecked(text, checkSocketEncoding(encoding) ?? "utf8");
}

/** {@link encodeText} for an encoding {@link checkSocketEncoding} already returned. @internal */
export function encodeChecked(text: string, name: SocketEncoding): Buffer {
  if (name === "latin1" || name === "binary") {
    return Buffer.from(text.replace(NOT_LATIN1, "?"), "latin1");
  }
  if (name === "ascii") return Buffer.from(text.replace(NOT_ASCII, "?"), "latin1");
  return Buffer.from(text, name);
}
