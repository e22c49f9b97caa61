/**
 * Fixed-length and "whatever is there" decoders: pure, no I/O.
 *
 * @module
 */
import { IncompleteReadError } from "../errors.js";
import type { ReceiveBuffer } from "../receive-buffer.js";
import type { Decoder } from "./decoder.js";

/**
 * Takes exactly `length` bytes (the decoder behind `socket.readBytes(n)` and hs.socket's
 * `read(n, tag)`). At the end of the stream, fewer bytes are an {@link IncompleteReadError}
 * carrying them as `partial` and `length` as `expected`.
 *
 * @example
 * ```ts
 * buffer.append(Buffer.from("abcde"));
 * new BytesDecoder(4).decode(buffer); // <Buffer "abcd">
 * new BytesDecoder(4).decode(buffer); // null: one byte buffered, four needed
 * ```
 */
export class BytesDecoder implements Decoder {
  readonly #length: number;

  constructor(length: number) {
    this.#length = length;
  }

  decode(buffer: ReceiveBuffer): Buffer | null {
    return buffer.length >= this.#length ? buffer.take(this.#length) : null;
  }

  decodeEof(buffer: ReceiveBuffer, cause?: unknown): Buffer | null {
    const frame = this.decode(buffer);
    if (frame !== null || buffer.length === 0) return frame;
    throw new IncompleteReadError(buffer.takeAll(), this.#length, cause);
  }
}

/** Shared decoders for the small lengths: a `BytesDecoder` holds nothing but its length. */
const SHARED_UP_TO = 1024;
const SHARED: (BytesDecoder | undefined)[] = new Array(SHARED_UP_TO + 1).fill(undefined);

/**
 * A decoder of exactly `length` bytes: one shared instance per length up to 1,024 bytes
 * (reading a header or a small record allocates no decoder), a new one above.
 */
export function bytesDecoder(length: number): BytesDecoder {
  if (length > SHARED_UP_TO) return new BytesDecoder(length);
  let decoder = SHARED[length];
  if (decoder === undefined) {
    decoder = new BytesDecoder(length);
    SHARED[length] = decoder;
  }
  return decoder;
}

/**
 * Takes every buffered byte once there is at least one (the decoder behind
 * `socket.readAvailable()`, Xojo's `ReadAll` after `DataAvailable`). At a clean end of stream
 * with nothing buffered it yields an empty buffer, the classic `read() == 0` end-of-file signal.
 *
 * @example
 * ```ts
 * buffer.append(Buffer.from("ab"));
 * buffer.append(Buffer.from("cd"));
 * availableDecoder.decode(buffer); // <Buffer "abcd">
 * ```
 */
export const availableDecoder: Decoder = {
  decode: (buffer) => (buffer.length > 0 ? buffer.takeAll() : null),
  decodeEof: (buffer, cause) => {
    if (buffer.length > 0) return buffer.takeAll();
    return cause === undefined ? Buffer.alloc(0) : null;
  },
};

/**
 * Takes the first buffered chunk, as the transport delivered it (or what is left of it):
 * never a copy, where {@link availableDecoder} joins what several chunks hold. At the end of
 * the stream with nothing buffered it has nothing to give (the read ends with
 * `ERR_END_OF_STREAM`): the decoder behind `for await (const chunk of socket)`.
 */
export const chunkDecoder: Decoder = {
  decode: (buffer) => (buffer.length > 0 ? buffer.takeChunk() : null),
  decodeEof: (buffer) => (buffer.length > 0 ? buffer.takeChunk() : null),
};

/**
 * Discards exactly `length` bytes as they arrive, never holding more than one chunk: the way
 * past an over-long length-prefixed frame (`onOverflow: "skip"`). Delivers an empty buffer
 * once done; at the end of the stream it discards what is left.
 */
export class BytesSkipper implements Decoder {
  #left: number;

  constructor(length: number) {
    this.#left = length;
  }

  decode(buffer: ReceiveBuffer): Buffer | null {
    const drop = Math.min(this.#left, buffer.length);
    buffer.discard(drop);
    this.#left -= drop;
    return this.#left === 0 ? EMPTY : null;
  }

  decodeEof(buffer: ReceiveBuffer): Buffer | null {
    this.decode(buffer);
    return EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);
