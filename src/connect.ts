/**
 * `connect()`: opens a TCP or Unix-domain connection and hands back a {@link Socket} at once.
 *
 * @module
 */
import { Socket as NetSocket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { type Endpoint, formatEndpoint, parseTarget, type TargetInput } from "./address.js";
import { checkInteger, checkOptions, MAX_TIMER } from "./arguments.js";
import { bindWhenResolved } from "./bind-later.js";
import { abortedNow, startDeadline } from "./deadline.js";
import { getDefaults } from "./defaults.js";
import { SocketError } from "./errors.js";
import { checkLocalBind, isName, type LocalBind } from "./local-address.js";
import { CONNECT, checkOptionNames, TLS_CLIENT } from "./options.js";
import { type ProxyOptions, proxyRoute } from "./proxy/env.js";
import { tunnelledSocket } from "./proxy/tunnel.js";
import type { ProxySpec } from "./proxy/url.js";
import { encodeProxyHeader, type ProxyHeaderInit } from "./proxy-protocol/encode.js";
import { connectWithHeader } from "./proxy-protocol/send.js";
import { type ReconnectOptions, type ReconnectPolicy, reconnectPolicy } from "./reconnect.js";
import { Socket } from "./socket.js";
import {
  type ResolvedSocketOptions,
  resolveSocketOptions,
  type SocketOptions,
} from "./socket-options.js";
import { clientTlsOptions, DEFAULT_HANDSHAKE_TIMEOUT, type TlsClientOptions } from "./tls.js";
import { type ClientAddress, openClient } from "./transport.js";

/** Options of {@link connect}. `Data` is the type of the socket's `data`. */
export interface ConnectOptions<Data = unknown> extends SocketOptions, ProxyOptions {
  /**
   * The socket's own data (hs.socket `userData`): `socket.data` starts as this value and its
   * type (`Socket<Tag, Data>`) is inferred from it. sockit never reads it.
   * @default undefined
   */
  data?: Data;
  /**
   * Local address to bind to (Tcl `-myaddr`, LiveCode `from host`, CocoaAsyncSocket's
   * interface): an IP address, an interface name (`"lo"`, `"eth0"`; `"loopback"`) or a host
   * name of this machine (`"localhost"`), optionally with a port (`"en1:8082"`,
   * `"[::1]:8082"`, `":8082"`). A name is resolved before the bind, in the family of the
   * target (an IP literal) or of `family`; for a target given by name, the first address of
   * the local name decides the family. A name that is no interface and does not resolve
   * rejects `opened` with `ERR_UNKNOWN_INTERFACE`. Default: `setDefaults({ localAddress })`,
   * else the OS picks.
   */
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
  /**
   * A PROXY protocol header (HAProxy's spec) to send first, before any TLS, for an upstream
   * that expects one (through a `proxy`: first in the tunnel, once it is open): `{ version: 1 | 2, command?, source, destination, tlvs? }` (see
   * {@link ProxyHeaderInit}). It counts in `info().bytesWritten`.
   * @example
   * ```ts
   * connect("127.0.0.1:8443", {
   *   tls: true,
   *   proxyHeader: {
   *     version: 2,
   *     source: { address: "203.0.113.7", port: 51000 },
   *     destination: { address: "192.0.2.10", port: 443 },
   *     tlvs: { authority: "example.org" },
   *   },
   * });
   * ```
   */
  proxyHeader?: ProxyHeaderInit;
  /**
   * Reconnect when the connection drops or cannot be made: `true` for the defaults, or
   * {@link ReconnectOptions} (`initialDelay` 100 ms, `maxDelay` 30 s, `factor` 2, `jitter`
   * 0.5, `maxAttempts` Infinity, `writes: "keep"`). One `Socket` lives across the
   * connections: `'reconnecting'` before each attempt, `'reconnected'` after each new
   * connection, `info().reconnect` counts them. The first connect is retried too; `opened`
   * resolves at the first connection and rejects only when the socket closes before one.
   *
   * At a drop, the reads waiting fail with `ERR_CONNECTION_LOST` (a `ConnectionLostError`
   * whose `partial` holds the lost connection's unread bytes: no read mixes two
   * connections), and so do writes not known to have reached the kernel (whether the peer
   * got them, nobody can tell). Reads made afterwards wait for the next connection; writes
   * made afterwards are held and sent once reconnected (`writes: "keep"`) or refused with
   * `ERR_NOT_CONNECTED` (`"fail"`). `close()`, `end()`, `destroy()`, `reset()` and `signal`
   * stop the retries at once; after `maxAttempts` failed attempts in a row the socket closes
   * with the last error. `connectTimeout` and `handshakeTimeout` apply to each attempt; `tls`
   * makes a new handshake, verified, on each connection. Refused (`ERR_INVALID_ARGUMENT`)
   * with `proxy` and with `allowHalfOpen` (the peer's FIN is a drop); `startTLS()` is
   * refused on such a socket (`ERR_INVALID_STATE`): its next connection would be clear text.
   * @default false
   * @example
   * ```ts
   * const socket = connect("127.0.0.1:6379", { reconnect: { maxDelay: 5000 } });
   * socket.on("reconnecting", ({ attempt, delay, error }) =>
   *   console.log(`attempt ${attempt} in ${delay} ms after ${error.code}`),
   * );
   * socket.on("reconnected", () => socket.write("SUBSCRIBE news\r\n"));
   * ```
   */
  reconnect?: boolean | ReconnectOptions;
}

/**
 * Opens a TCP or Unix-domain connection and returns the socket at once (connect never
 * blocks: DNS and the handshake run in the background, as in LiveCode 4.5+ and Tcl
 * `-async`). Writes made while connecting are queued and sent once connected; reads queue.
 * `socket.opened` resolves with its info or rejects with the connect error
 * (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, `ERR_CONNECT_TIMEOUT`, `ERR_ABORTED`, …);
 * an unobserved failure never crashes the process.
 *
 * With `proxy` (see {@link ProxyOptions}) the connection goes through a SOCKS5/4a/4 proxy or
 * an HTTP proxy's `CONNECT` (over verified TLS with an `https://` proxy); `opened` waits for the tunnel (and TLS with the final host), and
 * a failure at the proxy rejects with a `ProxyError` (`ERR_PROXY_AUTH`, `ERR_PROXY_REFUSED`,
 * `ERR_PROXY_RESPONSE`, `ERR_PROXY_TIMEOUT`, or the system code of reaching the proxy).
 *
 * @param target `"host:port"`, `"host:port|name"`, `"[v6]:port"`, `"unix:/path"`, or an object.
 * @throws SocketError `ERR_INVALID_ADDRESS` for a malformed target, local address or proxy
 * URL, and `ERR_INVALID_ARGUMENT` for a bad option (an unsupported proxy scheme, a malformed
 * `noProxy`), synchronously, before any I/O.
 * @example
 * ```ts
 * const socket = connect("example.org:80", { connectTimeout: 5000 });
 * socket.write("GET / HTTP/1.0\r\nHost: example.org\r\n\r\n");
 * const header = await socket.readUntil("\r\n\r\n");
 *
 * // Through a SOCKS5 proxy that resolves the name; TLS verifies example.org, not the proxy.
 * const tunnelled = connect("example.org:443", { proxy: "socks5://127.0.0.1:1080", tls: true });
 * ```
 */
export function connect<Tag = unknown, Data = unknown>(
  target: TargetInput,
  connectOptions?: ConnectOptions<Data>,
): Socket<Tag, Data> {
  const endpoint = parseTarget(target);
  const options = checkOptions("options", connectOptions, {});
  checkOptionNames("connect()", options, CONNECT);
  if (typeof options.tls === "object") checkOptionNames("connect() tls", options.tls, TLS_CLIENT);
  checkOptionNames("connect() proxyTls", options.proxyTls, TLS_CLIENT);
  const resolved = resolveSocketOptions(options);
  const connectTimeout = checkInteger("connectTimeout", options.connectTimeout ?? 0, 0, MAX_TIMER);
  const allowHalfOpen = options.allowHalfOpen ?? false;
  const tlsOptions =
    options.tls === true ? DEFAULT_TLS : options.tls === false ? undefined : options.tls;
  const host = endpoint.kind === "tcp" ? endpoint.host : undefined;
  // Checked before any socket exists: a bad option opens nothing.
  const tls = tlsOptions === undefined ? undefined : clientTlsOptions(tlsOptions, host);
  checkConnectionName(endpoint);
  const localAddress = options.localAddress ?? getDefaults().localAddress;
  const local =
    endpoint.kind === "tcp"
      ? checkLocalBind(localAddress === undefined ? options : { ...options, localAddress })
      : {};
  const header =
    options.proxyHeader === undefined ? undefined : encodeProxyHeader(options.proxyHeader);
  const proxy = proxyRoute(options, endpoint, tls !== undefined);
  const policy = checkReconnect(options, proxy !== undefined && endpoint.kind === "tcp");
  const how = { local, allowHalfOpen, tls, tlsOptions, header };
  const socket = clientSocket<Tag>(endpoint, resolved, how, options, {
    policy,
    proxy,
    connectTimeout,
  });
  if (options.data !== undefined) (socket as Socket<Tag, Data>).data = options.data;
  // A reconnecting client arms its own connect deadline, per attempt.
  armDeadlines(socket, endpoint, policy === undefined ? connectTimeout : 0, options.signal);
  return socket as Socket<Tag, Data>;
}

/**
 * The socket of a connect: reconnecting (with a `policy`), through a `proxy` (TCP only), or
 * direct.
 */
function clientSocket<Tag>(
  endpoint: Endpoint,
  resolved: ResolvedSocketOptions,
  how: Direct,
  options: ConnectOptions<unknown>,
  route: {
    policy: ReconnectPolicy | undefined;
    proxy: ProxySpec | undefined;
    connectTimeout: number;
  },
): Socket<Tag> {
  const { policy, proxy } = route;
  if (policy !== undefined) {
    return reconnecting<Tag>(endpoint, resolved, how, policy, route.connectTimeout);
  }
  if (proxy === undefined || endpoint.kind !== "tcp") return direct<Tag>(endpoint, resolved, how);
  return tunnelledSocket<Tag>(endpoint, resolved, {
    proxy,
    local: how.local,
    allowHalfOpen: how.allowHalfOpen,
    tls: how.tlsOptions,
    proxyTimeout: options.proxyTimeout,
    proxyTls: options.proxyTls,
    header: how.header,
  });
}

/**
 * LiveCode: accepted sockets are numbered; a numeric connection name could take one's socket
 * ID. @throws SocketError `ERR_INVALID_ADDRESS` for a name of digits only.
 */
function checkConnectionName(endpoint: Endpoint): void {
  if (endpoint.kind === "tcp" && endpoint.name !== undefined && /^\d+$/.test(endpoint.name)) {
    throw new SocketError(
      "ERR_INVALID_ADDRESS",
      `connection name "${endpoint.name}" is a number, as a server's accept numbers are: use a name with a letter`,
    );
  }
}

/**
 * The connect deadline (`connectTimeout` ms until `opened`; `0`: none) and the abort
 * `signal`, which destroys the socket at any time of its life, not only while it connects.
 * Only what was armed is watched: a plain connect makes no promises of its own.
 */
function armDeadlines(
  socket: Socket<unknown>,
  endpoint: Endpoint,
  connectTimeout: number,
  signal: AbortSignal | undefined,
): void {
  const expire = (error: SocketError): void => void socket.destroy(error);
  const where = formatEndpoint(endpoint);
  const connecting = startDeadline("connect", connectTimeout, undefined, expire, where);
  if (connecting !== undefined) {
    const clear = (): void => connecting.clear();
    socket.opened.then(clear, clear);
  }
  const aborted = abortedNow("connect", signal);
  if (aborted !== undefined) void socket.destroy(aborted);
  else {
    const living = startDeadline("connect", 0, signal, expire);
    if (living !== undefined) void socket.closed.then(() => living.clear());
  }
}

/** How a direct connection is made. */
interface Direct {
  local: LocalBind;
  allowHalfOpen: boolean;
  tls: ConnectionOptions | undefined;
  tlsOptions: TlsClientOptions | undefined;
  header: Buffer | undefined;
}

/** Opens the transport of a direct connection (TLS on top, a PROXY header first). */
function opener(endpoint: Endpoint, resolved: ResolvedSocketOptions, how: Direct): () => NetSocket {
  const { allowHalfOpen, tls, header } = how;
  const address: ClientAddress =
    endpoint.kind === "unix"
      ? { path: endpoint.path, allowHalfOpen }
      : { host: endpoint.host, port: endpoint.port, allowHalfOpen, ...how.local };
  const host = endpoint.kind === "tcp" ? endpoint.host : undefined;
  return () =>
    header === undefined
      ? openClient(address, resolved.noDelay, tls)
      : connectWithHeader({ ...address, noDelay: resolved.noDelay }, header, tls, host);
}

/**
 * A direct connection: TCP or Unix-domain, TLS on top when asked, a PROXY `header` first
 * when given.
 */
function direct<Tag>(
  endpoint: Endpoint,
  resolved: ResolvedSocketOptions,
  how: Direct,
): Socket<Tag> {
  if (endpoint.kind === "tcp" && isName(how.local.localAddress)) {
    // A local name is looked up first: the socket waits on a placeholder meanwhile.
    const placeholder = new NetSocket({ allowHalfOpen: how.allowHalfOpen });
    const socket = new Socket<Tag>(placeholder, {
      target: endpoint,
      options: resolved,
      tunnel: true,
    });
    bindWhenResolved(socket as Socket<unknown>, how.local, endpoint.host, (local) => {
      const ns = opener(endpoint, resolved, { ...how, local })();
      armTls(socket as Socket<unknown>, ns, how);
      return ns;
    });
    return socket;
  }
  const ns = opener(endpoint, resolved, how)();
  const socket = new Socket<Tag>(ns, { target: endpoint, options: resolved });
  armTls(socket as Socket<unknown>, ns, how);
  return socket;
}

/** The handshake deadline of a TLS connection. */
function armTls(socket: Socket<unknown>, ns: NetSocket, how: Direct): void {
  const { tlsOptions } = how;
  if (tlsOptions !== undefined) {
    armHandshakeTimeout(socket, ns, tlsOptions.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT);
  }
}

/**
 * `reconnect`'s policy, or undefined without one.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for bad reconnect options, or with a proxy or
 * `allowHalfOpen`.
 */
function checkReconnect(options: ConnectOptions, proxied: boolean): ReconnectPolicy | undefined {
  const { reconnect } = options;
  if (reconnect === undefined || reconnect === false) return undefined;
  if (reconnect !== true && (typeof reconnect !== "object" || reconnect === null)) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      "reconnect must be a boolean or an options object",
    );
  }
  const policy = reconnectPolicy(reconnect);
  if (proxied)
    throw new SocketError("ERR_INVALID_ARGUMENT", "reconnect through a proxy is not supported");
  if (options.allowHalfOpen === true) {
    const message = "reconnect cannot be combined with allowHalfOpen: the peer's FIN is a drop";
    throw new SocketError("ERR_INVALID_ARGUMENT", message);
  }
  return policy;
}

/** A reconnecting client: the socket waits on a placeholder; `reconnect.ts` connects it. */
function reconnecting<Tag>(
  endpoint: Endpoint,
  resolved: ResolvedSocketOptions,
  how: Direct,
  policy: ReconnectPolicy,
  connectTimeout: number,
): Socket<Tag> {
  if (isName(how.local.localAddress)) {
    const message = `reconnect binds each attempt at once: give localAddress as an IP address, not the name "${how.local.localAddress}"`;
    throw new SocketError("ERR_INVALID_ARGUMENT", message);
  }
  const handshakeTimeout = how.tlsOptions?.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  return new Socket<Tag>(new NetSocket(), {
    target: endpoint,
    options: resolved,
    tunnel: true,
    reconnect: { policy, open: opener(endpoint, resolved, how), connectTimeout, handshakeTimeout },
  });
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
