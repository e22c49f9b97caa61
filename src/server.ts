/**
 * `Server`: listens on a TCP port or a Unix-domain path, accepts connections as
 * {@link Socket}s with numeric ids, keeps the list of open ones, broadcasts, and closes.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import type { Server as NetServer, Socket as NetSocket } from "node:net";
import { acceptIterator } from "./accept-iterator.js";
import { type Endpoint, formatEndpoint } from "./address.js";
import { checkInteger } from "./arguments.js";
import { encodeFrame, type FrameOptions } from "./codec/frame.js";
import { guardConnections } from "./connection-guard.js";
import { SocketError, toSocketError } from "./errors.js";
import type { BoundAddress, ListenerGroup } from "./listen-all.js";
import type { ProxyGate } from "./proxy-protocol/accept.js";
import type { ProxyInfo } from "./proxy-protocol/types.js";
import type { ReadOptions } from "./read-options.js";
import { checkReusePort } from "./reuse-port.js";
import { bindServer } from "./server-bind.js";
import { Connections } from "./server-connections.js";
import { type BroadcastCallback, ServerIo, type ServerReadWhat } from "./server-io.js";
import type {
  ConnectionHandler,
  ListenOptions,
  ServerEvents,
  ServerStats,
} from "./server-types.js";
import { Socket } from "./socket.js";
import { mergeFrameOptions, type ResolvedSocketOptions } from "./socket-options.js";
import { encodeChecked } from "./text.js";
import type { TlsServerOptions } from "./tls.js";
import { createServerTransport } from "./transport.js";

export type {
  ConnectionHandler,
  DropInfo,
  DropReason,
  ListenOptions,
  ServerEvents,
  ServerStats,
} from "./server-types.js";

/**
 * A listening TCP or Unix-domain server. Made by {@link listen}.
 *
 * @example
 * ```ts
 * const server = await listen(":0", {}, async (socket) => {
 *   for (;;) socket.write(await socket.readUntil("\n")); // echo lines
 * });
 * console.log(server.port); // the port the OS picked
 * ```
 */
export class Server<Data = unknown> extends EventEmitter<ServerEvents<Data>> {
  readonly #ns: NetServer;
  readonly #local: Endpoint;
  readonly #options: ResolvedSocketOptions;
  /** Method syntax: a `Server<D>` is still a `Server` (a `Server<unknown>`) to TypeScript. */
  readonly #handler:
    | { call(socket: Socket<unknown, Data>): void | Promise<void> }["call"]
    | undefined;
  readonly #connections = new Connections<Data>((info) => this.emit("drop", info));
  /** Makes each accepted socket's `data` (the `data` option). */
  #data: ((socket: Socket) => Data) | undefined;
  /** `server.read()` and `server.write()`, made on first use. */
  #io: ServerIo<Data> | undefined;
  #port: number | undefined;
  #host: string | undefined;
  #closing: Promise<void> | undefined;
  readonly #gate: ProxyGate | undefined;
  #proxyErrors = 0;
  readonly #allowHalfOpen: boolean;
  /** The listeners of a host name with several addresses (listen-all.ts); else #ns listens. */
  #group: ListenerGroup | undefined;
  #addresses: readonly BoundAddress[] = [];

  /** @internal Use {@link listen}. */
  constructor(
    local: Endpoint,
    options: ResolvedSocketOptions,
    transport: {
      tls: TlsServerOptions | undefined;
      allowHalfOpen: boolean;
      gate: ProxyGate | undefined;
    },
    handler?: ConnectionHandler<Data>,
  ) {
    super();
    this.#local = local;
    this.#options = options;
    this.#handler = handler;
    this.#gate = transport.gate;
    this.#allowHalfOpen = transport.allowHalfOpen;
    this.#ns = createServerTransport(transport.tls, transport.allowHalfOpen, transport.gate, {
      accept: (raw, proxy) => this.#accept(raw, proxy),
      clientError: (error) => this.#fail(error),
      proxyError: (error) => {
        this.#proxyErrors++;
        if (this.listenerCount("proxyError") > 0) this.emit("proxyError", error);
      },
    });
    this.#ns.on("error", (error) => this.#fail(toSocketError(error, formatEndpoint(local))));
    // A 'read' or 'readError' listener on the server brings the connections' tagged reads to it.
    (this as EventEmitter).on("newListener", (event: string | symbol) => {
      if (event === "read" || event === "readError") this.#serverIo().forward();
    });
  }

  /** Counts what was accepted, what is open, and what was dropped, by reason. */
  get stats(): ServerStats {
    return this.#connections.stats(this.#proxyErrors);
  }

  /** The port listened on (the real one when 0 was asked for); undefined for Unix sockets. */
  get port(): number | undefined {
    return this.#port;
  }

  /**
   * The address listened on (`::` or `0.0.0.0` for every interface; the first of several);
   * undefined for Unix sockets.
   */
  get host(): string | undefined {
    return this.#host;
  }

  /**
   * Every address listened on, all on {@link port} (Tcl `-sockname` of a server: one entry
   * per address): one for an IP address or the wildcard, one per address of a name that
   * resolves to several (`listen("localhost:0")` where localhost is `127.0.0.1` and `::1`),
   * or of an interface (`listen("lo:0")`); empty for a Unix-domain server. Kept after close.
   * @example
   * ```ts
   * const server = await listen("lo:0");
   * server.addresses; // [{ address: "127.0.0.1", family: "IPv4", port: 40123 }, { address: "::1", family: "IPv6", port: 40123 }]
   * ```
   */
  get addresses(): readonly BoundAddress[] {
    return this.#addresses;
  }

  /** The Unix-domain socket path; undefined for TCP. */
  get path(): string | undefined {
    return this.#local.kind === "unix" ? this.#local.path : undefined;
  }

  /** Whether new connections are accepted. */
  get listening(): boolean {
    return this.#closing === undefined && (this.#group?.listening ?? this.#ns.listening);
  }

  /** The open connections, oldest first (a snapshot: it does not change under you). */
  get connections(): readonly Socket<unknown, Data>[] {
    return this.#connections.list();
  }

  /** @internal Binds and listens; handles a stale Unix socket file once. */
  async start(options: ListenOptions<Data>): Promise<void> {
    this.#data = options.data;
    const backlog = checkInteger("backlog", options.backlog ?? 511, 0, 65535);
    const reusePort = checkReusePort(options.reusePort, this.#local);
    this.#connections.setTimeouts(options);
    guardConnections(this.#ns, {
      maxConnections:
        options.maxConnections === undefined
          ? 0
          : checkInteger("maxConnections", options.maxConnections, 1, 2 ** 31 - 1),
      ipv6Only: options.ipv6Only ?? false,
      drop: (raw) => this.#connections.drop("maxConnections", raw.remoteAddress, raw.remotePort),
    });
    const bound = await bindServer(this.#ns, this.#local, {
      backlog,
      reusePort,
      ipv6Only: options.ipv6Only ?? false,
      allowHalfOpen: this.#allowHalfOpen,
    });
    this.#group = bound.group;
    this.#addresses = bound.addresses;
    this.#port = bound.port;
    this.#host = bound.host;
  }

  #accept(raw: NetSocket, proxy?: ProxyInfo): void {
    const path = this.path;
    const socket = new Socket<unknown, Data>(raw, {
      id: this.#connections.nextId(),
      options: this.#options,
      ...(path === undefined ? {} : { path }),
      ...(proxy === undefined ? {} : { proxy }),
    });
    if (this.#data !== undefined && !this.#fillData(socket, this.#data)) return;
    this.#connections.track(socket);
    this.#io?.accepted(socket);
    this.emit("connection", socket);
    if (this.#handler === undefined) return;
    const failed = (cause: unknown): void => {
      const error = new SocketError(
        "ERR_HANDLER_FAILED",
        `connection handler failed: ${String(cause)}`,
        { cause },
      );
      this.#fail(error);
      void socket.destroy(error);
    };
    try {
      const result = this.#handler(socket);
      if (result instanceof Promise) result.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /** Sets `socket.data`; a `data` function that throws destroys the socket (false). */
  #fillData(socket: Socket<unknown, Data>, make: (socket: Socket) => Data): boolean {
    try {
      socket.data = make(socket);
      return true;
    } catch (cause) {
      const message = `listen()'s data function failed: ${String(cause)}`;
      const error = new SocketError("ERR_HANDLER_FAILED", message, { cause });
      this.#fail(error);
      void socket.destroy(error);
      return false;
    }
  }

  #fail(error: SocketError): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  /**
   * Writes `data` to every open connection (hs.socket `write` on a listening socket).
   * Returns how many connections it was queued for; closing ones are skipped, and so are
   * those whose queue is over `maxWriteBuffer` (a peer that stopped reading).
   */
  broadcast(data: string | Uint8Array): number {
    let count = 0;
    for (const socket of this.#connections) {
      if (!socket.connected) continue;
      try {
        socket.write(data);
        count++;
      } catch (error) {
        if (!(error instanceof SocketError) || error.code !== "ERR_WRITE_BUFFER_FULL") throw error;
      }
    }
    return count;
  }

  /**
   * Writes one length-prefixed frame to every open connection: encoded once with the
   * server's `frame` option (overridden by `options`). Returns how many connections.
   */
  broadcastFrame(payload: string | Uint8Array, options?: FrameOptions): number {
    const codec = mergeFrameOptions(this.#options.frame, options ?? {});
    const { encoding } = this.#options;
    const bytes =
      typeof payload === "string" && encoding !== undefined
        ? encodeChecked(payload, encoding)
        : payload;
    return this.broadcast(encodeFrame(bytes, codec));
  }

  /**
   * A tagged read on every connection (hs.socket `read` on a listening socket: "data is read
   * from each of them"): queued once on each open connection, and kept, so that each
   * connection accepted later gets it queued too, in the order of the calls, before the
   * handler runs. Each result is a `'read'`(data, tag, socket) on the server. `what` is as in
   * `socket.read()`: a byte count or delimiters (included in the data); `options` give each
   * connection's read a `timeout` or `signal`.
   *
   * From the first call on, the server also forwards the tagged reads the connections queue
   * themselves (as it does once a `'read'` or `'readError'` listener is on the server):
   * `socket.read()` in a `'read'` listener continues that connection's exchange, and its
   * result comes back to the same listener (hs.socket's one callback per listening socket).
   * To read again on every connection, call `server.read()` again.
   *
   * A failed read concerns one connection: it is the server's `'readError'`(error, tag,
   * socket), not its `'error'`, and the other connections are not affected. A connection
   * that closes with a server read pending fails it with `ERR_END_OF_STREAM` (nothing had
   * arrived) or `ERR_INCOMPLETE_READ` with the bytes that had, on `partial`; one reset with
   * `ECONNRESET`. With no `'readError'` listener on the server, the failure goes where the
   * socket's own would (its `'readError'` or `'error'` listeners, else nowhere).
   *
   * @throws SocketError `ERR_INVALID_ARGUMENT` for a bad count, delimiter or option, before
   * anything is queued.
   * @returns the server, to chain.
   * @example
   * ```ts
   * const server = await listen(0);
   * server.on("read", (data, tag, socket) => {
   *   if (tag === "hello") socket.write(`hi ${data.toString().trim()}\n`);
   * });
   * server.read("\n", "hello"); // the first line of every connection, now and later
   * ```
   */
  read(what: ServerReadWhat, tag?: unknown, options?: ReadOptions): this {
    this.#serverIo().read(what, tag, options);
    return this;
  }

  /**
   * Writes to every open connection, with a tag (hs.socket `write` on a listening socket,
   * "broadcasted to all connected sockets"). Each connection's write is its own (text in its
   * `encoding`, its `'written'`(tag)); when all have settled the server emits
   * `'written'`(tag, result) and calls `onWritten(error, tag, result)` once: `error` null
   * when every write reached the kernel, else the first failure (each failed connection is in
   * `result.failed`; a failure on one does not stop the others). Closing connections are
   * left out; one over its `maxWriteBuffer` is a failure with `ERR_WRITE_BUFFER_FULL`. With
   * no open connection, `onWritten` is called on the next tick with `written: 0`.
   * @returns how many connections the bytes were queued for.
   * @throws SocketError `ERR_INVALID_ARGUMENT` for data that is not a string or `Uint8Array`,
   * or an `onWritten` that is not a function (nothing written).
   * @example
   * ```ts
   * server.write("shutting down\n", 7, (error, tag, { written, failed }) => {
   *   console.log(tag, written, failed.length); // 7 3 0
   * });
   * ```
   */
  write(data: string | Uint8Array, tag?: unknown, onWritten?: BroadcastCallback<Data>): number {
    return this.#serverIo().write(data, tag, onWritten);
  }

  #serverIo(): ServerIo<Data> {
    this.#io ??= new ServerIo<Data>(this);
    return this.#io;
  }

  /**
   * Stops accepting; open connections stay open (Tcl: closing the server channel leaves
   * existing connections unaffected). A Unix socket file is removed. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (!(this.#group?.listening ?? this.#ns.listening)) {
        resolve();
        return;
      }
      if (this.#group !== undefined) this.#group.close();
      else this.#ns.close();
      // Node's close callback waits for every connection; the listening handle is closed now.
      setImmediate(() => {
        this.emit("close");
        resolve();
      });
    });
    return this.#closing;
  }

  /**
   * The connections accepted from now on, until the server stops listening:
   * `for await (const socket of server)`. Breaking out closes the ones not yet handed out.
   * @example
   * ```ts
   * for await (const socket of await listen("127.0.0.1:0")) void serve(socket);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Socket<unknown, Data>> {
    return acceptIterator(this) as AsyncIterableIterator<Socket<unknown, Data>>;
  }

  /** `await using server = await listen(…)`: {@link closeAll} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.closeAll();
  }

  /** Lets the process exit while the server listens (Node's `unref()`). Returns the server. */
  unref(): this {
    this.#ns.unref();
    this.#group?.unref();
    return this;
  }

  /** Undoes {@link unref}: the listening server keeps the process alive. Returns the server. */
  ref(): this {
    this.#ns.ref();
    this.#group?.ref();
    return this;
  }

  /** Stops accepting and closes every connection gracefully; resolves when all are closed. */
  async closeAll(): Promise<void> {
    await this.close();
    const pending = this.#gate?.pending; // connections still sending their header
    for (const raw of pending ?? []) {
      pending?.delete(raw);
      raw.destroy();
    }
    await Promise.all(this.#connections.list().map((socket) => socket.close()));
  }
}
