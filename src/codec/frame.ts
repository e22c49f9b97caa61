/**
 * The one entry point for framed reads and writes: a length prefix of fixed width (the
 * default) or a varint. The socket layer takes {@link FrameOptions} and never needs to know
 * which codec serves them.
 *
 * @module
 */
import { checkData } from "../arguments.js";
import { SocketError } from "../errors.js";
import { checkOptionNames, LENGTH_PREFIX, VARINT_FRAME } from "../options.js";
import type { Decoder } from "./decoder.js";
import { encodeLengthPrefixed, LengthPrefixedDecoder, type LengthPrefixOptions } from "./length.js";
import { encodeVarint, VarintDecoder, type VarintOptions } from "./varint.js";

/**
 * How frames are delimited: a fixed-width length field ({@link LengthPrefixOptions}; with no
 * options, `| len: u32 BE | payload |` up to 8 MiB), or `{ varint: true }` for protobuf-style
 * varint prefixes ({@link VarintOptions}).
 */
export type FrameOptions =
  | LengthPrefixOptions
  | (VarintOptions & {
      /** `true`: a varint length prefix instead of a fixed-width one. */
      varint: true;
    });

/** Options that only a fixed-width length field has: meaningless next to `varint: true`. */
const LENGTH_ONLY = ["width", "endian", "offset", "adjustment", "lengthIncludesHeader", "strip"];

/** The varint options when `options` asks for varints, else `undefined`. */
function varintOptions(options: FrameOptions): VarintOptions | undefined {
  const fields = options as Record<string, unknown>;
  const varint = fields.varint;
  if (varint === undefined || varint === false) return undefined;
  if (varint !== true) throw new SocketError("ERR_INVALID_ARGUMENT", "varint must be a boolean");
  // Silently ignoring `width: 2` next to `varint: true` would hide a protocol mismatch.
  const stray = LENGTH_ONLY.find((key) => fields[key] !== undefined);
  if (stray !== undefined) {
    throw new SocketError("ERR_INVALID_ARGUMENT", `${stray} does not apply to varint frames`);
  }
  return options;
}

/**
 * A fresh decoder for `options` (a decoder holds the state of one pending frame, so each
 * read gets its own).
 *
 * @throws SocketError `ERR_INVALID_ARGUMENT` for invalid options, including a fixed-width
 * option next to `varint: true`.
 *
 * @example
 * ```ts
 * buffer.append(Buffer.from([0, 0, 0, 2, 0x68, 0x69, 0x02, 0x68, 0x69]));
 * frameDecoder().decode(buffer); // <Buffer "hi">: the default u32 BE length
 * frameDecoder({ varint: true }).decode(buffer); // <Buffer "hi">
 * ```
 */
export function frameDecoder(options: FrameOptions = {}): Decoder {
  checkOptionNames("frame options", options, LENGTH_PREFIX, VARINT_FRAME);
  const varint = varintOptions(options);
  if (varint !== undefined) return new VarintDecoder(varint);
  return new LengthPrefixedDecoder(options as LengthPrefixOptions);
}

/**
 * Builds one frame for `options`: what {@link frameDecoder} with the same options takes apart.
 *
 * @param payload Bytes, or text (encoded as UTF-8).
 * @throws FrameTooLongError `ERR_FRAME_TOO_LONG` when the payload is over `maxLength` or its
 * length does not fit the field.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for invalid options.
 *
 * @example
 * ```ts
 * encodeFrame("hi"); // <Buffer 00 00 00 02 68 69>
 * encodeFrame("hi", { varint: true }); // <Buffer 02 68 69>
 * ```
 */
export function encodeFrame(payload: Uint8Array | string, options: FrameOptions = {}): Buffer {
  checkData(payload, "payload");
  checkOptionNames("frame options", options, LENGTH_PREFIX, VARINT_FRAME);
  const varint = varintOptions(options);
  if (varint !== undefined) return encodeVarint(payload, varint);
  return encodeLengthPrefixed(payload, options as LengthPrefixOptions);
}
