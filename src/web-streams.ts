/**
 * Web streams over a {@link Socket}: a `ReadableStream<Uint8Array>` and a
 * `WritableStream<Uint8Array>` in the shape of the WinterTC (formerly WinterCG) Sockets API
 * proposal (https://sockets-api.proposal.wintercg.org/), where `connect()` returns a socket
 * with `readable`, `writable`, `opened`, `closed` and `close()`. With them a sockit socket
 * plugs into `pipeTo`, `pipeThrough(new TextDecoderStream())` and fetch-style code, and
 * backpressure carries through in both directions:
 *
 * - reading: the readable only reads from sockit when its consumer pulls, so an idle consumer
 *   lets sockit's receive buffer fill to `readHighWaterMark`, and sockit then stops reading
 *   from the kernel (the peer's TCP window closes);
 * - writing: each chunk's write resolves only once its bytes are in the kernel
 *   (`socket.send()`), so `pipeTo` and `writer.ready` wait for the peer.
 *
 * `socket.readable` and `socket.writable` are these streams, created on first use. The
 * functions here take what they use of a socket ({@link StreamReadSource},
 * {@link StreamWriteTarget}), so `socket.ts` imports this module and not the reverse.
 *
 * @module
 */

import { checkInteger } from "./arguments.js";
import { abortedError, SocketError } from "./errors.js";

/** What a readable stream reads: a sockit `Socket` (or anything with its `readAvailable`). */
export interface StreamReadSource {
  /** Every buffered byte, waiting for at least one; empty at a clean end of stream. */
  readAvailable(options?: { signal?: AbortSignal }): Promise<Buffer>;
}

/** What a writable stream writes to: a sockit `Socket` (or anything with these three). */
export interface StreamWriteTarget {
  /** Resolves once the bytes reach the kernel. */
  send(data: Uint8Array): Promise<void>;
  /** Flushes, then half-closes. */
  end(): Promise<void>;
  /** Drops the connection with `error`. */
  destroy(error?: SocketError): Promise<unknown>;
}

/** Options of {@link toReadableStream}. */
export interface ToReadableStreamOptions {
  /**
   * Chunks the stream may read ahead of its consumer (a count of chunks, not bytes).
   *
   * `0`, the default, is pure pull: sockit is read only while a `reader.read()` (or a
   * `pipeTo`) is waiting, so unread bytes stay in sockit's receive buffer, which is already
   * bounded by `readHighWaterMark` and applies backpressure to the kernel. A read-ahead queue
   * in the stream would add no throughput on top of that buffer, and its chunks would be
   * lost on `cancel()` (a stream's queue is dropped when it is cancelled), whereas bytes left
   * in sockit's buffer stay readable with sockit's own reads.
   * @default 0
   */
  highWaterMark?: number;
}

/**
 * Makes a byte `ReadableStream` that reads `socket` (WinterTC `socket.readable`).
 *
 * Each pull takes every byte buffered (`socket.readAvailable()`, waiting for at least one)
 * and enqueues it as one `Uint8Array` chunk: a plain `Uint8Array` view over the Buffer's
 * memory, not a copy, and not a `Buffer`, so web code that relies on `Uint8Array`
 * semantics (`chunk.slice()` copies) behaves as it does in other runtimes.
 *
 * - The peer's FIN, once buffered bytes are read, closes the stream (`done: true`).
 * - A socket error errors the stream with that {@link SocketError}, after the bytes that
 *   arrived before it: `ECONNRESET`, `ETIMEDOUT`, …, the error given to
 *   `socket.destroy(error)`, or `ERR_SOCKET_CLOSED` after a plain `socket.destroy()`.
 * - `cancel(reason)` (also `reader.cancel()`, or `pipeTo` when its destination fails) stops
 *   reading: the pending `readAvailable()` is aborted, which consumes nothing, and the
 *   stream is done. The socket stays open and its write side is untouched (as in the
 *   WinterTC proposal, cancelling the readable does not close the writable). sockit has no
 *   read-side shutdown, so bytes that arrive later, and bytes not yet pulled, stay in sockit's
 *   receive buffer, readable with `socket.readAvailable()` and the other reads; once it
 *   reaches `readHighWaterMark`, sockit stops reading from the kernel. The one exception is
 *   a chunk the pending read had already taken when `cancel()` ran in the same tick (from
 *   a `'dataAvailable'` listener, say): it goes with the cancelled stream.
 *
 * The stream is not a `type: "bytes"` stream: enqueueing into a byte stream transfers
 * (detaches) the chunk's `ArrayBuffer`, and Node's Buffers often share one (the 8 KiB pool,
 * a slab the chunk is a slice of), so each chunk would need a copy to be safe. A default
 * stream of `Uint8Array` hands out the bytes without a copy; BYOB readers are not offered.
 *
 * Make one readable per socket (`socket.readable` does): two would take turns at the bytes.
 *
 * @param socket A connected or connecting socket; reads queue until it is connected.
 * @param options `highWaterMark`: chunks read ahead of the consumer, default 0 (pure pull).
 * @throws SocketError `ERR_INVALID_ARGUMENT`, synchronously, for a `highWaterMark` that is
 * not an integer `>= 0`.
 * @example
 * ```ts
 * const socket = connect("example.org:80");
 * socket.write("GET / HTTP/1.0\r\nHost: example.org\r\n\r\n");
 * for await (const text of toReadableStream(socket).pipeThrough(new TextDecoderStream())) {
 *   process.stdout.write(text);
 * }
 * ```
 */
export function toReadableStream(
  socket: StreamReadSource,
  options: ToReadableStreamOptions = {},
): ReadableStream<Uint8Array> {
  const highWaterMark = checkInteger(
    "highWaterMark",
    options.highWaterMark ?? 0,
    0,
    Number.MAX_SAFE_INTEGER,
  );
  /** Aborts the read in progress, if any. */
  let reading: AbortController | undefined;
  /** Closed, errored or cancelled: nothing more may reach the controller. */
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      // The stream never calls pull again before the previous pull has settled.
      async pull(controller) {
        const abort = new AbortController();
        reading = abort;
        let chunk: Buffer;
        try {
          chunk = await socket.readAvailable({ signal: abort.signal });
        } catch (error) {
          if (!done) {
            done = true;
            controller.error(error);
          }
          return;
        } finally {
          reading = undefined;
        }
        if (done) return; // cancelled in the tick that delivered the chunk (see above)
        if (chunk.length === 0) {
          done = true; // readAvailable's clean end of stream
          controller.close();
          return;
        }
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      },
      cancel(reason) {
        done = true;
        reading?.abort(reason);
      },
    },
    { highWaterMark },
  );
}

/**
 * Makes a `WritableStream` that writes to `socket` (WinterTC `socket.writable`).
 *
 * - `write(chunk)` sends the bytes with `socket.send()` and resolves once they are in the
 *   kernel, so the stream's backpressure (`writer.ready`, `pipeTo`) follows the peer. The
 *   queuing strategy is the default one: one chunk.
 * - `close()` is a half-close (`socket.end()`): queued bytes are flushed, then FIN is sent;
 *   the socket can still receive (its readable goes on) until the peer closes. It resolves
 *   once the FIN is sent, or at once when the socket is already closed (every chunk's write
 *   had settled by then). Closing the whole socket is `socket.close()`.
 * - `abort(reason)` destroys the socket with a `SocketError` `ERR_ABORTED` whose `cause`
 *   is `reason`: `socket.closed` resolves with `{ hadError: true, error }`. It acts at once,
 *   also while a write waits for a peer that does not read (through the controller's
 *   abort signal); `pipeTo` aborts its destination this way when its source errors.
 *
 * Chunks must be `Uint8Array`s (a `Buffer` is one). A string, an `ArrayBuffer` or another
 * view errors the stream with `ERR_INVALID_ARGUMENT` and leaves the socket as it is: the
 * WinterTC writable carries bytes, and text goes through `new TextEncoderStream()` first,
 * which makes exactly such chunks.
 *
 * Errors (a write rejects and the stream errors): `ERR_INVALID_ARGUMENT`,
 * `ERR_SOCKET_CLOSED` (the socket was closed, ended or destroyed), the socket's error
 * (`ECONNRESET`, `EPIPE`, …), `ERR_ABORTED` after an abort.
 *
 * Make one writable per socket (`socket.writable` does).
 *
 * @param socket A connected or connecting socket; writes made while connecting are sent
 * once it is connected.
 * @example
 * ```ts
 * const socket = connect("127.0.0.1:7");
 * const text = new TextEncoderStream();
 * const done = text.readable.pipeTo(toWritableStream(socket)); // FIN after the last chunk
 * const writer = text.writable.getWriter();
 * await writer.write("hello\n");
 * await writer.close();
 * await done;
 * ```
 */
export function toWritableStream(socket: StreamWriteTarget): WritableStream<Uint8Array> {
  const aborted = (reason: unknown): SocketError =>
    abortedError("socket's writable stream", reason);
  return new WritableStream<Uint8Array>({
    start(controller) {
      // The sink's abort() runs only after the write in flight settles, which may be never
      // when the peer does not read; the controller's signal fires at once. Node 20 has it,
      // its type declarations do not.
      const { signal } = controller as { signal?: AbortSignal };
      signal?.addEventListener("abort", () => void socket.destroy(aborted(signal.reason)), {
        once: true,
      });
    },
    async write(chunk) {
      if (!(chunk instanceof Uint8Array)) {
        const kind =
          typeof chunk === "object" ? Object.prototype.toString.call(chunk) : typeof chunk;
        throw new SocketError(
          "ERR_INVALID_ARGUMENT",
          `a socket's writable stream takes Uint8Array chunks, got ${kind} (encode text with TextEncoderStream)`,
        );
      }
      if (chunk.byteLength === 0) return;
      await socket.send(chunk);
    },
    async close() {
      await socket.end();
    },
    async abort(reason) {
      await socket.destroy(aborted(reason)); // idempotent: the signal may have done it
    },
  });
}
