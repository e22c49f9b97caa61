/**
 * The options every read takes (`timeout`, `signal`), the tagged read's `repeat`, and how a
 * queued read settles: the contract between the read forms and the read queue (`reader.ts`).
 *
 * @module
 */
import type { SocketError } from "./errors.js";

/** Options every read takes. */
export interface ReadOptions {
  /**
   * Milliseconds to wait for this read; on expiry it rejects with `ERR_READ_TIMEOUT`,
   * consumes nothing, and the socket stays open. `0` or absent: no timeout.
   */
  timeout?: number;
  /** Aborts this read with `ERR_ABORTED` (the signal's reason on `cause`). */
  signal?: AbortSignal;
}

/** Options of the tagged `read()`: those of every read, and `repeat`. */
export interface TaggedReadOptions extends ReadOptions {
  /**
   * A standing read (hs.socket's read loop, without re-arming it in the `'read'` listener):
   * the read stays at the head of the queue and delivers every frame of its kind as a
   * `'read'` event with its tag, until it fails (`ERR_END_OF_STREAM` at a clean end,
   * `ERR_INCOMPLETE_READ`, `ERR_FRAME_TOO_LONG`, the socket's error) or its `signal` aborts
   * it (`ERR_ABORTED`); the failure goes to `'readError'` once. Reads queued after it wait
   * until then. No queue entry, option check or decoder look-up per frame (bench W2
   * `tagged`). Not with `timeout` (`ERR_INVALID_ARGUMENT`): stop it with `signal`.
   * @default false
   */
  repeat?: boolean;
}

/**
 * How a read settles: one of the two is called, exactly once, with the tag the read was
 * queued with. One object can serve every tagged read of a socket.
 */
export interface ReadSettle<T = Buffer> {
  resolve(data: T, tag: unknown): void;
  reject(error: SocketError, tag: unknown): void;
}
