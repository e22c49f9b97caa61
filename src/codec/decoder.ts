/**
 * The codec contract (tokio-util's `Decoder`): what every codec keeps, built-in or a user's
 * own, so that any of them plugs into a socket's read queue (`socket.readWith()`,
 * `socket.messages()`, `socket.onMessage()`) with the same limits, timeouts and
 * exactly-once rules as the built-in reads. Pure: no I/O.
 *
 * @module
 */
import type { IncompleteReadError } from "../errors.js";
import type { ReceiveBuffer } from "../receive-buffer.js";

/**
 * Something that takes frames out of a receive buffer: the contract every codec keeps.
 * `T` is what a frame is handed out as (bytes, unless a codec decodes them further).
 *
 * The rules a decoder keeps, which make the socket's guarantees hold for it too:
 * - `decode` consumes exactly one frame and returns it, or consumes nothing and returns
 *   `null` (then it is called again with more bytes). Frames must not depend on how the
 *   bytes were chunked.
 * - Refusing a frame (too long, corrupt) is throwing a `SocketError` with nothing consumed:
 *   the bytes stay buffered, and the caller decides.
 * - It may keep scan state between calls about the bytes it has seen; `reset()` drops it
 *   (the buffer was purged, or another read took bytes).
 *
 * Give one to `socket.readWith()`, `socket.messages()` or `socket.onMessage()`.
 *
 * @example
 * ```ts
 * // Netstrings ("5:hello,"): a frame is taken only once it is whole.
 * const COLON = Buffer.from(":");
 * const netstring: Decoder<string> = {
 *   decode(buffer) {
 *     const colon = buffer.indexOf(COLON);
 *     if (colon < 0) return null;
 *     const length = Number(buffer.peek(colon).toString());
 *     if (buffer.length < colon + length + 2) return null;
 *     buffer.discard(colon + 1);
 *     const text = buffer.take(length).toString();
 *     buffer.discard(1); // the ","
 *     return text;
 *   },
 *   decodeEof(buffer, cause) {
 *     const frame = this.decode(buffer);
 *     if (frame !== null || buffer.length === 0) return frame;
 *     throw new IncompleteReadError(buffer.takeAll(), undefined, cause);
 *   },
 * };
 * const buffer = new ReceiveBuffer();
 * buffer.append(Buffer.from("5:hello,3:a"));
 * assert.equal(netstring.decode(buffer), "hello");
 * assert.equal(netstring.decode(buffer), null); // "3:a" waits for the rest
 * ```
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

/**
 * Where a length-prefixed decoder is in its pending frame: `"header"` until the length
 * field is complete, then `"payload"` until the frame the header announced is buffered.
 * A string, not an object, so that a step costs no allocation.
 */
export type FramePhase = "header" | "payload";
