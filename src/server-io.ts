/**
 * A listening socket's reads and writes (hs.socket `read` and `write` called on a server):
 * `server.read(what, tag)` queues a tagged read on every connection, those open and those
 * accepted later, and brings the results to the server's `'read'` event with the socket;
 * `server.write(data, tag, onWritten)` writes to every open connection and reports once,
 * when every one of those writes has settled. The server delegates to this module.
 *
 * @module
 */
import { checkData, checkInteger, checkReadOptions, notFunction } from "./arguments.js";
import { type Delimiter, DelimiterDecoder } from "./codec/delimiter.js";
import { type SocketError, toSocketError } from "./errors.js";
import { checkOptionNames, READ } from "./options.js";
import type { ReadOptions } from "./read-options.js";
import type { Socket } from "./socket.js";

/** What `server.read()` reads on each connection: a byte count, or one or several delimiters. */
export type ServerReadWhat = number | Delimiter | readonly Delimiter[];

/** How a `server.write()` went, once every connection's write settled. */
export interface BroadcastResult<Data = unknown> {
  /** Connections whose bytes reached the kernel. */
  written: number;
  /**
   * Connections whose write failed (`ECONNRESET`, `EPIPE`, `ERR_SOCKET_CLOSED`,
   * `ERR_WRITE_BUFFER_FULL` for a peer over `maxWriteBuffer`, …), each with its error.
   */
  failed: BroadcastFailure<Data>[];
}

/** One connection a `server.write()` failed on. */
export interface BroadcastFailure<Data = unknown> {
  /** The connection. */
  socket: Socket<unknown, Data>;
  /** Why its write failed. */
  error: SocketError;
}

/**
 * Called exactly once per `server.write()`, when the write to every open connection has
 * settled: `error` is null when all of them reached the kernel, else the first failure's
 * error (every failure is in `result.failed`). With no open connection it is called on the
 * next tick with `written: 0`.
 */
export type BroadcastCallback<Data = unknown> = (
  error: SocketError | null,
  tag: unknown,
  result: BroadcastResult<Data>,
) => void;

/** What the reads and writes need of their server: its connections and its events. */
export interface ServerIoHost<Data> {
  readonly connections: readonly Socket<unknown, Data>[];
  listenerCount(event: "readError"): number;
  emit(event: "read", data: Buffer, tag: unknown, socket: Socket<unknown, Data>): boolean;
  emit(
    event: "readError",
    error: SocketError,
    tag: unknown,
    socket: Socket<unknown, Data>,
  ): boolean;
  emit(event: "written", tag: unknown, result: BroadcastResult<Data>): boolean;
}

/** One `server.read()`, kept for the connections still to come. */
interface StandingRead {
  what: ServerReadWhat;
  tag: unknown;
  options: ReadOptions | undefined;
}

/** The largest byte count of a read: 4 GiB, as `socket.read(n)`. */
const MAX_READ_LENGTH = 2 ** 32;

/** A server's reads and writes; made on first use. */
export class ServerIo<Data> {
  readonly #host: ServerIoHost<Data>;
  readonly #standing: StandingRead[] = [];
  #forwarding = false;
  /** A socket `'read'` listener (`this` is the socket): one function for every connection. */
  readonly #onRead: (this: Socket, data: Buffer, tag: unknown) => void;
  readonly #onReadError: (this: Socket, error: SocketError, tag: unknown) => void;

  constructor(host: ServerIoHost<Data>) {
    this.#host = host;
    this.#onRead = function (data, tag) {
      host.emit("read", data, tag, this as Socket<unknown, Data>); // one of the server's
    };
    this.#onReadError = function (error, tag) {
      if (host.listenerCount("readError") > 0)
        host.emit("readError", error, tag, this as Socket<unknown, Data>);
      // Nobody on the server: as a socket does with no 'readError' listener of its own.
      else if (this.listenerCount("readError") === 1 && this.listenerCount("error") > 0) {
        this.emit("error", error);
      }
    };
  }

  /**
   * Brings every tagged read of the connections to the server's events, from now on and for
   * the connections accepted later. Idempotent.
   */
  forward(): void {
    if (this.#forwarding) return;
    this.#forwarding = true;
    for (const socket of this.#host.connections) this.#listen(socket);
  }

  /** Queues the read on every open connection and keeps it for those accepted later. */
  read(what: ServerReadWhat, tag: unknown, options: ReadOptions | undefined): void {
    checkOptionNames("server.read()", options, READ);
    checkReadOptions(options);
    if (typeof what === "number") checkInteger("length", what, 0, MAX_READ_LENGTH);
    else new DelimiterDecoder(what); // refuses a bad delimiter now, with no connection open
    const read: StandingRead = { what, tag, options };
    this.#standing.push(read);
    this.forward();
    for (const socket of this.#host.connections) {
      if (socket.connected) this.#queue(socket, read);
    }
  }

  /** A new connection: forwards its reads, then queues every standing read, in order. */
  accepted(socket: Socket<unknown, Data>): void {
    if (this.#forwarding) this.#listen(socket);
    for (const read of this.#standing) this.#queue(socket, read);
  }

  /**
   * Queues one standing read on one connection. A connection that refuses it (a message
   * handler is attached: `ERR_INVALID_STATE`) gets the refusal as that read's `'readError'`;
   * the other connections are not affected.
   */
  #queue(socket: Socket<unknown, Data>, read: StandingRead): void {
    try {
      socket.read(read.what, read.tag, read.options);
    } catch (error) {
      this.#onReadError.call(socket, toSocketError(error), read.tag);
    }
  }

  #listen(socket: Socket<unknown, Data>): void {
    socket.on("read", this.#onRead);
    socket.on("readError", this.#onReadError);
  }

  /** Writes to every open connection; returns how many it was queued for. */
  write(data: string | Uint8Array, tag: unknown, onWritten: BroadcastCallback<Data> | undefined) {
    checkData(data);
    if (onWritten !== undefined && typeof onWritten !== "function")
      throw notFunction("server.write()'s onWritten", onWritten);
    const result: BroadcastResult<Data> = { written: 0, failed: [] };
    let pending = 0;
    let looping = true;
    let done = false;
    const finish = (): void => {
      if (done || looping || pending > 0) return;
      done = true;
      this.#host.emit("written", tag, result);
      onWritten?.(result.failed[0]?.error ?? null, tag, result);
    };
    let queued = 0;
    for (const socket of this.#host.connections) {
      if (!socket.connected) continue; // closing: not a connection to write to any more
      pending++;
      try {
        socket.write(data, tag, (error) => {
          pending--;
          if (error === null) result.written++;
          else result.failed.push({ socket, error });
          finish();
        });
        queued++;
      } catch (error) {
        pending--; // refused at once (ERR_WRITE_BUFFER_FULL): nothing queued, no callback
        result.failed.push({ socket, error: toSocketError(error) });
      }
    }
    looping = false;
    if (pending === 0) process.nextTick(finish); // never inside write(): always later
    return queued;
  }
}
