/**
 * Drives a message sink the way the read queue does (each chunk fed as it arrives; once the
 * sink removed itself, later chunks stay unread), so a sink's output can be compared with
 * the decoder's under any chunking.
 */
import type { SocketError } from "../../src/errors.js";
import { ReceiveBuffer } from "../../src/receive-buffer.js";
import type { MessageHandlerOptions, Sink, SinkHost } from "../../src/sink.js";

/** What a sink delivered, how it ended, and every byte it did not deliver. */
export interface Sunk<T> {
  messages: T[];
  /** The error code that stopped it, "eof" after `onEnd`, or "open" when neither came. */
  end: string;
  /** Bytes not delivered: `partial` of an incomplete read, else the buffer and unfed chunks. */
  rest: Buffer;
  /** How many times `onError` and `onEnd` were called in all (exactly once is right). */
  outcomes: number;
}

/**
 * Feeds `chunks` to the sink `make` gives. `recycled`: each chunk is fed as a view of one
 * scratch buffer, marked transient, and the scratch buffer is overwritten after each feed,
 * as the recycled read buffer (`onread`) is by the next read: a message or buffered byte
 * that still pointed into it would come out scribbled.
 */
export function sinkAll<T>(
  make: (host: SinkHost, handler: (message: T) => void, options: MessageHandlerOptions) => Sink,
  chunks: readonly Buffer[],
  handler: (message: T, sink: Sink) => void = () => {},
  recycled = false,
): Sunk<T> {
  const buffer = new ReceiveBuffer();
  const messages: T[] = [];
  let detached = false;
  let error: SocketError | undefined;
  let end = "open";
  let outcomes = 0;
  const host: SinkHost = {
    detach: () => {
      detached = true;
    },
    report: () => {
      throw new Error("onError was given: report() must not be called");
    },
  };
  const options: MessageHandlerOptions = {
    onError: (e) => {
      error = e;
      end = e.code;
      outcomes++;
    },
    onEnd: () => {
      end = "eof";
      outcomes++;
    },
  };
  const sink: Sink = make(
    host,
    (message) => {
      messages.push(message);
      handler(message, sink);
    },
    options,
  );
  let fed = 0;
  const scratch = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  for (const chunk of chunks) {
    if (detached || sink.halted) break;
    if (recycled) {
      chunk.copy(scratch);
      sink.feed(buffer, scratch.subarray(0, chunk.length), true);
      scratch.fill(0xee); // the next read overwrites the recycled buffer
    } else sink.feed(buffer, Buffer.from(chunk)); // a copy: views must not alias the input
    fed++;
  }
  if (!detached && !sink.halted) sink.finish(buffer, undefined);
  const partial = (error as { partial?: Buffer } | undefined)?.partial;
  const rest = Buffer.concat([partial ?? buffer.peek(buffer.length), ...chunks.slice(fed)]);
  return { messages, end, rest, outcomes };
}
