/**
 * Length-prefixed framing: pure, no I/O. The options are the union of Netty's
 * `LengthFieldBasedFrameDecoder` and tokio-util's `LengthDelimitedCodec`, so a protocol
 * described for either maps over field by field.
 *
 * @module
 */
import {
  checkInteger,
  FrameTooLongError,
  IncompleteReadError,
  SocketError,
  shown,
} from "../errors.js";
import type { ReceiveBuffer } from "../receive-buffer.js";
import { checkMaxLength, type Decoder } from "./delimiter.js";

/** The default `maxLength` of a length-prefixed frame: 8 MiB (8,388,608 bytes). */
export const DEFAULT_MAX_FRAME_LENGTH = 8 * 1024 * 1024;

/** The width of a length field, in bytes. */
export type LengthFieldWidth = 1 | 2 | 3 | 4 | 8;

/**
 * Where the length field sits and what it counts. Every option is optional; the defaults
 * give `| len: u32 BE | payload |` with the payload handed out alone.
 */
export interface LengthPrefixOptions {
  /** The length field's width, in bytes. @default 4 */
  width?: LengthFieldWidth;
  /**
   * The length field's byte order. Sockets never reorder bytes, so both ends must agree
   * (the Xojo seed's endianness warning); big-endian is network byte order, what
   * Python's `struct.pack(">I")` and Java's `DataOutputStream` write.
   * @default "big"
   */
  endian?: "big" | "little";
  /** Header bytes before the length field, in bytes (Netty `lengthFieldOffset`). @default 0 */
  offset?: number;
  /**
   * Added to the field's value to get the number of bytes that follow the length field
   * (Netty `lengthAdjustment`), e.g. `-(offset + width)` when the field counts the whole
   * header. May be negative.
   * @default 0
   */
  adjustment?: number;
  /**
   * Whether the field's value counts the header (`offset + width` bytes) too: sugar for
   * `adjustment: -(offset + width)`. Combined with a non-zero `adjustment` it is
   * `ERR_INVALID_ARGUMENT`.
   * @default false
   */
  lengthIncludesHeader?: boolean;
  /**
   * Bytes removed from the start of each frame before it is handed out (Netty
   * `initialBytesToStrip`): `0` hands out the whole frame, header included.
   * @default offset + width (the payload alone)
   */
  strip?: number;
  /**
   * The longest payload accepted, in bytes: the bytes after the length field (field value
   * plus `adjustment`). Checked as soon as the field is decoded, before any payload is
   * buffered, so a hostile peer cannot make the decoder wait for gigabytes.
   * @default 8388608 (8 MiB)
   */
  maxLength?: number;
}

/** The options checked and resolved once, at construction. */
interface Layout {
  readonly width: LengthFieldWidth;
  readonly little: boolean;
  readonly offset: number;
  /** `offset + width`: the bytes needed before the length is known. */
  readonly header: number;
  readonly adjustment: number;
  readonly strip: number;
  readonly maxLength: number;
  /** The largest value the field can carry (and the decoder accepts). */
  readonly fieldMax: number;
}

const WIDTHS: readonly unknown[] = [1, 2, 3, 4, 8];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);

function resolveLayout(options: LengthPrefixOptions): Layout {
  const { width = 4, endian = "big", lengthIncludesHeader = false } = options;
  if (!WIDTHS.includes(width)) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `width must be 1, 2, 3, 4 or 8, got ${shown(width)}`,
    );
  }
  if (endian !== "big" && endian !== "little") {
    throw new SocketError("ERR_INVALID_ARGUMENT", `endian must be "big" or "little"`);
  }
  if (typeof lengthIncludesHeader !== "boolean") {
    throw new SocketError("ERR_INVALID_ARGUMENT", "lengthIncludesHeader must be a boolean");
  }
  const offset = checkInteger("offset", options.offset ?? 0, 0, MAX_SAFE);
  const header = offset + width;
  let adjustment = checkInteger("adjustment", options.adjustment ?? 0, -MAX_SAFE, MAX_SAFE);
  if (lengthIncludesHeader) {
    if (adjustment !== 0) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        "lengthIncludesHeader and a non-zero adjustment say the same thing twice",
      );
    }
    adjustment = -header;
  }
  return {
    width,
    little: endian === "little",
    offset,
    header,
    adjustment,
    strip: checkInteger("strip", options.strip ?? header, 0, MAX_SAFE),
    maxLength: checkMaxLength(options.maxLength, DEFAULT_MAX_FRAME_LENGTH),
    // 8-byte values past 2^53 - 1 would lose precision as numbers: refused, not rounded.
    fieldMax: width === 8 ? MAX_SAFE : 2 ** (8 * width) - 1,
  };
}

/** The field's value, or `Infinity` for an 8-byte value no `number` holds exactly. */
function readField(header: Buffer, layout: Layout): number {
  const { width, offset, little } = layout;
  if (width !== 8) {
    return little ? header.readUIntLE(offset, width) : header.readUIntBE(offset, width);
  }
  const value = little ? header.readBigUInt64LE(offset) : header.readBigUInt64BE(offset);
  return value > MAX_SAFE_BIG ? Number.POSITIVE_INFINITY : Number(value);
}

/**
 * Splits a byte stream into length-prefixed frames.
 *
 * The default frame, and what the decoder hands out (`strip` = 4):
 * ```text
 * +-- len: u32 BE --+---- payload ----+            +---- payload ----+
 * | 00 00 00 0B     | "hello world"   |    -->     | "hello world"   |
 * +-----------------+-----------------+            +-----------------+
 * ```
 * A 2-byte header before a 2-byte field that counts the whole frame
 * (`{ offset: 2, width: 2, lengthIncludesHeader: true, strip: 0 }`, or `adjustment: -4`):
 * ```text
 * +- hdr -+-- len: u16 BE --+---- payload ----+            the whole frame, 15 bytes:
 * | CA FE | 00 0F           | "hello world"   |    -->     | CA FE | 00 0F | "hello world" |
 * +-------+-----------------+-----------------+
 * ```
 *
 * A frame that sits in one chunk is handed out as a view into it (no copy). The decoded
 * length of a pending frame is kept between calls, so a large frame arriving in many chunks
 * is parsed once; the decoder assumes it is the only consumer of the buffer meanwhile
 * (call {@link LengthPrefixedDecoder.reset} otherwise).
 *
 * @throws SocketError `ERR_INVALID_ARGUMENT` at construction for invalid options.
 *
 * @example
 * ```ts
 * const decoder = new LengthPrefixedDecoder({ width: 2 });
 * buffer.append(Buffer.from([0, 3, 0x61, 0x62]));
 * decoder.decode(buffer); // null: 3 bytes announced, 2 buffered
 * buffer.append(Buffer.from("c"));
 * decoder.decode(buffer); // <Buffer "abc">
 * ```
 */
export class LengthPrefixedDecoder implements Decoder {
  readonly #layout: Layout;
  /** The pending frame's total length (header included), or -1 until its header is read. */
  #total = -1;
  /** Bytes buffered when `#total` was last used: a smaller buffer was consumed elsewhere. */
  #seen = 0;

  constructor(options: LengthPrefixOptions = {}) {
    this.#layout = resolveLayout(options);
  }

  /**
   * Takes one frame (less its first `strip` bytes) out of `buffer`, or returns `null`.
   * @throws FrameTooLongError `ERR_FRAME_TOO_LONG` as soon as the length field announces a
   * payload over `maxLength` (or an 8-byte value over 2^53 - 1); nothing is consumed.
   * @throws SocketError `ERR_FRAME_CORRUPT` when the adjusted length is negative or the
   * frame is shorter than `strip`; nothing is consumed.
   */
  decode(buffer: ReceiveBuffer): Buffer | null {
    const total = this.#frameLength(buffer);
    if (total < 0 || buffer.length < total) return null;
    this.#total = -1;
    // A view when the payload sits in one chunk, even if the header arrived in another.
    return buffer.takeRange(this.#layout.strip, total, total);
  }

  /** A frame if one is complete; otherwise the leftover bytes as an {@link IncompleteReadError}. */
  decodeEof(buffer: ReceiveBuffer, cause?: unknown): Buffer | null {
    const frame = this.decode(buffer);
    if (frame !== null || buffer.length === 0) return frame;
    const expected = this.#total >= 0 ? this.#total : undefined;
    this.#total = -1;
    throw new IncompleteReadError(buffer.takeAll(), expected, cause);
  }

  /** Forgets the pending frame's length: for when something else consumed or purged bytes. */
  reset(): void {
    this.#total = -1;
  }

  #frameLength(buffer: ReceiveBuffer): number {
    if (this.#total >= 0 && buffer.length >= this.#seen) {
      this.#seen = buffer.length;
      return this.#total;
    }
    this.#total = -1;
    const layout = this.#layout;
    if (buffer.length < layout.header) return -1;
    // Widths up to 4 are read in place (no copy per frame); 8 needs a BigInt, from a copy.
    const value =
      layout.width === 8
        ? readField(buffer.peek(layout.header), layout)
        : buffer.readUInt(layout.offset, layout.width, layout.little);
    // Infinity (over 2^53 - 1) + any adjustment stays over maxLength.
    const after = value + layout.adjustment;
    if (after < 0) {
      throw new SocketError(
        "ERR_FRAME_CORRUPT",
        `length field ${value} plus adjustment ${layout.adjustment} is negative`,
      );
    }
    if (after > layout.maxLength) {
      // The whole frame's size lets onOverflow "skip" discard it; unknown past 2^53 - 1.
      const frame = layout.header + after;
      throw new FrameTooLongError(
        layout.maxLength,
        Number.isSafeInteger(frame) ? frame : undefined,
      );
    }
    const total = layout.header + after;
    if (total < layout.strip) {
      throw new SocketError(
        "ERR_FRAME_CORRUPT",
        `a frame of ${total} bytes is shorter than strip (${layout.strip})`,
      );
    }
    this.#total = total;
    this.#seen = buffer.length;
    return total;
  }
}

/**
 * Builds one frame: the header (`offset` zero bytes, then the length field), then the
 * payload. The field holds the payload's length minus `adjustment` (plus the header when
 * `lengthIncludesHeader`); `strip` does not matter here. A protocol that needs particular
 * bytes before the field should build the frame itself, or use `offset: 0` and write those
 * bytes as part of the payload. Decoding with the same options gives back the frame less its
 * first `strip` bytes (the payload, by default).
 *
 * @param payload Bytes, or text (encoded as UTF-8).
 * @throws FrameTooLongError `ERR_FRAME_TOO_LONG` when the payload is over `maxLength`, or
 * its length does not fit in `width` bytes.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for invalid options, or a payload shorter than
 * a positive `adjustment` (the field would be negative).
 *
 * @example
 * ```ts
 * encodeLengthPrefixed("hi"); // <Buffer 00 00 00 02 68 69>, as struct.pack(">I", 2) + b"hi"
 * encodeLengthPrefixed("hi", { width: 2, endian: "little" }); // <Buffer 02 00 68 69>
 * ```
 */
export function encodeLengthPrefixed(
  payload: Uint8Array | string,
  options: LengthPrefixOptions = {},
): Buffer {
  const layout = resolveLayout(options);
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  if (body.length > layout.maxLength) throw new FrameTooLongError(layout.maxLength);
  const value = body.length - layout.adjustment;
  if (value < 0) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `a payload of ${body.length} bytes is shorter than adjustment ${layout.adjustment}`,
    );
  }
  if (value > layout.fieldMax) {
    throw new FrameTooLongError(Math.max(0, layout.fieldMax + layout.adjustment));
  }
  const frame = Buffer.allocUnsafe(layout.header + body.length);
  frame.fill(0, 0, layout.offset);
  const { width, offset, little } = layout;
  if (width === 8) {
    if (little) frame.writeBigUInt64LE(BigInt(value), offset);
    else frame.writeBigUInt64BE(BigInt(value), offset);
  } else if (little) frame.writeUIntLE(value, offset, width);
  else frame.writeUIntBE(value, offset, width);
  frame.set(body, layout.header);
  return frame;
}
