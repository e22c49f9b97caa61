/**
 * The shapes of a server: the options of `listen()`, its connection handler, its events,
 * and the counts in `server.stats`.
 *
 * @module
 */

import type { SocketError } from "./errors.js";
import type { ProxyListenOptions } from "./proxy-protocol/accept.js";
import type { BroadcastResult } from "./server-io.js";
import type { Socket } from "./socket.js";
import type { SocketOptions } from "./socket-options.js";
import type { TlsServerOptions } from "./tls.js";

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
