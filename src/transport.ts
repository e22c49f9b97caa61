/**
 * The transport under a `Socket`: a `net.Socket`, or a `TLSSocket` (made by `connect()`,
 * accepted by a TLS server, or put in place by STARTTLS). This is the one module that
 * tells TLS from plain: which event means "connected", how a transport's error maps to a
 * code, what `info().tls` reports, how a client transport and a server are made. No
 * `secure` flag travels between `connect`, `Server` and `Socket`: the transport says.
 *
 * The transport's events reach their socket through one set of listeners shared by every
 * socket, which find their socket in an owner map: a server holding thousands of
 * connections makes no closures per connection for them (bench W5).
 *
 * @module
 */
import {
  type Server as NetServer,
  type Socket as NetSocket,
  connect as netConnect,
  createServer as netCreateServer,
} from "node:net";
import {
  type ConnectionOptions,
  TLSSocket,
  connect as tlsConnect,
  createServer as tlsCreateServer,
} from "node:tls";
import { formatAddress, unmapIPv4 } from "./address.js";
import { type SocketError, toSocketError } from "./errors.js";
import { admit, type ProxyGate } from "./proxy-protocol/accept.js";
import type { ProxyInfo } from "./proxy-protocol/types.js";
import type { Reader } from "./reader.js";
import type { ResolvedSocketOptions } from "./socket-options.js";
import {
  serverTlsOptions,
  type TlsInfo,
  type TlsServerOptions,
  tlsInfo,
  toTlsError,
} from "./tls.js";

/** What the shared listeners call: the socket behind a transport (its lifecycle). */
export interface TransportOwner {
  /** Takes the received chunks (the hot path: one map lookup and one push per chunk). */
  readonly reader: Reader;
  /** The socket, which emits the events that carry nothing. */
  readonly host: { emit(event: "dataAvailable" | "end" | "timeout"): boolean };
  /** The transport connected (the TLS handshake included). */
  transportConnected(): void;
  /** The peer sent FIN (after the owner's `destroy()`, ignored). */
  transportEnded(): void;
  /** The transport failed (map `error` with {@link transportError}). */
  transportFailed(error: unknown): void;
  /** The transport closed. */
  transportClosed(): void;
}

/** A listener of the transport's events; Node calls it with the transport as `this`. */
// biome-ignore lint/suspicious/noExplicitAny: Node's listener type is (...args: any[]) => void
type TransportListener = (this: NetSocket, ...args: any[]) => void;

/** The owner of each transport. */
const owners = new WeakMap<NetSocket, TransportOwner>();

const events: readonly [string, TransportListener][] = [
  [
    "data",
    function (this: NetSocket, chunk: Buffer) {
      const owner = owners.get(this);
      if (owner === undefined) return;
      owner.reader.push(chunk);
      owner.host.emit("dataAvailable");
    },
  ],
  [
    "end",
    function (this: NetSocket) {
      owners.get(this)?.transportEnded();
    },
  ],
  [
    "error",
    function (this: NetSocket, error: Error) {
      owners.get(this)?.transportFailed(error);
    },
  ],
  [
    "close",
    function (this: NetSocket) {
      owners.get(this)?.transportClosed();
    },
  ],
];

/**
 * The recycled read buffer (Node's `onread` option of `net.connect()` and `tls.connect()`,
 * public and documented for client sockets): the kernel's bytes land in this one buffer,
 * shared by every client transport of the process, and the callback hands a view of them to
 * the reader, which copies what must outlive the call (the receive buffer's bytes, payloads
 * handed out) and decodes lines straight from it. Sharing one buffer is safe: a read fills it
 * and calls back synchronously before any other read, and nothing keeps the view. 64 KiB, as
 * Node's own reads; it beat a 1 MiB one (issue #15). Accepted sockets ignore `onread` (Node
 * 20–24), so servers keep the `'data'` path; so do STARTTLS layers and proxied connections.
 */
const RECYCLED_SIZE = 64 * 1024;
let recycledBuffer: Buffer | undefined;

/**
 * Whether new client transports read into the recycled buffer: on Node, unless the
 * environment says `SOCKIT_RECEIVE_PATH=data` (every read then a fresh Buffer through
 * `'data'`). Bun and Deno keep `'data'`: their `onread` emulations differ from Node's when a
 * callback pauses (oven-sh/bun#42444) and are not what sockit is tested against there.
 */
let recycledReads =
  process.versions.bun === undefined && !("Deno" in globalThis) && !receivePathIsData();

/**
 * `SOCKIT_RECEIVE_PATH=data` in the environment. Checked only on Node (above): reading the
 * environment at import would throw on Deno without `--allow-env`; a runtime that refuses
 * the read counts as "not set".
 */
function receivePathIsData(): boolean {
  try {
    return process.env.SOCKIT_RECEIVE_PATH === "data";
  } catch {
    return false;
  }
}

/** Turns the recycled read buffer on or off for client transports made from now on. @internal */
export function useRecycledReads(on: boolean): void {
  recycledReads = on;
}

/** Which receive path new client transports take: `"recycled"` (onread) or `"data"`. @internal */
export function clientReceivePath(): "recycled" | "data" {
  return recycledReads ? "recycled" : "data";
}

/** Node's `onread` option for a client transport whose socket `ns()` will return. */
function recycledRead(ns: () => NetSocket | undefined): {
  buffer: Buffer;
  callback: (bytes: number, buffer: Buffer) => boolean;
} {
  recycledBuffer ??= Buffer.allocUnsafe(RECYCLED_SIZE);
  return {
    buffer: recycledBuffer,
    callback: (bytes, buffer) => {
      const transport = ns();
      const owner = transport === undefined ? undefined : owners.get(transport);
      if (owner === undefined) return true;
      // A view valid during this call only: the reader copies what it keeps.
      owner.reader.push(buffer.subarray(0, bytes), true);
      owner.host.emit("dataAvailable");
      return true; // backpressure goes through the reader's pause(), as on the 'data' path
    },
  };
}

/** Listened to only when an idle timeout is set: an unused listener costs every socket. */
const onTimeout = function (this: NetSocket): void {
  owners.get(this)?.host.emit("timeout");
};

const onConnect = function (this: NetSocket): void {
  owners.get(this)?.transportConnected();
};

/**
 * Listens to a transport's events on behalf of `owner` (again after STARTTLS, to the TLS
 * layer's). A transport still connecting reports its connect: for TLS, once the handshake
 * is done (`'secureConnect'`).
 */
export function attach(ns: NetSocket, owner: TransportOwner): void {
  owners.set(ns, owner);
  for (const [event, listener] of events) ns.on(event, listener);
  if ((ns.timeout ?? 0) > 0) ns.on("timeout", onTimeout);
}

/** Reports the connect of a transport that is still connecting. */
export function awaitConnect(ns: NetSocket): void {
  ns.once(isSecure(ns) ? "secureConnect" : "connect", onConnect);
}

/** Whether the transport is still connecting (a TLS one: or still in its handshake). */
export function isConnecting(ns: NetSocket): boolean {
  return ns.connecting || ns.pending;
}

/** Stops listening to a transport (STARTTLS replaces it). */
export function detach(ns: NetSocket): void {
  for (const [event, listener] of events) ns.off(event, listener);
  ns.off("timeout", onTimeout);
  ns.off("connect", onConnect);
  ns.off("secureConnect", onConnect);
  owners.delete(ns);
}

/** Changes a transport's idle timer (`socket.setIdleTimeout()`); `0` stops it. */
export function setIdleTimer(ns: NetSocket, ms: number): void {
  ns.setTimeout(ms);
  ns.off("timeout", onTimeout);
  if (ms > 0) ns.on("timeout", onTimeout);
}

/** Applies the socket options that live on the transport: idle timeout, Nagle, keep-alive. */
export function configure(ns: NetSocket, options: ResolvedSocketOptions): void {
  if (options.idleTimeout > 0) ns.setTimeout(options.idleTimeout);
  ns.setNoDelay(options.noDelay);
  if (options.keepAlive !== false) ns.setKeepAlive(true, options.keepAlive);
}

/** TLS layers with an `https://` proxy that carry a plain tunnel: not the target's TLS. */
const proxyHops = new WeakSet<NetSocket>();

/**
 * Marks `ns` as the TLS layer with an `https://` proxy, carrying a plain tunnel to the
 * target: the socket is not `secure`, `info().tls` is undefined, `startTLS()` may wrap it.
 */
export function markProxyHop(ns: NetSocket): void {
  proxyHops.add(ns);
}

/** Whether the transport is TLS with the peer (a TLS layer with a proxy is not). */
export function isSecure(ns: NetSocket): ns is TLSSocket {
  return ns instanceof TLSSocket && !proxyHops.has(ns);
}

/**
 * A transport's error with its code: on TLS, a certificate or handshake failure becomes a
 * `TlsError` (`ERR_TLS_CERT`, `ERR_TLS_HANDSHAKE`); anything else keeps Node's code.
 * `peer` names the connection in the message.
 */
export function transportError(
  ns: NetSocket,
  error: unknown,
  peer: string | undefined,
): SocketError {
  return (isSecure(ns) ? toTlsError(error, peer) : undefined) ?? toSocketError(error, peer);
}

/** What `info().tls` reports: the TLS session of a secure transport, else undefined. */
export function secureInfo(ns: NetSocket): TlsInfo | undefined {
  return isSecure(ns) ? tlsInfo(ns) : undefined;
}

/** Where a client transport connects: a Unix path, or a host and port with a local bind. */
export type ClientAddress =
  | { path: string; allowHalfOpen: boolean }
  | { host: string; port: number; allowHalfOpen: boolean; localAddress?: string };

/**
 * Starts a client transport: plain TCP or Unix, or TLS when `tls` (Node's options, already
 * checked) is given. `noDelay` given to Node applies once connected; set later, it costs a
 * second system call. Its bytes come through the recycled read buffer (see
 * {@link useRecycledReads}); the `'data'` listener stays, so a runtime that ignores `onread`
 * delivers them there.
 */
export function openClient(
  address: ClientAddress,
  noDelay: boolean,
  tls: ConnectionOptions | undefined,
): NetSocket {
  if (!recycledReads) {
    return tls === undefined
      ? netConnect({ ...address, noDelay })
      : tlsConnect({ ...address, ...tls });
  }
  let ns: NetSocket | undefined;
  const onread = recycledRead(() => ns);
  ns =
    tls === undefined
      ? netConnect({ ...address, noDelay, onread })
      : // Node takes `onread` for a TLS client it dials too (since v15, nodejs/node#35753);
        // @types/node does not list it.
        tlsConnect({ ...address, ...tls, onread } as unknown as ConnectionOptions);
  return ns;
}

/**
 * What a server does with what it accepts: a connection (with the PROXY header it came
 * with, behind a `proxyProtocol` gate), a client's failed handshake, a bad PROXY header.
 */
export interface AcceptHandlers {
  accept(raw: NetSocket, proxy?: ProxyInfo): void;
  clientError(error: SocketError): void;
  proxyError(error: SocketError): void;
}

/**
 * Makes a listening server's transport: plain, or TLS when `tls` is given. A TLS server
 * hands over a connection once its handshake is done; a failed handshake is reported with
 * its code and the client's address, and never becomes a connection.
 */
export function createServerTransport(
  tls: TlsServerOptions | undefined,
  allowHalfOpen: boolean,
  gate: ProxyGate | undefined,
  handlers: AcceptHandlers,
): NetServer {
  if (gate !== undefined) {
    // Behind a PROXY header, TLS starts after it: the server accepts plain TCP, and the gate
    // reads the header, then makes the TLS layer when the server serves TLS.
    const server = netCreateServer({ allowHalfOpen });
    server.on("connection", (raw: NetSocket) =>
      admit(raw, gate, {
        ready: (transport, proxy) => handlers.accept(transport, proxy),
        proxyError: (error) => handlers.proxyError(error),
        tlsError: (error) => handlers.clientError(error),
      }),
    );
    return server;
  }
  if (tls === undefined) {
    const server = netCreateServer({ allowHalfOpen });
    server.on("connection", (raw: NetSocket) => handlers.accept(raw));
    return server;
  }
  const server = tlsCreateServer({ ...serverTlsOptions(tls), allowHalfOpen });
  server.on("secureConnection", (raw: TLSSocket) => handlers.accept(raw));
  server.on("tlsClientError", (error: Error, raw: TLSSocket) => {
    const peer =
      raw.remoteAddress === undefined
        ? undefined
        : formatAddress(unmapIPv4(raw.remoteAddress), raw.remotePort ?? 0);
    // Node reports a handshake timeout but leaves the connection open (a TLS slowloris):
    // a client whose handshake failed, for any reason, is dropped here.
    raw.destroy();
    handlers.clientError(transportError(raw, error, peer));
  });
  return server;
}
