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
