/**
 * A connection through a proxy: TCP to the proxy, the SOCKS or `CONNECT` handshake, TLS with
 * the final host through the tunnel, then the transport handed to the waiting `Socket`.
 *
 * @module
 */
import { Socket as NetSocket, connect as netConnect } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import { formatAddress, formatEndpoint, type TcpEndpoint } from "../address.js";
import { checkInteger, MAX_TIMER } from "../arguments.js";
import { bindWhenResolved } from "../bind-later.js";
import { type CustomPhase, startDeadline } from "../deadline.js";
import { SocketError, toSocketError } from "../errors.js";
import { isName, type LocalBind } from "../local-address.js";
import { attachTunnel, Socket } from "../socket.js";
import type { ResolvedSocketOptions } from "../socket-options.js";
import { awaitHandshake } from "../starttls.js";
import {
  clientTlsOptions,
  DEFAULT_HANDSHAKE_TIMEOUT,
  type TlsClientOptions,
  toTlsError,
} from "../tls.js";
import { markProxyHop } from "../transport.js";
import { DEFAULT_PROXY_TIMEOUT } from "./env.js";
import { ProxyError } from "./error.js";
import { httpConnect } from "./http-connect.js";
import { socksConnect } from "./socks.js";
import type { ProxySpec } from "./url.js";

/** Everything a tunnelled connect needs, checked by `connect()` before any I/O. */
export interface TunnelPlan {
  readonly proxy: ProxySpec;
  readonly target: TcpEndpoint;
  /** Local bind and address family, for the connection to the proxy. */
  readonly local: { localAddress?: string; localPort?: number; family?: number };
  /** Keep the write side open after the target's FIN. */
  readonly allowHalfOpen: boolean;
  readonly options: ResolvedSocketOptions;
  /** Milliseconds from the start until the tunnel is open; `0`: none. */
  readonly proxyTimeout: number;
  /** TLS with the final host through the tunnel, when asked for. */
  readonly tls: TlsClientOptions | undefined;
  /** TLS with an `https://` proxy itself (checked by {@link checkTunnel}); else undefined. */
  readonly proxyTls: ConnectionOptions | undefined;
  /** A PROXY protocol header to send first in the tunnel, before any TLS with the target. */
  readonly header: Buffer | undefined;
}

/**
 * Checks what can be checked of a tunnel before any I/O; returns the TLS options for an
 * `https://` proxy (verified against the proxy's host name unless `proxyTls` says otherwise).
 * @throws SocketError `ERR_INVALID_ARGUMENT`: SOCKS4 (not 4a) to an IPv6 address;
 * `proxyTls` for a proxy that is not `https://`, or bad TLS options.
 */
export function checkTunnel(
  proxy: ProxySpec,
  target: TcpEndpoint,
  proxyTls?: TlsClientOptions,
): ConnectionOptions | undefined {
  if (proxy.protocol === "socks4" && target.host.includes(":")) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `socks4 carries only IPv4 addresses, not ${target.host}: use socks5`,
    );
  }
  if (proxy.protocol !== "https") {
    if (proxyTls === undefined) return undefined;
    const message = `proxyTls applies to an https:// proxy, not ${proxy.display}`;
    throw new SocketError("ERR_INVALID_ARGUMENT", message);
  }
  return clientTlsOptions(proxyTls ?? {}, proxy.host);
}

/**
 * Builds the tunnel for `socket` (made with a placeholder transport) in the background and
 * hands it over once open; on failure destroys `socket` with the error, which rejects
 * `opened`. When `socket` closes first (destroyed, aborted, `connectTimeout`), the
 * half-built tunnel is torn down. `proxyTimeout` bounds the set-up up to the proxy's "yes"
 * (`ERR_PROXY_TIMEOUT`); TLS with the target then has its own `handshakeTimeout`.
 */
export function openTunnel(socket: Socket<unknown>, plan: TunnelPlan): void {
  const build = new TunnelBuild(plan);
  void socket.closed.then(() => build.abandon(undefined));
  const deadline = startDeadline(proxyPhase(plan), plan.proxyTimeout, undefined, (error) =>
    build.abandon(error),
  );
  build
    .run(() => deadline?.clear())
    .then(
      (transport) => {
        build.finish();
        if (!socket[attachTunnel](transport, plan.tls !== undefined)) transport.destroy();
      },
      (error: unknown) => {
        deadline?.clear();
        const why = build.fail() ?? toSocketError(error, formatEndpoint(plan.target));
        void socket.destroy(why);
      },
    );
}

/**
 * `connect()` through a proxy: the socket, made at once on a placeholder transport, and its
 * tunnel opened in the background ({@link openTunnel}); a local address given by name is
 * looked up first, in the family of the proxy's address.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for what {@link checkTunnel} refuses or a bad
 * `proxyTimeout`, before any I/O.
 */
export function tunnelledSocket<Tag>(
  endpoint: TcpEndpoint,
  resolved: ResolvedSocketOptions,
  how: {
    proxy: ProxySpec;
    local: LocalBind;
    allowHalfOpen: boolean;
    tls: TlsClientOptions | undefined;
    proxyTimeout: number | undefined;
    proxyTls: TlsClientOptions | undefined;
    header: Buffer | undefined;
  },
): Socket<Tag> {
  const proxyTls = checkTunnel(how.proxy, endpoint, how.proxyTls);
  const proxyTimeout = checkInteger(
    "proxyTimeout",
    how.proxyTimeout ?? DEFAULT_PROXY_TIMEOUT,
    0,
    MAX_TIMER,
  );
  const placeholder = new NetSocket({ allowHalfOpen: how.allowHalfOpen });
  const socket = new Socket<Tag>(placeholder, {
    target: endpoint,
    options: resolved,
    tunnel: true,
  });
  const plan = {
    proxy: how.proxy,
    target: endpoint,
    local: how.local,
    allowHalfOpen: how.allowHalfOpen,
    options: resolved,
    proxyTimeout,
    tls: how.tls,
    proxyTls,
    header: how.header,
  };
  if (!isName(how.local.localAddress)) openTunnel(socket as Socket<unknown>, plan);
  else {
    // The local name is looked up in the family of the proxy's address.
    bindWhenResolved(socket as Socket<unknown>, how.local, how.proxy.host, (local) => {
      openTunnel(socket as Socket<unknown>, { ...plan, local });
      return undefined;
    });
  }
  return socket;
}

/** The deadline phase of a tunnel's set-up: its timeout is `ERR_PROXY_TIMEOUT`. */
function proxyPhase({ proxy, target }: TunnelPlan): CustomPhase {
  return {
    name: `tunnel through proxy ${proxy.display}`,
    timeoutError(ms) {
      const message = `proxy ${proxy.display} did not open the tunnel to ${formatEndpoint(target)} within ${ms} ms`;
      const address = formatAddress(proxy.host, proxy.port);
      return new ProxyError("ERR_PROXY_TIMEOUT", message, { proxy: proxy.display, address });
    },
  };
}

/** The sockets of one tunnel being built, torn down together when it is cut short. */
class TunnelBuild {
  readonly #plan: TunnelPlan;
  readonly #raw: NetSocket;
  #hop: NetSocket | undefined; // TLS with an https:// proxy
  #secure: NetSocket | undefined; // TLS with the target
  #overriding: SocketError | undefined; // why the tunnel was cut short by us
  #done = false;

  constructor(plan: TunnelPlan) {
    const { proxy, options } = plan;
    this.#plan = plan;
    const raw = netConnect({
      host: proxy.host,
      port: proxy.port,
      allowHalfOpen: plan.allowHalfOpen,
      ...plan.local,
    });
    raw.setNoDelay(options.noDelay);
    if (options.keepAlive !== false) raw.setKeepAlive(true, options.keepAlive);
    // Errors are taken by each step's own listener; this one keeps a late one from crashing.
    raw.on("error", () => {});
    this.#raw = raw;
  }

  /** Proxy, handshake, header, TLS with the target; `opened()` once the proxy said yes. */
  async run(opened: () => void): Promise<NetSocket> {
    const { proxy, target, header, tls } = this.#plan;
    await reachProxy(this.#raw, proxy);
    let tunnel: NetSocket = this.#raw;
    if (this.#plan.proxyTls !== undefined) {
      tunnel = await secureProxy(tunnel, this.#plan.proxyTls, this.#plan, (made) => {
        this.#hop = made;
      });
    }
    if (proxy.protocol === "socks5" || proxy.protocol === "socks4a" || proxy.protocol === "socks4")
      await socksConnect(tunnel, proxy, target.host, target.port);
    else await httpConnect(tunnel, proxy, target.host, target.port);
    opened();
    if (header !== undefined) tunnel.write(header); // first in the tunnel
    if (tls === undefined) {
      if (tunnel !== this.#raw) markProxyHop(tunnel); // TLS with the proxy, not the target
      return tunnel;
    }
    return await secureTunnel(tunnel, { ...this.#plan, tls }, (made) => {
      this.#secure = made;
    });
  }

  /** Cuts the build short (a deadline, the socket closed); `why` wins over what follows. */
  abandon(why: SocketError | undefined): void {
    if (this.#done) return;
    this.#overriding ??= why;
    this.#destroy();
  }

  /** The tunnel was handed over: nothing to tear down any more. */
  finish(): void {
    this.#done = true;
  }

  /** The build failed: tears down every part; returns the error that cut it short, if any. */
  fail(): SocketError | undefined {
    this.#done = true;
    this.#destroy();
    return this.#overriding;
  }

  #destroy(): void {
    this.#raw.destroy();
    this.#hop?.destroy();
    this.#secure?.destroy();
  }
}

/** Resolves once `raw` is connected to the proxy; rejects with a {@link ProxyError}. */
function reachProxy(raw: NetSocket, proxy: ProxySpec): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      raw.off("connect", onConnect);
      const address = formatAddress(proxy.host, proxy.port);
      const system = toSocketError(error, address);
      const message = `proxy ${proxy.display} unreachable: ${system.message}`;
      reject(new ProxyError(system.code, message, { proxy: proxy.display, address, cause: error }));
    };
    const onConnect = (): void => {
      raw.off("error", onError);
      raw.off("close", onClose);
      resolve();
    };
    const onClose = (): void => onError(new SocketError("ERR_SOCKET_CLOSED", "closed"));
    raw.once("connect", onConnect);
    raw.once("error", onError);
    raw.once("close", onClose);
  });
}

/**
 * TLS with an `https://` proxy over `raw` (connected): verified against the proxy's host
 * name by default; a failure is a `TlsError` naming the proxy.
 */
async function secureProxy(
  raw: NetSocket,
  options: ConnectionOptions,
  plan: TunnelPlan,
  made: (secure: TLSSocket) => void,
): Promise<TLSSocket> {
  const { proxy } = plan;
  const secure = tlsConnect({ ...options, socket: raw, host: proxy.host });
  made(secure);
  secure.on("error", () => {}); // reported through awaitHandshake
  const peer = `proxy ${proxy.display}`;
  const toError = (error: unknown): SocketError =>
    toTlsError(error, peer) ?? toSocketError(error, peer);
  const ms = plan.tls?.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  await awaitHandshake(secure, "client", ms, {}, toError);
  return secure;
}

/**
 * TLS with the final host through the tunnel: the name checked (and sent as SNI) is the
 * target's, not the proxy's, unless `verifyHost` says another (LiveCode: "a secure
 * connection with a host while tunnelling through a proxy").
 */
async function secureTunnel(
  raw: NetSocket,
  plan: TunnelPlan & { tls: TlsClientOptions },
  made: (secure: NetSocket) => void,
): Promise<NetSocket> {
  const { tls, target, allowHalfOpen } = plan;
  // A wrapped socket's `host` defaults to "localhost": give the target's for the check.
  const options = { ...clientTlsOptions(tls, target.host), socket: raw, host: target.host };
  const halfOpen = { allowHalfOpen }; // honoured by tls.connect, missing from its type
  const secure = tlsConnect({ ...halfOpen, ...options });
  made(secure);
  secure.on("error", () => {}); // reported through awaitHandshake; later ones by the Socket
  const peer = formatEndpoint(target);
  const toError = (error: unknown): SocketError =>
    toTlsError(error, peer) ?? toSocketError(error, peer);
  await awaitHandshake(
    secure,
    "client",
    tls.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
    tls,
    toError,
  );
  secure.pause();
  return secure;
}
