/**
 * `Server`: listens on a TCP port or a Unix-domain path, accepts connections as
 * {@link Socket}s with numeric ids, keeps the list of open ones, broadcasts, and closes.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { lstat, unlink } from "node:fs/promises";
import { createConnection, type Server as NetServer, type Socket as NetSocket } from "node:net";
import { acceptIterator } from "./accept-iterator.js";
import { type Endpoint, formatEndpoint, parseLocal, type TargetInput } from "./address.js";
import { checkInteger, checkOptions } from "./arguments.js";
import { encodeFrame, type FrameOptions } from "./codec/frame.js";
import { guardConnections } from "./connection-guard.js";
import { abortedError, SocketError, toSocketError } from "./errors.js";
import {
  type BoundAddress,
  boundAddressOf,
  type ListenerGroup,
  listenAll,
  namedHostAddresses,
} from "./listen-all.js";
import { checkOptionNames, LISTEN, TLS_SERVER } from "./options.js";
import { type ProxyGate, type ProxyListenOptions, proxyGate } from "./proxy-protocol/accept.js";
import type { ProxyInfo } from "./proxy-protocol/types.js";
import { type ReadOptions, readsDone } from "./reader.js";
import { checkReusePort } from "./reuse-port.js";
import {
  type BroadcastCallback,
  type BroadcastResult,
  ServerIo,
  type ServerReadWhat,
} from "./server-io.js";
import { Socket } from "./socket.js";
import {
  mergeFrameOptions,
  type ResolvedSocketOptions,
  resolveSocketOptions,
  type SocketOptions,
} from "./socket-options.js";
import { encodeChecked } from "./text.js";
import type { TlsServerOptions } from "./tls.js";
import { createServerTransport } from "./transport.js";

/**
 * Options of {@link listen}; the socket options apply to every accepted connection. `Data`
 * is the type of each accepted socket's `data`.
 */
export interface ListenOptions<Data = unknown> extends SocketOptions, ProxyListenOptions {
  /**
   * Makes each accepted socket's `data` (hs.socket `userData`), called once per connection
   * with the socket before `'connection'` and the handler see it; its return type types
   * `socket.data` in the handler. A function, so that no two connections share one object.
   * One that throws gets its connection destroyed with `ERR_HANDLER_FAILED` (the server's
   * `'error'`); the server goes on.
   * @throws (rejects `listen()`) `ERR_INVALID_ARGUMENT` for something that is not a function.
   * @default none: `socket.data` is undefined
   */
  data?: (socket: Socket) => Data;
  /** Length of the kernel's queue of connections not yet accepted. @default 511 */
  backlog?: number;
  /** With no host or `::`, accept IPv6 only (no IPv4-mapped addresses). @default false */
  ipv6Only?: boolean;
  /**
   * Open connections beyond which a new one is closed at once, before any byte is read or
   * sent (Node's `server.maxConnections`; nginx `worker_connections`). Each one closed so is
   * counted in `server.stats.dropped.maxConnections` and reported as a `'drop'` event. A TLS
   * server counts connections still in their handshake. At least 1.
   * @default no limit (as asyncio and Netty)
   */
  maxConnections?: number;
  /**
   * Milliseconds a connection may go without sending or receiving a byte before the server
   * drops it with `ERR_IDLE_TIMEOUT` (counted in `stats.dropped.idleTimeout`, reported as a
   * `'drop'`). A handler that listens for the socket's `'timeout'` decides instead, as with
   * Node's `http.Server`. It is the accepted sockets' idle timer (the socket option of the same
   * name); giving the deprecated `timeout` too is refused.
   * `0`: none.
   * @default 0 (none, as asyncio and Netty)
   */
  idleTimeout?: number;
  /**
   * Milliseconds from accept (after the TLS handshake on a TLS server) within which the
   * connection's first read must complete: a read of any kind (`readLine()`, `readFrame()`,
   * an iterator's first item, …) that resolves. Otherwise the server drops it with
   * `ERR_FIRST_MESSAGE_TIMEOUT` (counted in `stats.dropped.firstMessageTimeout`, reported as
   * a `'drop'`). Unlike `idleTimeout`, a trickle of bytes does not extend it: it is a total
   * deadline, the slowloris defence (Node's `http.Server` `headersTimeout`, HAProxy
   * `timeout http-request`). `0`: none.
   * @default 0 (none)
   */
  firstMessageTimeout?: number;
  /**
   * Serve TLS: a certificate and key (PEM text or paths), client certificates, SNI, ALPN
   * (see {@link TlsServerOptions}). A client whose handshake fails or does not finish within
   * `handshakeTimeout` never becomes a connection and is dropped; the failure is the
   * server's `'error'` (`ERR_TLS_CERT`, `ERR_TLS_HANDSHAKE`, `ERR_TLS_HANDSHAKE_TIMEOUT`).
   */
  tls?: TlsServerOptions;
  /**
   * Let other processes listen on the same port (`SO_REUSEPORT`): the kernel spreads the
   * connections among them. Node.js 22.12 / 23.1 or later, on Linux, FreeBSD, Solaris, AIX.
   * @throws (rejects) `ERR_UNSUPPORTED` elsewhere, and for a Unix-domain path.
   * @default false
   */
  reusePort?: boolean;
  /**
   * Stops the server when aborted: `closeAll()` (as Node's `server.listen({ signal })`). An
   * already aborted signal rejects `listen()` with `ERR_ABORTED`, before anything is bound.
   */
  signal?: AbortSignal;
}

/**
 * Called for each accepted connection (Tcl's `-server command`). A handler that throws or
 * rejects gets its connection destroyed with `ERR_HANDLER_FAILED`; the server goes on.
 */
export type ConnectionHandler<Data = unknown> = (
  socket: Socket<unknown, Data>,
) => void | Promise<void>;

/** Why a server dropped a connection. */
export type DropReason = "maxConnections" | "idleTimeout" | "firstMessageTimeout";

/** A connection the server dropped, as its `'drop'` event reports it. */
export interface DropInfo {
  /** Why the connection was dropped. */
  reason: DropReason;
  /** The peer's address, when known. */
  remoteAddress: string | undefined;
  /** The peer's port, when known. */
  remotePort: number | undefined;
  /** The connection's id; undefined for one closed before it was accepted (`maxConnections`). */
  id: number | undefined;
}

/** A server's counts since it started listening (`server.stats`). */
export interface ServerStats {
  /** Connections accepted (handed to the handler). */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** Connections the server dropped, by reason. */
  dropped: Record<DropReason, number>;
  /**
   * Connections a `proxyProtocol` server closed for their PROXY header, before they reached
   * the application (each also a `'proxyError'` event); 0 for other servers.
   */
  proxyErrors: number;
}

/** Events of a {@link Server}. */
export interface ServerEvents<Data = unknown> {
  /** A connection was accepted. */
  connection: [socket: Socket<unknown, Data>];
  /**
   * A tagged read of a connection completed (hs.socket's read callback on a listening
   * socket): one queued by `server.read()`, or by `socket.read()` on a connection once the
   * server forwards them (see {@link Server.read}).
   */
  read: [data: Buffer, tag: unknown, socket: Socket<unknown, Data>];
  /**
   * A forwarded tagged read failed on one connection (`ERR_END_OF_STREAM`,
   * `ERR_INCOMPLETE_READ` with `partial`, `ECONNRESET`, …); the other connections go on.
   */
  readError: [error: SocketError, tag: unknown, socket: Socket<unknown, Data>];
  /** A `server.write()` settled on every connection it went to. */
  written: [tag: unknown, result: BroadcastResult<Data>];
  /** The server dropped a connection: over `maxConnections`, idle, or no first message in time. */
  drop: [info: DropInfo];
  /** An error (an accept failure, a failed handler). Only emitted when a listener is attached. */
  error: [error: SocketError];
  /**
   * A connection to a `proxyProtocol` server was closed before reaching the application: no
   * header, a bad one (`ERR_PROXY_HEADER`), none in time (`ERR_PROXY_HEADER_TIMEOUT`), or the
   * socket failed first (its own code). Counted in `server.stats.proxyErrors`.
   */
  proxyError: [error: SocketError];
  /** The server has stopped listening. */
  close: [];
}

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
  readonly #connections = new Set<Socket<unknown, Data>>();
  /** Makes each accepted socket's `data` (the `data` option). */
  #data: ((socket: Socket) => Data) | undefined;
  /** `server.read()` and `server.write()`, made on first use. */
  #io: ServerIo<Data> | undefined;
  /** Takes a closed connection off the list: one listener for all (`this` is the socket). */
  readonly #forget = forgetIn(this.#connections);
  /** Drops an accepted socket that timed out with no `'timeout'` listener of its own. */
  readonly #onIdle = dropIdleFor(this);
  #idleTimeout = 0;
  #firstMessageTimeout = 0;
  readonly #dropped: Record<DropReason, number> = {
    maxConnections: 0,
    idleTimeout: 0,
    firstMessageTimeout: 0,
  };
  #nextId = 1;
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
    return {
      accepted: this.#nextId - 1,
      open: this.#connections.size,
      dropped: { ...this.#dropped },
      proxyErrors: this.#proxyErrors,
    };
  }

  #drop(
    reason: DropReason,
    remoteAddress: string | undefined,
    remotePort: number | undefined,
    id: number | undefined,
  ): void {
    this.#dropped[reason]++;
    this.emit("drop", { reason, remoteAddress, remotePort, id });
  }

  /** @internal Drops `socket` for `reason` (an idle or first-message deadline passed). */
  dropConnection(socket: Socket, reason: Exclude<DropReason, "maxConnections">): void {
    if (!socket.connected) return; // already closing: nothing to drop
    const { remoteAddress, remotePort } = socket.info();
    const error =
      reason === "idleTimeout"
        ? new SocketError("ERR_IDLE_TIMEOUT", `no traffic for ${this.#idleTimeout} ms`)
        : new SocketError(
            "ERR_FIRST_MESSAGE_TIMEOUT",
            `no message read within ${this.#firstMessageTimeout} ms`,
          );
    this.#drop(reason, remoteAddress, remotePort, socket.id);
    void socket.destroy(error);
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
    return [...this.#connections];
  }

  /** @internal Binds and listens; handles a stale Unix socket file once. */
  async start(options: ListenOptions<Data>): Promise<void> {
    this.#data = options.data;
    const backlog = checkInteger("backlog", options.backlog ?? 511, 0, 65535);
    const reusePort = checkReusePort(options.reusePort, this.#local);
    this.#idleTimeout = checkInteger("idleTimeout", options.idleTimeout ?? 0, 0, 2 ** 31 - 1);
    this.#firstMessageTimeout = checkInteger(
      "firstMessageTimeout",
      options.firstMessageTimeout ?? 0,
      0,
      2 ** 31 - 1,
    );
    guardConnections(this.#ns, {
      maxConnections:
        options.maxConnections === undefined
          ? 0
          : checkInteger("maxConnections", options.maxConnections, 1, 2 ** 31 - 1),
      ipv6Only: options.ipv6Only ?? false,
      drop: (raw) => this.#drop("maxConnections", raw.remoteAddress, raw.remotePort, undefined),
    });
    const local = this.#local;
    // A name (a host name, an interface) is resolved here: several addresses, several listeners.
    const named = local.kind === "tcp" ? await namedHostAddresses(local.host) : undefined;
    if (named !== undefined && named.length > 1 && local.kind === "tcp") {
      const how = { port: local.port, backlog, reusePort, allowHalfOpen: this.#allowHalfOpen };
      this.#group = await listenAll(this.#ns, named, how);
      this.#addresses = this.#group.addresses;
      this.#port = this.#addresses[0]?.port;
      this.#host = this.#addresses[0]?.address;
      return;
    }
    const host = named?.[0]?.address ?? (local.kind === "tcp" ? local.host : "");
    const bind =
      local.kind === "unix"
        ? { path: local.path, backlog }
        : {
            port: local.port,
            backlog,
            ipv6Only: options.ipv6Only ?? false,
            ...(reusePort ? { reusePort } : {}),
            ...(host === "" ? {} : { host }),
          };
    try {
      await this.#bind(bind);
    } catch (error) {
      if (local.kind !== "unix" || !(await removeStaleUnixSocket(local.path, error))) throw error;
      await this.#bind(bind);
    }
    const address = this.#ns.address();
    if (address !== null && typeof address === "object") {
      this.#port = address.port;
      this.#host = address.address;
    }
    this.#addresses = boundAddressOf(this.#ns);
  }

  #bind(bind: object): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(toSocketError(error, formatEndpoint(this.#local)));
      this.#ns.once("error", onError);
      this.#ns.listen(bind, () => {
        this.#ns.removeListener("error", onError);
        resolve();
      });
    });
  }

  #accept(raw: NetSocket, proxy?: ProxyInfo): void {
    const path = this.path;
    const socket = new Socket<unknown, Data>(raw, {
      id: this.#nextId++,
      options: this.#options,
      ...(path === undefined ? {} : { path }),
      ...(proxy === undefined ? {} : { proxy }),
    });
    if (this.#data !== undefined && !this.#fillData(socket, this.#data)) return;
    this.#connections.add(socket);
    socket.on("close", this.#forget); // 'close' comes once; no closure or promise per connection
    if (this.#idleTimeout > 0) socket.on("timeout", this.#onIdle);
    if (this.#firstMessageTimeout > 0) this.#watchFirstMessage(socket);
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

  /** Drops `socket` unless a read of it completes within `firstMessageTimeout`. */
  #watchFirstMessage(socket: Socket<unknown, Data>): void {
    const timer = setTimeout(() => {
      if (socket[readsDone] === 0) this.dropConnection(socket, "firstMessageTimeout");
    }, this.#firstMessageTimeout);
    timer.unref(); // the connection keeps the process alive, not its deadline
    socket.once("close", () => clearTimeout(timer));
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
    await Promise.all([...this.#connections].map((socket) => socket.close()));
  }
}

/**
 * A Unix socket file left by a process that died refuses connections: remove it. A file
 * that accepts connections (in use), or that is not a socket, is left alone.
 */
async function removeStaleUnixSocket(path: string, error: unknown): Promise<boolean> {
  if (!(error instanceof SocketError) || error.code !== "EADDRINUSE") return false;
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined || !stats.isSocket()) return false;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) return false;
  await unlink(path).catch(() => undefined);
  return true;
}

/**
 * Listens for connections (Tcl `socket -server`, hs.socket `server`/`listen`, Xojo
 * `ServerSocket`). Resolves once listening. `target` is `"port"`, `":port"`, `"host:port"`,
 * `"[v6]:port"`, `"unix:/path"`, a port number, or an object; port 0 picks a free port
 * (read it from `server.port`). Without a host it listens on every interface, IPv6 and IPv4
 * both where the system has them. The host may be an interface name (`"lo:0"`,
 * CocoaAsyncSocket's `"en1:port"`) or a host name; one that stands for several addresses
 * (`127.0.0.1` and `::1`) is listened on at every one of them, on one port (Tcl `-myaddr`):
 * `server.addresses` lists them, and one handler, iterator, `maxConnections` and `stats`
 * serve them all. The port may be a service name (`":http"`). Accepted sockets get ids 1,
 * 2, … in order.
 *
 * @throws (rejects) `ERR_INVALID_ADDRESS`, `ERR_INVALID_ARGUMENT`, `ERR_UNKNOWN_SERVICE`,
 * `ERR_UNKNOWN_INTERFACE` (a name that is no interface and does not resolve), `EADDRINUSE`
 * (also for a Unix path another server is listening on), `EACCES` (a privileged port),
 * `EADDRNOTAVAIL`.
 * @example
 * ```ts
 * const server = await listen(0, (socket) => {
 *   socket.write("hello\n");
 * });
 * const client = connect(`127.0.0.1:${server.port}`);
 * await client.readLine(); // <Buffer "hello">
 * ```
 */
export async function listen<Data = unknown>(
  target: TargetInput | number,
  optionsOrHandler?: ListenOptions<Data> | ConnectionHandler<Data>,
  handler?: ConnectionHandler<Data>,
): Promise<Server<Data>> {
  const local = parseLocal(target);
  const options =
    typeof optionsOrHandler === "function" ? {} : checkOptions("options", optionsOrHandler, {});
  if (handler !== undefined && typeof handler !== "function") {
    throw new SocketError("ERR_INVALID_ARGUMENT", "the connection handler must be a function");
  }
  const onConnection = typeof optionsOrHandler === "function" ? optionsOrHandler : handler;
  checkOptionNames("listen()", options, LISTEN);
  if (options.data !== undefined && typeof options.data !== "function") {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      "listen()'s data must be a function that makes each connection's data",
    );
  }
  if (options.tls !== undefined) checkOptionNames("listen() tls", options.tls, TLS_SERVER);
  const idleTimeout = checkInteger("idleTimeout", options.idleTimeout ?? 0, 0, 2 ** 31 - 1);
  if (idleTimeout > 0 && (options.timeout ?? 0) > 0) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      "give idleTimeout (the server drops idle connections) or timeout (it only emits 'timeout'), not both",
    );
  }
  // Checked once, not per connection; `idleTimeout` is also the accepted sockets' idle timer.
  const resolved = resolveSocketOptions(options);
  const gate = proxyGate(options);
  const allowHalfOpen = options.allowHalfOpen ?? false;
  const transport = { tls: options.tls, allowHalfOpen, gate };
  const { signal } = options;
  if (signal?.aborted) throw abortedError("listen", signal.reason);
  const server = new Server<Data>(local, resolved, transport, onConnection);
  await server.start(options);
  if (signal !== undefined) {
    const stop = (): void => void server.closeAll();
    if (signal.aborted) stop();
    else {
      signal.addEventListener("abort", stop, { once: true });
      server.once("close", () => signal.removeEventListener("abort", stop));
    }
  }
  return server;
}

/** A socket `'timeout'` listener that drops the socket unless someone else listens too. */
function dropIdleFor<Data>(server: Server<Data>): (this: Socket) => void {
  return function (this: Socket) {
    if (this.listenerCount("timeout") > 1) return; // the handler decides
    server.dropConnection(this, "idleTimeout");
  };
}

/** A `'close'` listener that removes the socket it is called on from `connections`. */
function forgetIn<Data>(connections: Set<Socket<unknown, Data>>): (this: Socket) => void {
  return function (this: Socket) {
    connections.delete(this as Socket<unknown, Data>); // called only on the server's sockets
  };
}
