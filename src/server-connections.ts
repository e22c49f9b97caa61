/**
 * A server's open connections: their list and numbering, the deadlines that drop them (an
 * idle connection, one that sends no first message in time), and the counts of what was
 * dropped, by reason.
 *
 * @module
 */
import { checkInteger } from "./arguments.js";
import { SocketError } from "./errors.js";
import { readsDone } from "./reader.js";
import type { DropInfo, DropReason, ListenOptions, ServerStats } from "./server-types.js";
import type { Socket } from "./socket.js";

/** The open connections of one server, oldest first. */
export class Connections<Data> {
  readonly #open = new Set<Socket<unknown, Data>>();
  /** Takes a closed connection off the list: one listener for all (`this` is the socket). */
  readonly #forget = forgetIn(this.#open);
  /** Drops a socket that timed out with no `'timeout'` listener of its own. */
  readonly #onIdle: (this: Socket) => void;
  readonly #dropped: Record<DropReason, number> = {
    maxConnections: 0,
    idleTimeout: 0,
    firstMessageTimeout: 0,
  };
  readonly #emitDrop: (info: DropInfo) => void;
  #nextId = 1;
  /** Milliseconds without traffic before a connection is dropped; `0`: never. */
  idleTimeout = 0;
  /** Milliseconds for a connection's first completed read; `0`: no limit. */
  firstMessageTimeout = 0;

  /** `emitDrop`: the server's `'drop'` event. */
  constructor(emitDrop: (info: DropInfo) => void) {
    this.#emitDrop = emitDrop;
    this.#onIdle = dropIdleFor(this);
  }

  /**
   * Checks and sets `idleTimeout` and `firstMessageTimeout` from `listen()`'s options
   * (milliseconds, 0 to 2³¹−1; absent: 0).
   * @throws SocketError `ERR_INVALID_ARGUMENT` for a value out of range or not an integer.
   */
  setTimeouts(options: Pick<ListenOptions, "idleTimeout" | "firstMessageTimeout">): void {
    this.idleTimeout = checkInteger("idleTimeout", options.idleTimeout ?? 0, 0, 2 ** 31 - 1);
    this.firstMessageTimeout = checkInteger(
      "firstMessageTimeout",
      options.firstMessageTimeout ?? 0,
      0,
      2 ** 31 - 1,
    );
  }

  /** The id of the next connection accepted (1, 2, …). */
  nextId(): number {
    return this.#nextId++;
  }

  /** Lists `socket` until it closes, and arms its deadlines. */
  track(socket: Socket<unknown, Data>): void {
    this.#open.add(socket);
    socket.on("close", this.#forget); // 'close' comes once; no closure or promise per connection
    if (this.idleTimeout > 0) socket.on("timeout", this.#onIdle);
    if (this.firstMessageTimeout > 0) this.#watchFirstMessage(socket);
  }

  /** Counts a drop and reports it. */
  drop(reason: DropReason, remoteAddress?: string, remotePort?: number, id?: number): void {
    this.#dropped[reason]++;
    this.#emitDrop({ reason, remoteAddress, remotePort, id });
  }

  /** Drops `socket` for `reason` (its idle or first-message deadline passed). */
  dropConnection(socket: Socket, reason: Exclude<DropReason, "maxConnections">): void {
    if (!socket.connected) return; // already closing: nothing to drop
    const { remoteAddress, remotePort } = socket.info();
    const error =
      reason === "idleTimeout"
        ? new SocketError("ERR_IDLE_TIMEOUT", `no traffic for ${this.idleTimeout} ms`)
        : new SocketError(
            "ERR_FIRST_MESSAGE_TIMEOUT",
            `no message read within ${this.firstMessageTimeout} ms`,
          );
    this.drop(reason, remoteAddress, remotePort, socket.id);
    void socket.destroy(error);
  }

  /** The counts of `server.stats`. */
  stats(proxyErrors: number): ServerStats {
    return {
      accepted: this.#nextId - 1,
      open: this.#open.size,
      dropped: { ...this.#dropped },
      proxyErrors,
    };
  }

  /** The open connections now (a snapshot). */
  list(): Socket<unknown, Data>[] {
    return [...this.#open];
  }

  /** The open connections, oldest first, without a copy (do not close them while iterating). */
  [Symbol.iterator](): IterableIterator<Socket<unknown, Data>> {
    return this.#open.values();
  }

  /** Drops `socket` unless a read of it completes within `firstMessageTimeout`. */
  #watchFirstMessage(socket: Socket<unknown, Data>): void {
    const timer = setTimeout(() => {
      if (socket[readsDone] === 0) this.dropConnection(socket, "firstMessageTimeout");
    }, this.firstMessageTimeout);
    timer.unref(); // the connection keeps the process alive, not its deadline
    socket.once("close", () => clearTimeout(timer));
  }
}

/** A socket `'timeout'` listener that drops the socket unless someone else listens too. */
function dropIdleFor<Data>(connections: Connections<Data>): (this: Socket) => void {
  return function (this: Socket) {
    if (this.listenerCount("timeout") > 1) return; // the handler decides
    connections.dropConnection(this, "idleTimeout");
  };
}

/** A `'close'` listener that removes the socket it is called on from `open`. */
function forgetIn<Data>(open: Set<Socket<unknown, Data>>): (this: Socket) => void {
  return function (this: Socket) {
    open.delete(this as Socket<unknown, Data>); // called only on the server's sockets
  };
}
