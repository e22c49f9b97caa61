/**
 * The write queue: every write settles exactly once (written, or failed with an error),
 * tagged completions (hs.socket `write(message, tag, fn)`, Xojo `SendComplete`), the write
 * high-water mark and `'drain'`, and the promise form `send()`.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { checkData, checkTimeout } from "./arguments.js";
import { abortedNow, type Deadline, startDeadline } from "./deadline.js";
import { debugEnabled, traceWritten } from "./diagnostics.js";
import { SocketError, socketClosedError, toSocketError } from "./errors.js";
import { checkOptionNames, SEND } from "./options.js";

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

/** A write (or a `send()` waiting for room) held for a new transport. */
interface Held {
  /** Goes on, on the new transport. */
  replay(): void;
  /** The socket closed first. */
  fail(error: SocketError): void;
}

/** In the held writes: those after it wait for the transport after the next one. */
const BARRIER: unique symbol = Symbol("barrier");

/** Writes to a Node socket with exactly-once settlement. */
export class WriteQueue<Tag> {
  #ns: NetSocket;
  readonly #highWaterMark: number;
  /** Bytes queued (in Node or held) above which `write()` is refused; Infinity: no limit. */
  readonly #maxBuffer: number;
  /** Bytes of the writes held for a new transport. */
  #heldBytes = 0;
  readonly #owner: WriteOwner<Tag>;
  /** Writes not settled yet, by their failure function: `failAll` settles the stragglers. */
  #unsettled: Set<(error: SocketError) => void> | undefined; // made at the first write
  #full = false;
  #ended: Promise<void> | undefined;
  /** Resolves the pending `end()`, if any. */
  #endDone: (() => void) | undefined;
  /**
   * Writes made while the transport is being replaced (STARTTLS, a proxy tunnel), in order;
   * a {@link BARRIER} separates those for the next transport from those for the one after.
   */
  #held: (Held | typeof BARRIER)[] | undefined;

  constructor(
    ns: NetSocket,
    highWaterMark: number,
    owner: WriteOwner<Tag>,
    maxBuffer = Number.POSITIVE_INFINITY,
  ) {
    this.#ns = ns;
    this.#highWaterMark = highWaterMark;
    this.#owner = owner;
    this.#maxBuffer = maxBuffer;
  }

  /** Bytes queued and not yet taken by the kernel, held writes included. */
  get buffered(): number {
    return this.#ns.writableLength + this.#heldBytes;
  }

  /** Whether `size` more bytes would go over `maxWriteBuffer` (a write of any size fits an empty queue). */
  #over(size: number): boolean {
    const queued = this.buffered;
    return queued > 0 && queued + size > this.#maxBuffer;
  }

  /**
   * Queues bytes; returns false when queued bytes reach the high-water mark.
   * @throws SocketError `ERR_WRITE_BUFFER_FULL` when the queue would go over `maxWriteBuffer`:
   * nothing is queued, `onWritten` is not called, and the socket stays usable.
   */
  write(data: string | Uint8Array, tag: Tag | undefined, onWritten?: WriteCallback<Tag>): boolean {
    checkData(data);
    const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    if (this.#maxBuffer !== Number.POSITIVE_INFINITY && this.#over(size))
      throw this.#fullError(size);
    return this.#write(data, size, tag, onWritten);
  }

  #fullError(size: number): SocketError {
    return new SocketError(
      "ERR_WRITE_BUFFER_FULL",
      `write of ${size} bytes refused: ${this.buffered} bytes are already queued for ${this.#owner[describePeer]()} (maxWriteBuffer ${this.#maxBuffer})`,
    );
  }

  /**
   * Keeps a write while the transport is held (STARTTLS, a tunnel, a reconnect): replayed in
   * order onto the next transport, or failed if there is none. Counted as if queued (as Node
   * counts writes made while connecting): past the mark, the replay emits `'drain'`.
   */
  #hold(
    held: (Held | typeof BARRIER)[],
    data: string | Uint8Array,
    size: number,
    tag: Tag | undefined,
    onWritten?: WriteCallback<Tag>,
  ): boolean {
    this.#heldBytes += size;
    held.push({
      replay: () => {
        this.#heldBytes -= size;
        this.#write(data, size, tag, onWritten);
      },
      fail: (error) => {
        this.#heldBytes -= size;
        onWritten?.(error, tag); // it never reached a transport
      },
    });
    if (this.buffered < this.#highWaterMark) return true;
    this.#full = true;
    return false;
  }

  #write(
    data: string | Uint8Array,
    size: number,
    tag: Tag | undefined,
    onWritten?: WriteCallback<Tag>,
  ): boolean {
    if (this.#held !== undefined) return this.#hold(this.#held, data, size, tag, onWritten);
    if (
      tag === undefined &&
      onWritten === undefined &&
      !this.#full &&
      this.#owner.listenerCount("written") === 0
    ) {
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
      if (error === null) {
        if (debugEnabled) traceWritten(this.#owner[describePeer](), tag);
        this.#owner.emit("written", tag);
      }
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
      else if (this.#ns.destroyed) settle(socketClosedError("complete the write", "destroyed"));
      else settle(null);
    });
    const room = this.#ns.writableLength < this.#highWaterMark;
    if (!room) this.#full = true;
    return room;
  }

  /**
   * Writes and resolves once the bytes reach the kernel. Over `maxWriteBuffer` it waits for
   * the queue to flush first; a send that times out or is aborted while waiting queues nothing.
   */
  send(data: string | Uint8Array, options: SendOptions = {}): Promise<void> {
    try {
      checkOptionNames("send()", options, SEND);
    } catch (error) {
      return Promise.reject(error);
    }
    const { timeout = 0, signal } = options;
    let invalid: SocketError | undefined;
    try {
      checkData(data);
      invalid = checkTimeout(timeout) ?? abortedNow("send", signal);
    } catch (error) {
      invalid = error as SocketError;
    }
    if (invalid !== undefined) return Promise.reject(invalid);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let deadline: Deadline | undefined;
      const done = (error: SocketError | null): void => {
        if (settled) return;
        settled = true;
        deadline?.clear();
        if (error === null) resolve();
        else reject(error);
      };
      deadline = startDeadline("send", timeout, signal, done);
      const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
      const attempt = (): void => {
        if (settled) return; // timed out or aborted while waiting for room: nothing queued
        const open = !this.#ns.destroyed && !this.#ns.writableEnded; // else the write fails now
        if (open && this.#over(size)) this.#afterFlush(attempt);
        else this.#write(data, size, undefined, done);
      };
      attempt();
    });
  }

  /** Calls `then` once every write queued so far has reached the kernel (or failed). */
  #afterFlush(then: () => void): void {
    if (this.#held !== undefined) this.#held.push({ replay: then, fail: then });
    else this.#ns.write(EMPTY, () => then());
  }

  /** Flushes, then sends FIN; resolves once done or once the socket closed. Idempotent. */
  end(): Promise<void> {
    this.#ended ??= new Promise<void>((resolve) => {
      if (this.#ns.destroyed || this.#ns.writableFinished) {
        resolve();
        return;
      }
      this.#endDone = resolve;
      this.#ns.once("finish", resolve);
      this.#ns.once("close", resolve);
      this.#ns.end();
    });
    return this.#ended;
  }

  /** Settles a pending `end()`: the socket has closed, whatever its transport emitted. */
  closed(): void {
    this.#endDone?.();
    this.#endDone = undefined;
  }

  /** Whether any write still waits to settle (or is held for a new transport). */
  get pending(): boolean {
    return (this.#unsettled?.size ?? 0) > 0 || (this.#held?.length ?? 0) > 0;
  }

  /**
   * Holds new writes until {@link setTransport}. Already holding (a STARTTLS asked for while a
   * proxy tunnel is still being built), the writes from now on wait for the transport after
   * next: those made before go out on the next one, in clear, as they were meant to.
   */
  hold(): void {
    if (this.#held === undefined) this.#held = [];
    else this.#held.push(BARRIER);
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
    const barrier = held.indexOf(BARRIER);
    this.#held = undefined;
    for (const write of barrier < 0 ? held : held.slice(0, barrier)) {
      if (write !== BARRIER) write.replay();
    }
    if (barrier >= 0) this.#held = held.slice(barrier + 1);
  }

  /**
   * Settles with `error` the writes handed to the transport and not settled yet (a
   * reconnecting socket's drop); held writes stay held.
   */
  failUnsettled(error: SocketError): void {
    for (const fail of [...(this.#unsettled ?? [])]) fail(error);
  }

  /** Settles every write still pending with `error` (the socket has closed). */
  failAll(error: SocketError): void {
    for (const fail of [...(this.#unsettled ?? [])]) fail(error);
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const write of held) if (write !== BARRIER) write.fail(error);
  }
}
