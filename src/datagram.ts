/**
 * `openDatagram()`: UDP over IPv4 and IPv6. Its options, their checks, binding and
 * connecting a `dgram` socket, then the socket options; the socket itself is a
 * {@link DatagramSocket} (`datagram-socket.ts`). The seeds: LiveCode `open datagram socket
 * [from local] to host:port`, Xojo `UDPSocket`, Hammerspoon `hs.socket.udp`.
 *
 * @module
 */
import { createSocket, type Socket as DgramSocket } from "node:dgram";
import { isIP } from "node:net";
import { formatAddress, type TargetInput, type TcpEndpoint } from "./address.js";
import { checkInteger, checkOptions } from "./arguments.js";
import { describe, udpEndpoint } from "./datagram-address.js";
import { DatagramSocket, type DatagramType } from "./datagram-socket.js";
import { SocketError, toSocketError } from "./errors.js";
import { isName, localAddresses, splitLocalAddress } from "./local-address.js";
import { checkOptionNames, DATAGRAM } from "./options.js";

export {
  type Datagram,
  type DatagramEvents,
  type DatagramInfo,
  type DatagramPeer,
  DatagramSocket,
  type DatagramType,
  MAX_DATAGRAM_IPV4,
  MAX_DATAGRAM_IPV6,
} from "./datagram-socket.js";

/** Options of {@link openDatagram}. Every one is optional. */
export interface DatagramOptions {
  /** Address family. @default from `localAddress` or `remote` when either is an IP literal, else `"udp4"` */
  type?: DatagramType;
  /**
   * Local address to bind to (LiveCode `from host`): an IP address, an interface name
   * (`"lo"`, `"eth0"`) or a host name of this machine (`"localhost"`), resolved before the
   * bind (its first address in the socket's family: `type`, else that of an IP `remote`),
   * optionally with a port (CocoaAsyncSocket's `"en1:5000"`, `"[::1]:5000"`, `":5000"`).
   * An unknown name rejects with `ERR_UNKNOWN_INTERFACE`.
   * @default every interface
   */
  localAddress?: string;
  /** Local port (LiveCode `from :port`, Xojo `Port`); `0` lets the OS pick. @default 0 */
  localPort?: number;
  /**
   * The one peer of a connected UDP socket (LiveCode `open datagram socket to host:port`):
   * `send()` needs no destination and only this peer's datagrams arrive. `"host:port"` or
   * `{ host, port }`; a name is resolved once, when the socket opens.
   */
  remote?: TargetInput;
  /** `SO_REUSEADDR`: several sockets on one port, as multicast listeners need. @default false */
  reuseAddress?: boolean;
  /** A `"udp6"` socket takes IPv6 only (no IPv4-mapped addresses). @default false */
  ipv6Only?: boolean;
  /** `SO_BROADCAST`: allow sending to a broadcast address. @default false */
  broadcast?: boolean;
  /** Unicast time to live (hops), 1–255. @default the system's (64 on Linux) */
  ttl?: number;
  /** Multicast time to live, 0–255 (0: this host only). @default 1 */
  multicastTtl?: number;
  /** Whether this host's own members receive the multicast it sends. @default true */
  multicastLoopback?: boolean;
  /** The local address whose interface sends multicast. @default the system's choice */
  multicastInterface?: string;
  /**
   * Datagrams kept for a later `receive()` while none waits and no `'message'` listener is
   * attached; beyond it the oldest is dropped and counted in `info().dropped`. @default 64
   */
  receiveQueueLength?: number;
  /** `SO_RCVBUF` in bytes. @default the system's */
  receiveBufferSize?: number;
  /** `SO_SNDBUF` in bytes. @default the system's */
  sendBufferSize?: number;
}

/**
 * Opens a UDP socket, bound to `localAddress:localPort` (every interface and a port the OS
 * picks by default), and connected to `remote` when given. Resolves once bound (and
 * connected); then the socket options are applied.
 *
 * @throws (rejects) `ERR_INVALID_ADDRESS` for a malformed `remote`, `localAddress` or
 * `multicastInterface`, `ERR_INVALID_ARGUMENT` for a bad option, or the system's code
 * (`EADDRINUSE`, `EADDRNOTAVAIL`, `ENOTFOUND` for `remote`). Nothing stays open on failure.
 * @example
 * ```ts
 * // LiveCode: open datagram socket from ":8080" to "10.2.1.1:8080"
 * const udp = await openDatagram({ localPort: 8080, remote: "10.2.1.1:8080" });
 * await udp.send("hello");
 * ```
 */
export async function openDatagram(datagramOptions?: DatagramOptions): Promise<DatagramSocket> {
  const options = checkOptions("options", datagramOptions, {});
  checkOptionNames("openDatagram()", options, DATAGRAM);
  const remote = options.remote === undefined ? undefined : udpEndpoint(options.remote);
  const { localAddress, localPort } = await localBind(options, remote);
  const type = datagramType(options.type, localAddress, remote);
  const queueLength = checkInteger(
    "receiveQueueLength",
    options.receiveQueueLength ?? 64,
    0,
    2 ** 20,
  );
  const ds = createSocket({
    type,
    reuseAddr: options.reuseAddress ?? false,
    ipv6Only: options.ipv6Only ?? false,
    ...bufferSizes(options),
  });
  const local = formatAddress(localAddress ?? (type === "udp4" ? "0.0.0.0" : "::"), localPort);
  try {
    const address = localAddress === undefined ? {} : { address: localAddress };
    await settle(ds, (done) => ds.bind({ port: localPort, ...address }, done));
    if (remote !== undefined) {
      await settle(ds, (done) => ds.connect(remote.port, remote.host, done));
    }
  } catch (error) {
    try {
      ds.close();
    } catch {
      // already closed by the failed bind
    }
    throw toSocketError(error, remote === undefined ? local : describe(remote));
  }
  const socket = new DatagramSocket(ds, type, queueLength);
  await applySocketOptions(socket, options);
  return socket;
}

/** The kernel buffer sizes asked for, checked (bytes). */
function bufferSizes(options: DatagramOptions): {
  recvBufferSize?: number;
  sendBufferSize?: number;
} {
  const sizes: { recvBufferSize?: number; sendBufferSize?: number } = {};
  const { receiveBufferSize, sendBufferSize } = options;
  if (receiveBufferSize !== undefined) {
    sizes.recvBufferSize = checkInteger("receiveBufferSize", receiveBufferSize, 1, 2 ** 31 - 1);
  }
  if (sendBufferSize !== undefined) {
    sizes.sendBufferSize = checkInteger("sendBufferSize", sendBufferSize, 1, 2 ** 31 - 1);
  }
  return sizes;
}

/** Broadcast, TTLs and multicast options on the bound socket; a refused one closes it. */
async function applySocketOptions(socket: DatagramSocket, options: DatagramOptions): Promise<void> {
  try {
    if (options.broadcast !== undefined) socket.setBroadcast(options.broadcast);
    if (options.ttl !== undefined) socket.setTtl(options.ttl);
    if (options.multicastTtl !== undefined) socket.setMulticastTtl(options.multicastTtl);
    if (options.multicastLoopback !== undefined)
      socket.setMulticastLoopback(options.multicastLoopback);
    if (options.multicastInterface !== undefined)
      socket.setMulticastInterface(options.multicastInterface);
  } catch (error) {
    await socket.close();
    throw error;
  }
}

/** Runs a dgram call that reports through a callback or an `'error'` event, as a promise. */
function settle(
  ds: DgramSocket,
  call: (done: (error?: Error | null) => void) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    ds.once("error", onError);
    const done = (error?: Error | null): void => {
      ds.off("error", onError);
      if (error) reject(error);
      else resolve();
    };
    try {
      call(done);
    } catch (error) {
      ds.off("error", onError);
      reject(error);
    }
  });
}

function datagramType(
  type: DatagramType | undefined,
  localAddress: string | undefined,
  remote: TcpEndpoint | undefined,
): DatagramType {
  if (type !== undefined && type !== "udp4" && type !== "udp6") {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `type must be "udp4" or "udp6", got ${String(type)}`,
    );
  }
  const family = isIP(localAddress ?? "") || (remote === undefined ? 0 : isIP(remote.host));
  const implied: DatagramType | undefined =
    family === 6 ? "udp6" : family === 4 ? "udp4" : undefined;
  if (
    type !== undefined &&
    implied !== undefined &&
    type !== implied &&
    localAddress !== undefined
  ) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `type ${type} cannot bind the ${implied === "udp6" ? "IPv6" : "IPv4"} address ${localAddress}`,
    );
  }
  return type ?? implied ?? "udp4";
}

/**
 * The address and port to bind: `localAddress` resolved when it is a name (in the family
 * of `type`, else of an IP `remote`), the port from `localAddress` (`"lo:5000"`) or
 * `localPort`.
 */
async function localBind(
  options: DatagramOptions,
  remote: TcpEndpoint | undefined,
): Promise<{ localAddress: string | undefined; localPort: number }> {
  const spec =
    options.localAddress === undefined ? undefined : splitLocalAddress(options.localAddress, "udp");
  if (spec?.port !== undefined && options.localPort !== undefined) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `the local port is given twice: in localAddress ${JSON.stringify(options.localAddress)} and as localPort`,
    );
  }
  const localPort = spec?.port ?? checkInteger("localPort", options.localPort ?? 0, 0, 65535);
  const host = spec?.host;
  if (!isName(host)) return { localAddress: host, localPort };
  const remoteFamily = remote === undefined ? 0 : isIP(remote.host);
  const family =
    options.type === "udp6"
      ? 6
      : options.type === "udp4"
        ? 4
        : remoteFamily === 0
          ? undefined
          : remoteFamily;
  const [first] = await localAddresses(host, family === 4 || family === 6 ? family : undefined);
  return { localAddress: first?.address, localPort };
}
