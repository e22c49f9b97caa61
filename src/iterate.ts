/**
 * Async iteration over a socket's reads: `for await (const line of socket.lines())`,
 * `socket.frames()`, `for await (const chunk of socket)`. Each step is one queued read, so
 * iteration keeps the FIFO order with other reads, and breaking out of a loop leaves the
 * unread bytes in the receive buffer.
 *
 * @module
 */
import { BytesSkipper } from "./codec/bytes.js";
import type { Decoder } from "./codec/delimiter.js";
import { type FrameOptions, frameDecoder } from "./codec/frame.js";
import { LineDecoder, type LineOptions } from "./codec/line.js";
import { FrameTooLongError, IncompleteReadError, type SocketError } from "./errors.js";
import { decodeText, type TextOptions } from "./text.js";

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

/** Options of `lines()`: the line codec, the text decoding (UTF-8 by default), iteration. */
export type LinesOptions = LineOptions & Partial<TextOptions> & IterateOptions;

/**
 * Lines as text until the stream ends; a last line without a line ending is yielded too,
 * as Node's readline does. An over-long line is skipped through its line ending.
 */
export async function* iterateLines(
  read: QueuedRead,
  options: LinesOptions,
): AsyncGenerator<string, void, undefined> {
  const { encoding = "utf8", invalidText = "replace" } = options;
  const make = (): LineDecoder => new LineDecoder(options);
  try {
    for await (const line of iterateFrames(read, make, () => make().skipper(), options)) {
      yield decodeText(line, encoding, invalidText);
    }
  } catch (error) {
    if (!(error instanceof IncompleteReadError) || error.cause !== undefined) throw error;
    yield decodeText(error.partial, encoding, invalidText); // the last, unterminated line
  }
}

/**
 * Length-prefixed payloads until the stream ends cleanly; an over-long frame is skipped by
 * its declared length when `onOverflow` is `"skip"`.
 */
export function iterateLengthFrames(
  read: QueuedRead,
  codec: FrameOptions | undefined,
  options: IterateOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const skip = (error: FrameTooLongError) =>
    error.frameLength === undefined ? undefined : new BytesSkipper(error.frameLength);
  return iterateFrames(read, () => frameDecoder(codec), skip, options);
}
