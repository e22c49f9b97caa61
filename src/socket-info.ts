/**
 * What `socket.info()` reports, and the snapshot of addresses that outlives the connection
 * (Xojo: after `Close` a socket keeps its port and address).
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { isIP } from "node:net";
import { type Endpoint, formatAddress, formatEndpoint, unmapIPv4 } from "./address.js";
import type { ProxyInfo } from "./proxy-protocol/types.js";
import type { ReceiveBuffer } from "./receive-buffer.js";
import type { ReconnectInfo } from "./reconnect.js";
import { formatSockaddr } from "./sockaddr.js";
import type { TlsInfo } from "./tls.js";

/**
 * A socket's addresses and state (hs.socket `info`, Tcl `-sockname`/`-peername`/`-connecting`,
 * Xojo `LocalAddress`/`Port`/`IsConnected`). Fields that do not apply are `undefined`.
 */
export interface SocketInfo {
  /** Connection number given by a server (1, 2, …); undefined for a client socket. */
  readonly id: number | undefined;
  /** LiveCode connection name (`"host:port|name"`). */
  readonly name: string | undefined;
  /**
   * `"IPv4"`, `"IPv6"`, `"unix"`, or undefined before the connection is made. An IPv4 peer of
   * a dual-stack (`::`) server is `"IPv4"`, its addresses the plain IPv4 ones.
   */
  readonly family: "IPv4" | "IPv6" | "unix" | undefined;
  /** Local IP address (Xojo `LocalAddress`); an IPv4-mapped one as plain IPv4 (`127.0.0.1`). */
  readonly localAddress: string | undefined;
  /** Local port (Xojo `Port` once connected). */
  readonly localPort: number | undefined;
  /** Peer IP address; an IPv4-mapped one (`::ffff:127.0.0.1`) as plain IPv4 (`127.0.0.1`). */
  readonly remoteAddress: string | undefined;
  /** Peer port. */
  readonly remotePort: number | undefined;
  /** Unix-domain socket path. */
  readonly path: string | undefined;
  /** Whether the socket is connected and not closing. */
  readonly connected: boolean;
  /** Whether a connect is in progress. */
  readonly connecting: boolean;
  /** Whether the connection is TLS (and its handshake is done). */
  readonly secure: boolean;
  /** Protocol, cipher, ALPN and the peer's certificate of a TLS connection; kept after close. */
  readonly tls: TlsInfo | undefined;
  /** Bytes received from the peer, in all. */
  readonly bytesRead: number;
  /** Bytes handed to the kernel for the peer, in all. */
  readonly bytesWritten: number;
  /** Bytes in the receive buffer, not yet read. */
  readonly available: number;
  /**
   * The PROXY header the connection came with, on a server listening with `proxyProtocol`
   * (`via`: the proxy's own address and port); undefined otherwise. For a `PROXY` command,
   * `remoteAddress`, `remotePort` and `family` above are the original client's (an
   * IPv4-mapped IPv6 client as IPv4); for `LOCAL` (a health check) and `UNKNOWN` they are the
   * real peer's. `localAddress` and `localPort` stay the real ones: the address the client
   * asked for is `proxy.destination`.
   */
  readonly proxy: ProxyInfo | undefined;
  /**
   * Our end as `sockaddr` bytes in the host's layout (hs.socket hands these to
   * `parseAddress`; see `parseSockaddr`); undefined while unknown.
   */
  readonly localSockaddr: Buffer | undefined;
  /** The peer's end as `sockaddr` bytes in the host's layout; undefined while unknown. */
  readonly remoteSockaddr: Buffer | undefined;
  /**
   * A reconnecting client's connection count and current attempt (absent on other sockets).
   * `bytesRead`, `bytesWritten` and the addresses are those of the current connection.
   */
  readonly reconnect?: ReconnectInfo;
  /**
   * The operating system's descriptor of the socket (Xojo `Handle`), for native code or
   * `/proc/self/fd`; `-1` where Node does not expose one: on Windows, once closed, before a
   * connection that waits on a name lookup or a proxy has its transport, or on a runtime
   * without the handle's `fd`. Read from Node's internal handle behind a feature check.
   */
  readonly fd: number;
  /**
   * The idle timeout in force, in milliseconds (`0`: none): the socket's `idleTimeout`
   * option, else `setDefaults({ idleTimeout })`, else the last `setIdleTimeout()`
   * (hs.socket's `timeout` in `info()`).
   */
  readonly idleTimeout: number;
}

/**
 * The descriptor under a Node socket: `-1` unless Node's (internal) handle has a numeric
 * `fd` of 0 or more. A TLS socket's handle wraps the TCP one, whose `fd` is used.
 */
export function descriptorOf(ns: object): number {
  const handle: unknown = Reflect.get(ns, "_handle");
  for (const candidate of [handle, parentOf(handle)]) {
    if (typeof candidate !== "object" || candidate === null) continue;
    const fd: unknown = Reflect.get(candidate, "fd");
    if (typeof fd === "number" && Number.isInteger(fd) && fd >= 0) return fd;
  }
  return -1;
}

/** A TLS handle's TCP handle (`_parentWrap`'s handle, or `_parent`), if any. */
function parentOf(handle: unknown): unknown {
  if (typeof handle !== "object" || handle === null) return undefined;
  return Reflect.get(handle, "_parent");
}

/** The address fields of {@link SocketInfo}, kept across close. */
export type AddressSnapshot = Pick<
  SocketInfo,
  "family" | "localAddress" | "localPort" | "remoteAddress" | "remotePort" | "path"
>;

/** An empty snapshot for a socket that has not connected yet. */
export function emptySnapshot(path: string | undefined): AddressSnapshot {
  return {
    family: path === undefined ? undefined : "unix",
    localAddress: undefined,
    localPort: undefined,
    remoteAddress: undefined,
    remotePort: undefined,
    path,
  };
}

/** Reads the addresses off a Node socket, keeping earlier values Node no longer reports. */
export function snapshotAddresses(ns: NetSocket, previous: AddressSnapshot): AddressSnapshot {
  const remote = ns.remoteAddress;
  const remoteAddress = remote === undefined ? previous.remoteAddress : unmapIPv4(remote);
  const local = ns.localAddress;
  const reported = ns.remoteFamily;
  let family: "IPv4" | "IPv6" | undefined =
    reported === "IPv4" || reported === "IPv6" ? reported : undefined;
  // An IPv4 peer of a dual-stack socket is an IPv4 connection, whatever the socket's family.
  if (family === "IPv6" && remoteAddress !== remote) family = "IPv4";
  return {
    family: family ?? previous.family,
    localAddress: local === undefined ? previous.localAddress : unmapIPv4(local),
    localPort: ns.localPort ?? previous.localPort,
    remoteAddress,
    remotePort: ns.remotePort ?? previous.remotePort,
    path: previous.path,
  };
}

/**
 * Both ends as `sockaddr` bytes. A Unix-domain path is the server's end: the local one of an
 * accepted socket, the remote one of a client (whose own end is unnamed).
 */
export function sockaddrsOf(
  addresses: AddressSnapshot,
  accepted: boolean,
): Pick<SocketInfo, "localSockaddr" | "remoteSockaddr"> {
  const { path, localAddress, localPort, remoteAddress, remotePort } = addresses;
  if (path !== undefined) {
    const named = formatSockaddr({ address: path, port: 0, path });
    const unnamed = formatSockaddr({ address: "", port: 0, path: "" }).subarray(0, 2);
    return accepted
      ? { localSockaddr: named, remoteSockaddr: unnamed }
      : { localSockaddr: unnamed, remoteSockaddr: named };
  }
  return {
    localSockaddr: ipSockaddr(localAddress, localPort),
    remoteSockaddr: ipSockaddr(remoteAddress, remotePort),
  };
}

function ipSockaddr(address: string | undefined, port: number | undefined): Buffer | undefined {
  if (address === undefined || port === undefined || isIP(address.split("%")[0] ?? "") === 0)
    return undefined;
  const [ip = address, zone] = address.split("%");
  const scopeId = zone !== undefined && /^\d+$/.test(zone) ? Number(zone) : 0;
  return formatSockaddr({ address: ip, port, scopeId });
}

/**
 * The addresses `info()` reports for a connection that came with a PROXY header: the
 * original client's for a `PROXY` command, the real ones otherwise.
 */
export function proxiedAddresses(
  snapshot: AddressSnapshot,
  proxy: ProxyInfo | undefined,
): AddressSnapshot {
  if (proxy === undefined) return snapshot;
  const { source, via } = proxy;
  if (source === undefined) {
    // The real peer is the proxy: known from the accept, even if it has already hung up.
    if (via === undefined || via.family === "unix" || snapshot.remoteAddress !== undefined) {
      return snapshot;
    }
    return { ...snapshot, family: via.family, remoteAddress: via.address, remotePort: via.port };
  }
  if (source.family === "unix") {
    return { ...snapshot, family: "unix", remoteAddress: undefined, remotePort: undefined };
  }
  const mapped =
    source.family === "IPv6" &&
    source.address.startsWith("::ffff:") &&
    source.address.includes(".");
  return {
    ...snapshot,
    family: mapped ? "IPv4" : source.family,
    remoteAddress: mapped ? source.address.slice(7) : source.address,
    remotePort: source.port,
  };
}

/** What {@link readInfo} reads of a socket's lifecycle (`lifecycle.ts`). */
export interface InfoSource {
  readonly ns: NetSocket;
  /** Refreshed from `ns` while it is open, kept after close. */
  addresses: AddressSnapshot;
  readonly state: "connecting" | "open" | "closing" | "closed";
  readonly tls: TlsInfo | undefined;
  readonly reader: { readonly buffer: Pick<ReceiveBuffer, "length"> };
  readonly reconnect: { info(): ReconnectInfo } | undefined;
}

/** `socket.info()`: the connection's state, and its addresses (a PROXY header's client first). */
export function readInfo(
  life: InfoSource,
  id: number | undefined,
  name: string | undefined,
  proxy: ProxyInfo | undefined,
): SocketInfo {
  const ns = life.ns;
  if (!ns.destroyed) life.addresses = snapshotAddresses(ns, life.addresses);
  const addresses = proxiedAddresses(life.addresses, proxy);
  return {
    id,
    name,
    ...addresses,
    connected: life.state === "open",
    connecting: life.state === "connecting",
    secure: life.tls !== undefined,
    bytesRead: ns.bytesRead,
    bytesWritten: ns.bytesWritten,
    available: life.reader.buffer.length,
    tls: life.tls,
    proxy,
    ...sockaddrsOf(addresses, id !== undefined),
    ...(life.reconnect === undefined ? {} : { reconnect: life.reconnect.info() }),
    fd: descriptorOf(ns),
    idleTimeout: ns.timeout ?? 0,
  };
}

/**
 * The LiveCode socket ID: `"host:port"` (`"host:port|name"`) as connected to; for an accepted
 * connection the peer's `"host:port|N"`, N the server's accept number (`"unix:PATH|N"`).
 */
export function socketIdOf(
  target: Endpoint | undefined,
  info: SocketInfo,
  id: number | undefined,
): string {
  if (target !== undefined) {
    const where = formatEndpoint(target);
    return target.name === undefined ? where : `${where}|${target.name}`;
  }
  const peer =
    info.remoteAddress === undefined
      ? info.path === undefined
        ? "unix"
        : `unix:${info.path}`
      : formatAddress(info.remoteAddress, info.remotePort ?? 0);
  return id === undefined ? peer : `${peer}|${id}`;
}
