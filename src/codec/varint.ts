/**
 * Varint length prefixes: pure, no I/O. Each frame is an unsigned LEB128 length, then that
 * many payload bytes: what protobuf's `writeDelimitedTo` / `parseDelimitedFrom` exchange.
 *
 * @module
 */

import { checkInteger, checkMaxLength } from "../arguments.js";
import { FrameTooLongError, IncompleteReadError, SocketError } from "../errors.js";
import type { ReceiveBuffer } from "../receive-buffer.js";
import type { Decoder, FramePhase } from "./decoder.js";
import { DEFAULT_MAX_FRAME_LENGTH } from "./length.js";

/** The longest varint a 64-bit length takes: 10 bytes (7 bits a byte, 64 = 9 × 7 + 1). */
export const MAX_VARINT_BYTES = 10;

/** Options of a varint-prefixed frame. */
export interface VarintOptions {
  /**
   * The longest payload accepted, in bytes (the varint's value). Checked as soon as the
   * varint is complete, before any payload is buffered.
   * @default 8388608 (8 MiB)
   */
  maxLength?: number;
}

/**
 * Splits a byte stream into varint-prefixed frames and hands out the payloads.
 *
 * ```text
 * +-- len: varint (1 to 10 bytes) --+---- payload ----+            +---- payload ----+
 * | AC 02   (= 300)                 | 300 bytes       |    -->     | 300 bytes       |
 * +---------------------------------+-----------------+            +-----------------+
 * ```
 *
 * Non-minimal varints (`80 00` for 0) are accepted, as protobuf parsers accept them. A
 * varint that runs past 10 bytes, or whose 10th byte carries bits beyond 64, is corrupt
 * and is refused as soon as that byte arrives; a value over 2^53 - 1 cannot be a length a
 * `number` holds and is refused as too long.
 *
 * @throws SocketError `ERR_INVALID_ARGUMENT` at construction for an invalid `maxLength`.
 *
 * @example
 * ```ts
 * const decoder = new VarintDecoder();
 * buffer.append(Buffer.from([0x02, 0x68, 0x69, 0x00]));
 * assert.deepEqual(decoder.decode(buffer), Buffer.from("hi"));
 * assert.deepEqual(new VarintDecoder().decode(buffer), Buffer.alloc(0)); // a zero-length frame
 * ```
 */
export class VarintDecoder implements Decoder {
  readonly #maxLength: number;
  /** Whether the pending frame's varint is complete (then `#prefix` and `#payload` hold). */
  #phase: FramePhase = "header";
  /** The pending frame's varint size in bytes, in the `"payload"` phase. */
  #prefix = 0;
  /** The pending frame's payload length. */
  #payload = 0;
  /** Bytes buffered when the cache was last used: a smaller buffer was consumed elsewhere. */
  #seen = 0;

  constructor(options: VarintOptions = {}) {
    this.#maxLength = checkMaxLength(options.maxLength, DEFAULT_MAX_FRAME_LENGTH);
  }

  /**
   * Takes one payload out of `buffer`, or returns `null` when more bytes are needed.
   * @throws FrameTooLongError `ERR_FRAME_TOO_LONG` as soon as the varint announces more than
   * `maxLength` bytes; nothing is consumed.
   * @throws SocketError `ERR_FRAME_CORRUPT` for a varint over 10 bytes or over 64 bits;
   * nothing is consumed.
   */
  decode(buffer: ReceiveBuffer): Buffer | null {
    if (!this.#readPrefix(buffer) || buffer.length < this.#prefix + this.#payload) return null;
    buffer.discard(this.#prefix);
    this.#phase = "header";
    return buffer.take(this.#payload);
  }

  /** A frame if one is complete; otherwise the leftover bytes as an {@link IncompleteReadError}. */
  decodeEof(buffer: ReceiveBuffer, cause?: unknown): Buffer | null {
    const frame = this.decode(buffer);
    if (frame !== null || buffer.length === 0) return frame;
    const expected = this.#phase === "payload" ? this.#prefix + this.#payload : undefined;
    this.#phase = "header";
    throw new IncompleteReadError(buffer.takeAll(), expected, cause);
  }

  /** Forgets the pending frame's length: for when something else consumed or purged bytes. */
  reset(): void {
    this.#phase = "header";
  }

  /** Whether the pending frame's varint is complete (and within limits). */
  #readPrefix(buffer: ReceiveBuffer): boolean {
    if (this.#phase === "payload" && buffer.length >= this.#seen) {
      this.#seen = buffer.length;
      return true;
    }
    this.#phase = "header";
    // Each term is exact as a double; the sum is exact up to 2^53 - 1 and, rounding being
    // monotonic, stays above MAX_SAFE_INTEGER (hence above maxLength) when the value does.
    let value = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = buffer.byteAt(i);
      if (byte === undefined) return false;
      // The 10th byte holds bit 63 only: a continuation bit or any other bit is corrupt.
      if (i === MAX_VARINT_BYTES - 1 && byte > 1) {
        throw new SocketError("ERR_FRAME_CORRUPT", "a varint length runs past 10 bytes or 64 bits");
      }
      value += (byte & 0x7f) * 2 ** (7 * i);
      if (byte < 0x80) {
        if (value > this.#maxLength) {
          const frame = i + 1 + value; // for onOverflow "skip"; unknown past 2^53 - 1
          throw new FrameTooLongError(
            this.#maxLength,
            Number.isSafeInteger(frame) ? frame : undefined,
          );
        }
        this.#phase = "payload";
        this.#prefix = i + 1;
        this.#payload = value;
        this.#seen = buffer.length;
        return true;
      }
    }
    return false; // not reached: the 10th byte either ends the varint or throws
  }
}

/**
 * The unsigned LEB128 encoding of `n`: 7 bits a byte, least significant first, the high bit
 * set on every byte but the last. Always the minimal encoding.
 *
 * @throws SocketError `ERR_INVALID_ARGUMENT` unless `n` is an integer from 0 to 2^53 - 1.
 *
 * @example
 * ```ts
 * encodeVarintLength(150); // <Buffer 96 01>, protobuf's documented example
 * ```
 */
export function encodeVarintLength(n: number): Buffer {
  let rest = checkInteger("length", n, 0, Number.MAX_SAFE_INTEGER);
  const out: number[] = [];
  // Division, not `>>> 7`: bitwise operators would truncate lengths to 32 bits.
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out);
}

/**
 * Builds one varint-prefixed frame: the payload's length as a varint, then the payload.
 *
 * @param payload Bytes, or text (encoded as UTF-8).
 * @throws FrameTooLongError `ERR_FRAME_TOO_LONG` when the payload is over `maxLength`.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for an invalid `maxLength`.
 *
 * @example
 * ```ts
 * assert.deepEqual(encodeVarint("hi"), Buffer.from([0x02, 0x68, 0x69]));
 * ```
 */
export function encodeVarint(payload: Uint8Array | string, options: VarintOptions = {}): Buffer {
  const maxLength = checkMaxLength(options.maxLength, DEFAULT_MAX_FRAME_LENGTH);
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  if (body.length > maxLength) throw new FrameTooLongError(maxLength);
  return Buffer.concat([encodeVarintLength(body.length), body]);
}
