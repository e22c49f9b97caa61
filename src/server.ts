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
import { checkOptionNames, LISTEN, TLS_SERVER } from "./options.js";
import { type ProxyGate, type ProxyListenOptions, proxyGate } from "./proxy-protocol/accept.js";
import type { ProxyInfo } from "./proxy-protocol/types.js";
import { readsDone } from "./reader.js";
import { checkReusePort } from "./reuse-port.js";
import { Socket } from "./socket.js";
import {
  mergeFrameOptions,
  type ResolvedSocketOptions,
  resolveSocketOptions,
  type SocketOptions,
} from "./socket-options.js";
import type { TlsServerOptions } from "./tls.js";
import { createServerTransport } from "./transport.js";

/** Options of {@link listen}; the socket options apply to every accepted connection. */
export interface ListenOptions extends SocketOptions, ProxyListenOptions {
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
export type ConnectionHandler = (socket: Socket) => void | Promise<void>;

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
export interface ServerEvents {
  /** A connection was accepted. */
  connection: [socket: Socket];
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
export class Server extends EventEmitter<ServerEvents> {
  readonly #ns: NetServer;
  readonly #local: Endpoint;
  readonly #options: ResolvedSocketOptions;
  readonly #handler: ConnectionHandler | undefined;
  readonly #connections = new Set<Socket>();
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

  /** @internal Use {@link listen}. */
  constructor(
    local: Endpoint,
    options: ResolvedSocketOptions,
    transport: {
      tls: TlsServerOptions | undefined;
      allowHalfOpen: boolean;
      gate: ProxyGate | undefined;
    },
    handler?: ConnectionHandler,
  ) {
    super();
    this.#local = local;
    this.#options = options;
    this.#handler = handler;
    this.#gate = transport.gate;
    this.#ns = createServerTransport(transport.tls, transport.allowHalfOpen, transport.gate, {
      accept: (raw, proxy) => this.#accept(raw, proxy),
      clientError: (error) => this.#fail(error),
      proxyError: (error) => {
        this.#proxyErrors++;
        if (this.listenerCount("proxyError") > 0) this.emit("proxyError", error);
      },
    });
    this.#ns.on("error", (error) => this.#fail(toSocketError(error, formatEndpoint(local))));
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

  /** The address listened on (`::` or `0.0.0.0` for every interface); undefined for Unix sockets. */
  get host(): string | undefined {
    return this.#host;
  }

  /** The Unix-domain socket path; undefined for TCP. */
  get path(): string | undefined {
    return this.#local.kind === "unix" ? this.#local.path : undefined;
  }

  /** Whether new connections are accepted. */
  get listening(): boolean {
    return this.#closing === undefined && this.#ns.listening;
  }

  /** The open connections, oldest first (a snapshot: it does not change under you). */
  get connections(): readonly Socket[] {
    return [...this.#connections];
  }

  /** @internal Binds and listens; handles a stale Unix socket file once. */
  async start(options: ListenOptions): Promise<void> {
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
    const bind =
      local.kind === "unix"
        ? { path: local.path, backlog }
        : {
            port: local.port,
            backlog,
            ipv6Only: options.ipv6Only ?? false,
            ...(reusePort ? { reusePort } : {}),
            ...(local.host === "" ? {} : { host: local.host }),
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
    const socket = new Socket(raw, {
      id: this.#nextId++,
      options: this.#options,
      ...(path === undefined ? {} : { path }),
      ...(proxy === undefined ? {} : { proxy }),
    });
    this.#connections.add(socket);
    socket.on("close", this.#forget); // 'close' comes once; no closure or promise per connection
    if (this.#idleTimeout > 0) socket.on("timeout", this.#onIdle);
    if (this.#firstMessageTimeout > 0) this.#watchFirstMessage(socket);
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

  /** Drops `socket` unless a read of it completes within `firstMessageTimeout`. */
  #watchFirstMessage(socket: Socket): void {
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
    return this.broadcast(encodeFrame(payload, codec));
  }

  /**
   * Stops accepting; open connections stay open (Tcl: closing the server channel leaves
   * existing connections unaffected). A Unix socket file is removed. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (!this.#ns.listening) {
        resolve();
        return;
      }
      this.#ns.close();
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
  [Symbol.asyncIterator](): AsyncIterableIterator<Socket> {
    return acceptIterator(this);
  }

  /** `await using server = await listen(…)`: {@link closeAll} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.closeAll();
  }

  /** Lets the process exit while the server listens (Node's `unref()`). Returns the server. */
  unref(): this {
    this.#ns.unref();
    return this;
  }

  /** Undoes {@link unref}: the listening server keeps the process alive. Returns the server. */
  ref(): this {
    this.#ns.ref();
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
 * both where the system has them. Accepted sockets get ids 1, 2, … in order.
 *
 * @throws (rejects) `ERR_INVALID_ADDRESS`, `ERR_INVALID_ARGUMENT`, `EADDRINUSE` (also for a
 * Unix path another server is listening on), `EACCES` (a privileged port), `EADDRNOTAVAIL`.
 * @example
 * ```ts
 * const server = await listen(0, (socket) => socket.write("hello\n"));
 * const client = connect(`127.0.0.1:${server.port}`);
 * await client.readLine(); // <Buffer "hello">
 * ```
 */
export async function listen(
  target: TargetInput | number,
  optionsOrHandler?: ListenOptions | ConnectionHandler,
  handler?: ConnectionHandler,
): Promise<Server> {
  const local = parseLocal(target);
  const options =
    typeof optionsOrHandler === "function" ? {} : checkOptions("options", optionsOrHandler, {});
  if (handler !== undefined && typeof handler !== "function") {
    throw new SocketError("ERR_INVALID_ARGUMENT", "the connection handler must be a function");
  }
  const onConnection = typeof optionsOrHandler === "function" ? optionsOrHandler : handler;
  checkOptionNames("listen()", options, LISTEN);
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
  const server = new Server(local, resolved, transport, onConnection);
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
function dropIdleFor(server: Server): (this: Socket) => void {
  return function (this: Socket) {
    if (this.listenerCount("timeout") > 1) return; // the handler decides
    server.dropConnection(this, "idleTimeout");
  };
}

/** A `'close'` listener that removes the socket it is called on from `connections`. */
function forgetIn(connections: Set<Socket>): (this: Socket) => void {
  return function (this: Socket) {
    connections.delete(this);
  };
}
