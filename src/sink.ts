/**
 * Synchronous message handlers (`onLine`, `onFrame`, `onMessage`): the receive path with no
 * promise, no event and no queue entry per message. A sink is fed each chunk as the transport
 * hands it over and calls its handler once per complete message; what it has not delivered
 * (a partial message, or the rest of a chunk after `pause()`) stays in the receive buffer,
 * where any other read finds it. The measurements behind this shape are in
 * `bench/README.md` ("message rate").
 *
 * @module
 */
import type { Decoder } from "./codec/delimiter.js";
import { SocketError } from "./errors.js";
import type { ReceiveBuffer } from "./receive-buffer.js";

/** What every message handler takes besides its codec's options. */
export interface MessageHandlerOptions {
  /**
   * Called once, with the error that stopped the handler: `ERR_FRAME_TOO_LONG` (the
   * over-long message stays buffered), `ERR_HANDLER_FAILED` (the handler threw; the error
   * is on `cause`), `ERR_INCOMPLETE_READ` (the stream ended mid-message, with `partial`), or
   * the socket's error. The handler is removed first; bytes not yet delivered stay readable.
   * Without it, the error goes to the socket's `'error'` listeners, if any.
   */
  onError?: (error: SocketError) => void;
  /** Called once when the stream has ended cleanly and every message was delivered. */
  onEnd?: () => void;
}

/** How a sink reaches the reader that feeds it, and the socket that reports for it. */
export interface SinkHost {
  /** Stops feeding `sink` (it failed, or was removed). */
  detach(sink: Sink): void;
  /** Where an error goes when the handler gave no `onError`. */
  report(error: SocketError): void;
}

/**
 * The base of every sink: delivery, the halt flag the reader sets, and the one way out on
 * an error (exactly once).
 */
export abstract class Sink {
  /**
   * Set by the reader while no message may be delivered (`pause()`, a STARTTLS upgrade, a
   * removed handler); checked after each handler call, so a pause stops mid-chunk.
   */
  halted = false;
  readonly #host: SinkHost;
  readonly #options: MessageHandlerOptions;
  #done = false;

  constructor(host: SinkHost, options: MessageHandlerOptions) {
    this.#host = host;
    this.#options = options;
  }

  /**
   * Delivers every complete message of what `buffer` holds followed by `chunk` (new bytes,
   * or undefined to drain the buffer alone), and leaves what it did not deliver in `buffer`.
   * `transient`: `chunk` is valid during this call only (the recycled read buffer), so what
   * the sink keeps or hands out of it is a copy ({@link keep}).
   */
  abstract feed(buffer: ReceiveBuffer, chunk: Buffer | undefined, transient?: boolean): void;

  /** The buffer changed under the sink (purged, taken by a TLS upgrade): forget scan state. */
  reset(): void {}

  /** The stream ended cleanly with `buffer` left over (every complete message delivered). */
  protected abstract finishClean(buffer: ReceiveBuffer): void;

  /** The stream ended (by `cause` when it ended by an error); called once, after `feed`. */
  finish(buffer: ReceiveBuffer, cause: SocketError | undefined): void {
    if (cause !== undefined) {
      this.fail(cause);
      return;
    }
    try {
      this.finishClean(buffer);
    } catch (error) {
      this.fail(asError(error));
      return;
    }
    if (this.#done) return;
    this.#done = true;
    this.#host.detach(this);
    this.#options.onEnd?.();
  }

  /** Removes the sink and reports `error`, once. */
  fail(error: SocketError): void {
    if (this.#done) return;
    this.#done = true;
    this.halted = true;
    this.#host.detach(this);
    const onError = this.#options.onError;
    if (onError !== undefined) onError(error);
    else this.#host.report(error);
  }

  /**
   * Drains `buffer` through `decoder`, handing each message to `deliver`, until it is empty,
   * holds a partial message, or the sink halts. Decoder errors (an over-long message) throw
   * with nothing consumed; a throwing `deliver` throws {@link handlerFailed}'s error.
   */
  protected drain<T>(buffer: ReceiveBuffer, decoder: Decoder<T>, deliver: (message: T) => void) {
    while (!this.halted && buffer.length > 0) {
      const message = decoder.decode(buffer);
      if (message === null) return;
      deliver(message);
    }
  }
}

/** A copy of `bytes` (small ones from Node's shared pool), for bytes that must outlive a read. */
export function copyOf(bytes: Buffer): Buffer {
  return Buffer.from(bytes);
}

/** Appends `bytes` to `buffer`; a copy when they are `transient` (a view of a recycled buffer). */
export function keep(buffer: ReceiveBuffer, bytes: Buffer, transient: boolean): void {
  if (bytes.length > 0) buffer.append(transient ? Buffer.from(bytes) : bytes);
}

/** The error of a handler that threw: `ERR_HANDLER_FAILED`, the throw on `cause`. */
export function handlerFailed(cause: unknown): SocketError {
  return new SocketError("ERR_HANDLER_FAILED", "a message handler threw", { cause });
}

/** A throw from a decoder (a SocketError already) or from elsewhere, as one SocketError. */
export function asError(error: unknown): SocketError {
  return error instanceof SocketError ? error : handlerFailed(error);
}

/**
 * A sink for any {@link Decoder} (`onMessage`): the generic path, message by message from
 * the receive buffer. The built-in line and frame sinks add a fast path on top.
 */
export class DecoderSink<T> extends Sink {
  readonly #decoder: Decoder<T>;
  readonly #handler: (message: T) => void;

  constructor(
    host: SinkHost,
    decoder: Decoder<T>,
    handler: (message: T) => void,
    options: MessageHandlerOptions,
  ) {
    super(host, options);
    this.#decoder = decoder;
    this.#handler = handler;
    decoder.reset?.(); // its scan state may date from bytes another read took
  }

  override reset(): void {
    this.#decoder.reset?.();
  }

  feed(buffer: ReceiveBuffer, chunk: Buffer | undefined, transient = false): void {
    if (chunk !== undefined) keep(buffer, chunk, transient);
    try {
      this.drain(buffer, this.#decoder, (message) => callHandler(this.#handler, message));
    } catch (error) {
      this.fail(asError(error));
    }
  }

  protected finishClean(buffer: ReceiveBuffer): void {
    while (buffer.length > 0) {
      const message = this.#decoder.decodeEof(buffer);
      if (message === null) return;
      callHandler(this.#handler, message);
    }
  }
}

/** Calls a user's handler; a throw becomes `ERR_HANDLER_FAILED` (told apart from decoders'). */
export function callHandler<T>(handler: (message: T) => void, message: T): void {
  try {
    handler(message);
  } catch (error) {
    throw handlerFailed(error);
  }
}
