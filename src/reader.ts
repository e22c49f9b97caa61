/**
 * The read queue (hs.socket / CocoaAsyncSocket): reads are served strictly in the order they
 * were asked for, each from the bytes of the receive buffer, each settling exactly once.
 * A read times out or is aborted on its own; it never consumes bytes it does not deliver.
 *
 * @module
 */
import { checkReadOptions, checkRepeat } from "./arguments.js";
import type { Decoder } from "./codec/decoder.js";
import { abortedNow, type Deadline, startDeadline } from "./deadline.js";
import { endOfStreamError, SocketError, toDecoderError } from "./errors.js";
import type { ReadSettle, TaggedReadOptions } from "./read-options.js";
import { ReceiveBuffer } from "./receive-buffer.js";
import { copyOf, type Sink } from "./sink.js";

interface Pending {
  /** What it decodes to is the business of its settle; the queue only passes it on. */
  readonly decoder: Decoder<unknown>;
  readonly settle: ReadSettle<unknown>;
  readonly tag: unknown;
  /** A standing read ({@link TaggedReadOptions.repeat}): resolves per frame, fails once. */
  readonly repeat: boolean;
  /** The read's own timeout and abort signal, when it has either. */
  deadline: Deadline | undefined;
}

/**
 * The queue of every reader with no read waiting: shared, so never added to. An array of
 * objects, as every queue is (`[]` would be one of small integers).
 */
const NO_READS: Pending[] = [{} as Pending];
NO_READS.pop();

/** What the reader asks of its transport to apply backpressure: a `net.Socket` has both. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/** The key of a socket's count of completed reads. @internal */
export const readsDone: unique symbol = Symbol("sockit.readsDone");

/** The default read high-water mark: 1 MiB (1,048,576 bytes) buffered with no read waiting. */
export const DEFAULT_READ_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Serves queued reads from a {@link ReceiveBuffer}. The transport pushes chunks and the end
 * of the stream; callers enqueue decoders. When no read is waiting and the buffer holds at
 * least `highWaterMark` bytes, the reader pauses the transport, and resumes it once a read
 * is waiting or the buffer has drained below the mark.
 */
export class Reader {
  readonly buffer = new ReceiveBuffer();
  /** The queued reads, oldest first; when empty, the shared {@link NO_READS}. */
  #queue: Pending[] = NO_READS;
  #flow: FlowControl;
  readonly #highWaterMark: number;
  #paused = false;
  #processing = false;
  /** Closing: keep reading to see the peer's FIN, but buffer nothing past the mark. */
  #discarding = false;
  /** A TLS upgrade is under way: buffer, but serve no read until the secure layer is in. */
  #held = false;
  /** The read being served: a decoder reused by a later read starts that read afresh. */
  #serving: Pending | undefined;
  #ended = false;
  #endCause: SocketError | undefined;
  /** The synchronous consumer (`onLine`, `onFrame`, `onMessage`) while one is attached. */
  #sink: Sink | undefined;
  /** The owner called `pause()`: nothing goes to a sink and the kernel is not read. */
  #userPaused = false;
  /** How many reads resolved with a frame (a server's first-message deadline watches it). */
  delivered = 0;

  constructor(flow: FlowControl, highWaterMark = DEFAULT_READ_HIGH_WATER_MARK) {
    this.#flow = flow;
    this.#highWaterMark = highWaterMark;
  }

  /** How many reads are waiting. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Adds bytes from the transport and serves what reads it can. `transient`: `chunk` is a
   * view of the recycled read buffer, valid during this call only, so what is kept of it is
   * copied (a sink decodes lines straight from it).
   */
  push(chunk: Buffer, transient = false): void {
    const sink = this.#sink;
    if (sink !== undefined) {
      // The message-rate path: the chunk goes to the sink's handler, not into a read.
      if (sink.halted) this.buffer.append(transient ? copyOf(chunk) : chunk);
      else {
        const before = this.buffer.length + chunk.length;
        sink.feed(this.buffer, chunk, transient);
        if (this.buffer.length < before) this.delivered++; // some message went out
      }
      this.#applyFlow();
      return;
    }
    if (this.#discarding && this.#queue.length === 0 && this.buffer.length >= this.#highWaterMark)
      return;
    this.buffer.append(transient ? copyOf(chunk) : chunk);
    this.#process();
  }

  /** Serves no read until {@link release} (a STARTTLS upgrade owns the bytes meanwhile). */
  hold(): void {
    this.#held = true;
    if (this.#sink !== undefined) this.#sink.halted = true;
  }

  /** Serves reads again, from what arrives through `flow`, the new layer. */
  release(flow: FlowControl): void {
    this.#flow = flow;
    this.#paused = false; // the old transport is the new layer's to read now
    this.#held = false;
    this.#sink?.reset(); // the upgrade took the buffered bytes
    if (this.#sink !== undefined) this.#wakeSink();
    else this.#process();
  }

  /**
   * Feeds the stream to `sink` from now on, what is buffered first: one consumer at a time,
   * so no read may be queued, and none is served until {@link detach}.
   * @throws SocketError `ERR_INVALID_STATE` when reads are queued or a sink is attached.
   */
  attach(sink: Sink): void {
    if (this.#sink !== undefined || this.#queue.length > 0) {
      const what = this.#sink !== undefined ? "a message handler" : "queued reads";
      throw new SocketError("ERR_INVALID_STATE", `${what} already consume the stream`);
    }
    this.#sink = sink;
    sink.halted = true;
    this.#wakeSink();
  }

  /** Stops feeding `sink` (removed, failed or done); what it left stays buffered. */
  detach(sink: Sink): void {
    if (this.#sink !== sink) return;
    this.#sink = undefined;
    sink.halted = true;
    this.#applyFlow();
  }

  /**
   * Stops delivery to a message handler (mid-chunk when called from one: the rest stays
   * buffered) and stops reading from the kernel. Queued reads are served from the buffer.
   */
  pause(): void {
    this.#userPaused = true;
    if (this.#sink !== undefined) this.#sink.halted = true;
    this.#applyFlow();
  }

  /** Undoes {@link pause}: what was buffered meanwhile goes to the handler first. */
  resume(): void {
    if (!this.#userPaused) return;
    this.#userPaused = false;
    if (this.#sink !== undefined) this.#wakeSink();
    else this.#applyFlow();
  }

  /** Whether {@link pause} is in force. */
  get paused(): boolean {
    return this.#userPaused;
  }

  /** Lets the sink take what is buffered, and the end of the stream, unless it must wait. */
  #wakeSink(): void {
    const sink = this.#sink;
    if (sink !== undefined && !this.#held && !this.#userPaused) {
      sink.halted = false;
      sink.reset(); // its scan state may date from bytes another consumer took
      if (this.buffer.length > 0) sink.feed(this.buffer, undefined, false);
      if (this.#ended && this.#sink === sink && !sink.halted)
        sink.finish(this.buffer, this.#endCause);
    }
    this.#applyFlow();
  }

  /**
   * The socket is closing: read on so that the peer's FIN is seen, but once the buffer holds
   * `highWaterMark` bytes with no read waiting, discard what arrives instead of buffering it.
   */
  discardOverflow(): void {
    this.#discarding = true;
    this.#userPaused = false; // a paused socket would never see the peer's FIN
    this.#applyFlow();
  }

  /** The stream has ended; `cause` is the error when it ended by one. Idempotent. */
  end(cause?: SocketError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#endCause = cause;
    if (this.#sink !== undefined) this.#wakeSink();
    else this.#process();
  }

  /** Queues a read. It settles through `settle` exactly once, with `tag`. */
  enqueue<T>(
    decoder: Decoder<T>,
    settle: ReadSettle<T>,
    options?: TaggedReadOptions,
    tag?: unknown,
  ): void {
    if (this.#sink !== undefined) {
      const message = "a message handler consumes the stream: remove it before reading";
      settle.reject(new SocketError("ERR_INVALID_STATE", message), tag);
      return;
    }
    let repeat = false;
    if (options !== undefined) {
      const invalid =
        checkReadOptions(options) ?? checkRepeat(options) ?? abortedNow("read", options.signal);
      if (invalid !== undefined) {
        settle.reject(invalid, tag);
        return;
      }
      repeat = options.repeat === true;
    }
    const pending: Pending = { decoder, settle, tag, repeat, deadline: undefined };
    const timeout = options?.timeout ?? 0;
    if (timeout > 0 || options?.signal !== undefined) {
      // Only a read with a deadline pays for one (a closure, a timer, a listener).
      pending.deadline = startDeadline("read", timeout, options?.signal, (error) =>
        this.#cancel(pending, error),
      );
    }
    // An empty queue holds no array of its own: an idle connection keeps none (W5).
    if (this.#queue.length === 0) this.#queue = [pending];
    else this.#queue.push(pending);
    this.#process();
  }

  /**
   * Decodes a frame at once, without queueing a read, when that keeps the FIFO order: no
   * read is waiting, no upgrade holds the bytes, the stream has not ended. Returns null when
   * that is not so or no frame is complete yet (then queue a read). Decoder errors throw.
   */
  decodeNow<T>(decoder: Pick<Decoder<T>, "decode">): T | null {
    if (
      this.#queue.length > 0 ||
      this.#held ||
      this.#ended ||
      this.buffer.length === 0 ||
      this.#sink !== undefined
    )
      return null;
    this.#serving = undefined; // a queued read with this decoder later starts afresh
    const frame = decoder.decode(this.buffer);
    if (frame !== null) {
      this.delivered++;
      this.#applyFlow();
    }
    return frame;
  }

  /** Drops every buffered byte (Xojo `Purge`); returns how many. Queued reads stay queued. */
  purge(): number {
    const dropped = this.buffer.clear();
    for (const pending of this.#queue) pending.decoder.reset?.(); // their scan state is stale
    this.#sink?.reset();
    this.#applyFlow();
    return dropped;
  }

  /** Rejects every queued read with `error` (the socket was destroyed by its owner). */
  failAll(error: SocketError): void {
    this.#forgetServing();
    const failed = this.#queue;
    this.#queue = NO_READS;
    for (const pending of failed) this.#fail(pending, error);
  }

  #cancel(pending: Pending, error: SocketError): void {
    const index = this.#queue.indexOf(pending);
    if (index < 0) return;
    if (this.#queue.length === 1) this.#queue = NO_READS;
    else this.#queue.splice(index, 1);
    if (pending === this.#serving) this.#forgetServing();
    this.#fail(pending, error);
    // The next read may be servable from what is already buffered.
    if (index === 0) this.#process();
  }

  /** Drops the read at the head of the queue; an emptied queue lets its array go. */
  #dequeue(): void {
    if (this.#queue.length === 1) this.#queue = NO_READS;
    else this.#queue.shift();
  }

  #process(): void {
    if (this.#held) return;
    if (this.#processing) return; // a read callback queued another read: the loop picks it up
    this.#processing = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0] as Pending;
        if (head !== this.#serving) {
          this.#serving = head;
          head.decoder.reset?.(); // its scan state may date from bytes another read took
        }
        let result: unknown;
        try {
          result = this.#ended
            ? head.decoder.decodeEof(this.buffer, this.#endCause)
            : head.decoder.decode(this.buffer);
          if (result === null && this.#ended) throw this.#endCause ?? endOfStreamError();
        } catch (error) {
          this.#dequeue();
          this.#serving = undefined;
          this.#fail(head, toDecoderError(error));
          continue;
        }
        if (result === null) break;
        if (head.repeat) {
          // A standing read stays at the head, its decoder ready for the next frame.
          this.delivered++;
          head.settle.resolve(result, head.tag);
          continue;
        }
        this.#dequeue();
        this.#serving = undefined; // not kept: a settled read must not stay reachable
        this.#settle(head);
        this.delivered++;
        head.settle.resolve(result, head.tag);
      }
    } finally {
      this.#processing = false;
    }
    this.#applyFlow();
  }

  /**
   * The read being served ends without its frame (timed out, aborted, failed): its decoder's
   * scan state describes bytes it will not take, and a decoder can be shared with later reads
   * (the socket's default line decoder, say), so that state is dropped now.
   */
  #forgetServing(): void {
    this.#serving?.decoder.reset?.();
    this.#serving = undefined;
  }

  /** Stops a read's timer and abort listener: it is about to settle. */
  #settle(pending: Pending): void {
    pending.deadline?.clear();
  }

  #fail(pending: Pending, error: SocketError): void {
    this.#settle(pending);
    pending.settle.reject(error, pending.tag);
  }

  #applyFlow(): void {
    // A sink is like a waiting read (its maxLength bounds the buffer); pause() stops reading.
    const full =
      this.#userPaused ||
      (!this.#discarding &&
        this.#queue.length === 0 &&
        this.#sink === undefined &&
        this.buffer.length >= this.#highWaterMark);
    if (full && !this.#paused && !this.#ended) {
      this.#paused = true;
      this.#flow.pause();
    } else if (!full && this.#paused) {
      this.#paused = false;
      this.#flow.resume();
    }
  }
}
