/**
 * The write queue: every write settles exactly once (written, or failed with an error),
 * tagged completions (hs.socket `write(message, tag, fn)`, Xojo `SendComplete`), the write
 * high-water mark and `'drain'`, and the promise form `send()`.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { SocketError, toSocketError } from "./errors.js";

/**
 * Called exactly once per write: `error` is null when the bytes reached the kernel, or the
 * error that made the write fail (`ECONNRESET`, `EPIPE`, `ERR_SOCKET_CLOSED`, …).
 */
export type WriteCallback<Tag> = (error: SocketError | null, tag: Tag | undefined) => void;

/** Options of `send()`. */
export interface SendOptions {
  /**
   * Milliseconds to wait for the bytes to reach the kernel, then reject with
   * `ERR_WRITE_TIMEOUT`. The bytes stay queued (a stream cannot take them back): destroy
   * the socket if the peer is abandoned. `0` or absent: no timeout.
   */
  timeout?: number;
  /** Rejects with `ERR_ABORTED`; the bytes stay queued, as for `timeout`. */
  signal?: AbortSignal;
}

/** The method by which a write queue's owner names its peer in error messages. @internal */
export const describePeer: unique symbol = Symbol("sockit.describePeer");

/**
 * The socket the queue writes for: it emits `'written'` and `'drain'` there, asks it
 * whether anyone listens for `'written'`, and how to name the peer. The socket itself, so no
 * object or closures per connection are made for it.
 */
export interface WriteOwner<Tag> {
  listenerCount(event: "written"): number;
  emit(event: "written", tag: Tag | undefined): boolean;
  emit(event: "drain"): boolean;
  /** @internal */
  [describePeer](): string;
}

const EMPTY = Buffer.alloc(0);

/** Writes to a Node socket with exactly-once settlement. */
export class WriteQueue<Tag> {
  #ns: NetSocket;
  readonly #highWaterMark: number;
  readonly #owner: WriteOwner<Tag>;
  /** Writes not settled yet, by their failure function: `failAll` settles the stragglers. */
  #unsettled: Set<(error: SocketError) => void> | undefined; // made at the first write
  #full = false;
  #ended: Promise<void> | undefined;
  /** Writes made while the transport is being replaced (STARTTLS), in order. */
  #held: (() => void)[] | undefined;

  constructor(ns: NetSocket, highWaterMark: number, owner: WriteOwner<Tag>) {
    this.#ns = ns;
    this.#highWaterMark = highWaterMark;
    this.#owner = owner;
  }

  /** Queues bytes; returns false when queued bytes reach the high-water mark. */
  write(data: string | Uint8Array, tag: Tag | undefined, onWritten?: WriteCallback<Tag>): boolean {
    if (this.#held !== undefined) {
      this.#held.push(() => this.write(data, tag, onWritten));
      return false; // no room until the new transport takes them
    }
    if (
      tag === undefined &&
      onWritten === undefined &&
      !this.#full &&
      this.#owner.listenerCount("written") === 0
    ) {
      const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
      if (this.#ns.writableLength + size < this.#highWaterMark) {
        // Nobody waits on this write: no callback and no bookkeeping (the hot path of echo
        // servers). A failure still ends the socket with its error.
        this.#ns.write(data);
        return true;
      }
    }
    let settled = false;
    const settle = (error: SocketError | null): void => {
      if (settled) return;
      settled = true;
      this.#unsettled?.delete(fail);
      if (error === null) this.#owner.emit("written", tag);
      onWritten?.(error, tag);
      if (error === null && this.#full && this.#ns.writableLength < this.#highWaterMark) {
        this.#full = false;
        this.#owner.emit("drain");
      }
    };
    const fail = (error: SocketError): void => settle(error);
    this.#unsettled ??= new Set();
    this.#unsettled.add(fail);
    this.#ns.write(data, (error) => {
      if (error) settle(toSocketError(error, this.#owner[describePeer]()));
      // Node reports null for a write that was still in flight when the socket was destroyed:
      // those bytes are not known to have left, so the write fails.
      else if (this.#ns.destroyed)
        settle(new SocketError("ERR_SOCKET_CLOSED", "destroyed before the write completed"));
      else settle(null);
    });
    const room = this.#ns.writableLength < this.#highWaterMark;
    if (!room) this.#full = true;
    return room;
  }

  /** Writes and resolves once the bytes reach the kernel. */
  send(data: string | Uint8Array, options: SendOptions = {}): Promise<void> {
    const { timeout = 0, signal } = options;
    return new Promise<void>((resolve, reject) => {
      if (!Number.isFinite(timeout) || timeout < 0) {
        reject(new SocketError("ERR_INVALID_ARGUMENT", `timeout must be >= 0 ms, got ${timeout}`));
        return;
      }
      if (signal?.aborted) {
        reject(new SocketError("ERR_ABORTED", "the send was aborted", { cause: signal.reason }));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        done(new SocketError("ERR_ABORTED", "the send was aborted", { cause: signal?.reason }));
      };
      let settled = false;
      const done = (error: SocketError | null): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (error === null) resolve();
        else reject(error);
      };
      if (timeout > 0) {
        timer = setTimeout(() => {
          done(new SocketError("ERR_WRITE_TIMEOUT", `send timed out after ${timeout} ms`));
        }, timeout);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.write(data, undefined, (error) => done(error));
    });
  }

  /** Flushes, then sends FIN; resolves once done or once the socket closed. Idempotent. */
  end(): Promise<void> {
    this.#ended ??= new Promise<void>((resolve) => {
      if (this.#ns.destroyed || this.#ns.writableFinished) {
        resolve();
        return;
      }
      this.#ns.once("finish", resolve);
      this.#ns.once("close", resolve);
      this.#ns.end();
    });
    return this.#ended;
  }

  /** Whether any write still waits to settle (or is held for a new transport). */
  get pending(): boolean {
    return (this.#unsettled?.size ?? 0) > 0 || (this.#held?.length ?? 0) > 0;
  }

  /** Holds new writes until {@link setTransport}. */
  hold(): void {
    this.#held ??= [];
  }

  /** Resolves once every write made so far has reached the kernel (or failed). */
  flushed(): Promise<void> {
    if ((this.#unsettled?.size ?? 0) === 0 && this.#ns.writableLength === 0) {
      return Promise.resolve();
    }
    // An empty write completes after every write before it, those without a callback too.
    return new Promise((resolve) => this.#ns.write(EMPTY, () => resolve()));
  }

  /** Writes go to `ns` from now on, the held ones first. */
  setTransport(ns: NetSocket): void {
    this.#ns = ns;
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const write of held) write();
  }

  /** Settles every write still pending with `error` (the socket has closed). */
  failAll(error: SocketError): void {
    for (const fail of [...(this.#unsettled ?? [])]) fail(error);
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const write of held) write(); // each fails on the dead transport, and settles
  }
}
