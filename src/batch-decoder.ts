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
  /**
   * The sink the batches are cut by, made on the first decode and kept until it fails or
   * finishes: making one per batch (its codec options checked again) cost ≈ 700 ns, a
   * batch's whole decode in ping-pong (one message per read).
   */
  #sink: Sink | undefined;
  /** Where the sink's messages go: the batch being cut. */
  #batch: T[] = [];
  /** The error the sink reported during this batch. */
  #failure: SocketError | undefined;
  readonly #deliver = (message: T): void => {
    this.#batch.push(message);
  };
  readonly #handlers: MessageHandlerOptions = {
    onError: (error) => {
      this.#failure = error;
    },
  };

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
    return this.#result(this.#take(buffer, false));
  }

  /**
   * At the end of the stream: the complete messages, then (cleanly) a last line without its
   * ending, or `ERR_INCOMPLETE_READ` with the bytes of a message cut short.
   */
  decodeEof(buffer: ReceiveBuffer, cause?: unknown): T[] | null {
    if (buffer.length === 0) return null;
    const batch = this.#take(buffer, cause === undefined);
    if (this.#failure === undefined && batch.length === 0 && buffer.length > 0) {
      throw new IncompleteReadError(buffer.takeAll(), undefined, cause); // cut by an error
    }
    return this.#result(batch);
  }

  reset(): void {
    this.#sink?.reset();
  }

  /** Feeds what is buffered through the sink (its fast path: nothing buffered before). */
  #take(buffer: ReceiveBuffer, finish: boolean): T[] {
    let sink = this.#sink;
    if (sink === undefined || sink.done) {
      sink = this.#make(HOST, this.#deliver, this.#handlers);
      this.#sink = sink;
    } else sink.reset(); // its scan state is of bytes taken out below
    const batch: T[] = [];
    this.#batch = batch;
    this.#failure = undefined;
    // Chunk by chunk, as they arrived: a line or frame across two chunks is completed from
    // the next one's head (no copy of whole chunks), the rest cut in place.
    const first = buffer.takeChunk();
    if (buffer.length === 0) sink.feed(buffer, first);
    else this.#feedAll(sink, buffer, first);
    if (finish && this.#failure === undefined && (batch.length === 0 || buffer.length === 0)) {
      sink.finish(buffer, undefined);
    }
    return batch;
  }

  /** Feeds `first` and every chunk after it; stops at a failure, the rest put back. */
  #feedAll(sink: Sink, buffer: ReceiveBuffer, first: Buffer): void {
    const chunks: Buffer[] = [first];
    while (buffer.length > 0) chunks.push(buffer.takeChunk());
    for (let i = 0; i < chunks.length; i++) {
      sink.feed(buffer, chunks[i]);
      if (this.#failure !== undefined || sink.halted) {
        for (let j = i + 1; j < chunks.length; j++) buffer.append(chunks[j] as Buffer);
        return;
      }
    }
  }

  #result(batch: T[]): T[] | null {
    if (batch.length > 0) return batch;
    if (this.#failure !== undefined) throw this.#failure;
    return null;
  }
}
