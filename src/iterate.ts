/**
 * Async iteration over a socket's reads: `for await (const line of socket.lines())`,
 * `socket.frames()`, `for await (const chunk of socket)`. Each step is one queued read, so
 * iteration keeps the FIFO order with other reads, and breaking out of a loop leaves the
 * unread bytes in the receive buffer.
 *
 * @module
 */
import type { Decoder } from "./codec/delimiter.js";
import { FrameTooLongError, type SocketError } from "./errors.js";

/** What to do with a frame over `maxLength` while iterating. */
export type OnOverflow = "error" | "skip";

/** Options of `lines()` and `frames()` beyond the codec's own. */
export interface IterateOptions {
  /**
   * `"error"`: the loop ends by throwing `ERR_FRAME_TOO_LONG` (the bytes stay buffered).
   * `"skip"`: the over-long frame is discarded as it arrives, never buffered whole: a
   * delimited frame exactly through its next delimiter, a length-prefixed one exactly its
   * declared length. A length too large to count (an 8-byte length over 2^53) cannot be
   * skipped and ends the loop with the error.
   * @default "error"
   */
  onOverflow?: OnOverflow;
  /** Ends the loop: the pending read is aborted with `ERR_ABORTED`, which the loop throws. */
  signal?: AbortSignal;
}

/** One queued read of the socket, as the iterator uses it. */
export type QueuedRead = (decoder: Decoder, signal: AbortSignal | undefined) => Promise<Buffer>;

/**
 * Yields frames from successive reads until the stream ends cleanly. A frame cut short by
 * the end of the stream throws `ERR_INCOMPLETE_READ` with its `partial` bytes.
 *
 * @param makeDecoder a decoder for one frame (one per read: a decoder keeps scan state).
 * @param skipper the decoder that discards a frame refused as too long, or undefined when
 * it cannot be skipped.
 */
export async function* iterateFrames(
  read: QueuedRead,
  makeDecoder: () => Decoder,
  skipper: (error: FrameTooLongError) => Decoder | undefined,
  options: IterateOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const { onOverflow = "error", signal } = options;
  for (;;) {
    let frame: Buffer;
    try {
      frame = await read(makeDecoder(), signal);
    } catch (error) {
      const code = (error as SocketError).code;
      if (code === "ERR_END_OF_STREAM") return;
      const skip =
        onOverflow === "skip" && error instanceof FrameTooLongError ? skipper(error) : undefined;
      if (skip === undefined) throw error;
      await read(skip, signal);
      continue;
    }
    yield frame;
  }
}
