/**
 * A batch per read (`socket.lineBatches()`, `socket.frameBatches()`): a decoder whose one
 * result is every complete message buffered, as an array, taken by a message sink's fast
 * path. Iterated like any read, it costs one promise per read instead of one per message;
 * the receive buffer is the bounded queue (reading from the kernel stops at its high-water
 * mark), and a loop left early leaves every byte not handed out buffered.
 *
 * @module
 */
import type { Decoder } from "./codec/delimiter.js";
import { IncompleteReadError, type SocketError } from "./errors.js";
import type { ReceiveBuffer } from "./receive-buffer.js";
import type { MessageHandlerOptions, Sink, SinkHost } from "./sink.js";

/** Makes a sink that hands each message to `handler` (a line or a frame sink). */
export type SinkFactory<T> = (
  host: SinkHost,
  handler: (message: T) => void,
  options: MessageHandlerOptions,
) => Sink;

/** The sink's host while one batch is decoded: nothing to detach from, errors recorded. */
const HOST: SinkHost = { detach() {}, report() {} };

/** Every complete message in the buffer, as one array; `null` when there is none yet. */
export class BatchDecoder<T> implements Decoder<T[]> {
  readonly #make: SinkFactory<T>;

  /** @param make called now once, so that bad codec options throw here. */
  constructor(make: SinkFactory<T>) {
    this.#make = make;
    make(HOST, () => {}, {});
  }

  /**
   * @throws the sink's error (`ERR_FRAME_TOO_LONG`, `ERR_INVALID_TEXT`, …) when it comes
   * before any message; after some, those are returned and the error comes on the next
   * call, the offending bytes still buffered.
   */
  decode(buffer: ReceiveBuffer): T[] | null {
    if (buffer.length === 0) return null;
    const { batch, failure } = this.#take(buffer, false);
    return this.#result(batch, failure);
  }

  /**
   * At the end of the stream: the complete messages, then (cleanly) a last line without its
   * ending, or `ERR_INCOMPLETE_READ` with the bytes of a message cut short.
   */
  decodeEof(buffer: ReceiveBuffer, cause?: unknown): T[] | null {
    if (buffer.length === 0) return null;
    const { batch, failure } = this.#take(buffer, cause === undefined);
    if (failure === undefined && batch.length === 0 && buffer.length > 0) {
      throw new IncompleteReadError(buffer.takeAll(), undefined, cause); // cut by an error
    }
    return this.#result(batch, failure);
  }

  /** Feeds what is buffered through a fresh sink (its fast path: nothing buffered before). */
  #take(buffer: ReceiveBuffer, finish: boolean): { batch: T[]; failure: SocketError | undefined } {
    const batch: T[] = [];
    let failure: SocketError | undefined;
    const sink = this.#make(HOST, (message) => batch.push(message), {
      onError: (error) => {
        failure = error;
      },
    });
    // Chunk by chunk, as they arrived: a line or frame across two chunks is completed from
    // the next one's head (no copy of whole chunks), the rest cut in place.
    const chunks: Buffer[] = [];
    while (buffer.length > 0) chunks.push(buffer.takeChunk());
    for (let i = 0; i < chunks.length; i++) {
      sink.feed(buffer, chunks[i]);
      if (failure !== undefined || sink.halted) {
        for (let j = i + 1; j < chunks.length; j++) buffer.append(chunks[j] as Buffer);
        break;
      }
    }
    if (finish && failure === undefined && (batch.length === 0 || buffer.length === 0)) {
      sink.finish(buffer, undefined);
    }
    return { batch, failure };
  }

  #result(batch: T[], failure: SocketError | undefined): T[] | null {
    if (batch.length > 0) return batch;
    if (failure !== undefined) throw failure;
    return null;
  }
}
