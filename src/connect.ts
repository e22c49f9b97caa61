/**
 * `connect()`: opens a TCP or Unix-domain connection and hands back a {@link Socket} at once.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { formatEndpoint, parseTarget, type TargetInput } from "./address.js";
import { checkInteger, checkLocalBind, checkOptions, MAX_TIMER } from "./arguments.js";
import { abortedNow, startDeadline } from "./deadline.js";
import type { SocketError } from "./errors.js";
import { Socket } from "./socket.js";
import { resolveSocketOptions, type SocketOptions } from "./socket-options.js";
import { clientTlsOptions, DEFAULT_HANDSHAKE_TIMEOUT, type TlsClientOptions } from "./tls.js";
import { type ClientAddress, openClient } from "./transport.js";

/** Options of {@link connect}. */
export interface ConnectOptions extends SocketOptions {
  /** Local IP address to bind to (Tcl `-myaddr`, LiveCode `from host`). Default: the OS picks. */
  localAddress?: string;
  /** Local port to bind to (Tcl `-myport`, LiveCode `from :port`). Default: the OS picks. */
  localPort?: number;
  /** Only IPv4 (4) or only IPv6 (6) addresses of the host. Default: both, happy eyeballs. */
  family?: 4 | 6;
  /** Milliseconds to establish the connection, DNS included; then `ERR_CONNECT_TIMEOUT`. `0`: none. @default 0 */
  connectTimeout?: number;
  /** Aborting destroys the socket with `ERR_ABORTED` (a pending connect included). */
  signal?: AbortSignal;
  /**
   * TLS (LiveCode `open secure socket`): `true` for the defaults, or options. Verified by
   * default, host name included; `opened` resolves once the handshake is done and rejects
   * with `ERR_TLS_CERT` (`reason` says why), `ERR_TLS_HANDSHAKE` or
   * `ERR_TLS_HANDSHAKE_TIMEOUT`. See {@link TlsClientOptions}.
   * @default false
   */
  tls?: boolean | TlsClientOptions;
}

/**
 * Opens a TCP or Unix-domain connection and returns the socket at once (connect never
 * blocks: DNS and the handshake run in the background, as in LiveCode 4.5+ and Tcl
 * `-async`). Writes made while connecting are queued and sent once connected; reads queue.
 * `socket.opened` resolves with its info or rejects with the connect error
 * (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, `ERR_CONNECT_TIMEOUT`, `ERR_ABORTED`, …);
 * an unobserved failure never crashes the process.
 *
 * @param target `"host:port"`, `"host:port|name"`, `"[v6]:port"`, `"unix:/path"`, or an object.
 * @throws SocketError `ERR_INVALID_ADDRESS` for a malformed target or local address, and
 * `ERR_INVALID_ARGUMENT` for a bad option, synchronously, before any I/O.
 * @example
 * ```ts
 * const socket = connect("example.org:80", { connectTimeout: 5000 });
 * socket.write("GET / HTTP/1.0\r\nHost: example.org\r\n\r\n");
 * const header = await socket.readUntil("\r\n\r\n");
 * ```
 */
export function connect<Tag = unknown>(
  target: TargetInput,
  connectOptions?: ConnectOptions,
): Socket<Tag> {
  const endpoint = parseTarget(target);
  const options = checkOptions("options", connectOptions, {});
  const resolved = resolveSocketOptions(options);
  const connectTimeout = checkInteger("connectTimeout", options.connectTimeout ?? 0, 0, MAX_TIMER);
  const allowHalfOpen = options.allowHalfOpen ?? false;
  const tlsOptions =
    options.tls === true ? DEFAULT_TLS : options.tls === false ? undefined : options.tls;
  const host = endpoint.kind === "tcp" ? endpoint.host : undefined;
  // Checked before any socket exists: a bad option opens nothing.
  const tls = tlsOptions === undefined ? undefined : clientTlsOptions(tlsOptions, host);
  const address: ClientAddress =
    endpoint.kind === "unix"
      ? { path: endpoint.path, allowHalfOpen }
      : { host: endpoint.host, port: endpoint.port, allowHalfOpen, ...checkLocalBind(options) };
  const ns = openClient(address, resolved.noDelay, tls);
  const socket = new Socket<Tag>(ns, { target: endpoint, options: resolved });
  if (tlsOptions !== undefined) {
    armHandshakeTimeout(socket, ns, tlsOptions.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT);
  }
  const expire = (error: SocketError): void => void socket.destroy(error);
  // Only what was armed is watched: a plain connect makes no promises of its own.
  const connecting = startDeadline(
    "connect",
    connectTimeout,
    undefined,
    expire,
    formatEndpoint(endpoint),
  );
  if (connecting !== undefined) {
    const clear = (): void => connecting.clear();
    socket.opened.then(clear, clear);
  }
  const { signal } = options;
  const aborted = abortedNow("connect", signal);
  if (aborted !== undefined) void socket.destroy(aborted);
  else {
    // Aborting destroys the socket at any time of its life, not only while it connects.
    const living = startDeadline("connect", 0, signal, expire);
    if (living !== undefined) void socket.closed.then(() => living.clear());
  }
  return socket;
}

/** `tls: true`: one shared options object, so one secure context serves every connection. */
const DEFAULT_TLS: TlsClientOptions = Object.freeze({});

/** From the TCP connect on, the TLS handshake has `ms` milliseconds. */
function armHandshakeTimeout(socket: Socket<unknown>, ns: NetSocket, ms: number): void {
  ns.once("connect", () => {
    const expire = (error: SocketError): void => void socket.destroy(error);
    const handshake = startDeadline("handshake", ms, undefined, expire);
    const clear = (): void => handshake?.clear();
    socket.opened.then(clear, clear);
  });
}
