/**
 * UDP addresses: a destination parsed (a target, or a sender as `'message'` gave it), the
 * connected peer of a socket, multicast group addresses, and the text naming a peer.
 *
 * @module
 */
import type { Socket as DgramSocket } from "node:dgram";
import { isIP } from "node:net";
import {
  formatAddress,
  parseTarget,
  type TargetInput,
  type TcpEndpoint,
  unmapIPv4,
} from "./address.js";
import type { DatagramPeer } from "./datagram-types.js";
import { SocketError } from "./errors.js";

/**
 * A UDP destination: a host and port (a Unix path has no UDP form here). A sender as
 * `'message'` and `receive()` give it (`{ address, port, family }`) is a destination too,
 * so a reply goes back to where a datagram came from.
 */
export function udpEndpoint(target: TargetInput | DatagramPeer): TcpEndpoint {
  const endpoint = parseTarget(asTarget(target), "udp"); // a named port is a UDP service
  if (endpoint.kind !== "tcp") {
    throw new SocketError("ERR_INVALID_ADDRESS", "a UDP destination is host:port, not a unix path");
  }
  return endpoint;
}

/** `{ address, port }` (a sender) as `{ host, port }`; any other target as it is. */
function asTarget(target: TargetInput | DatagramPeer): TargetInput {
  if (typeof target !== "object" || target === null || "host" in target) return target;
  if (!("address" in target)) return target;
  return { host: target.address, port: target.port };
}

/** The peer of a connected socket; undefined when it is not connected. */
export function connectedPeer(ds: DgramSocket): DatagramPeer | undefined {
  try {
    const { address: raw, port, family } = ds.remoteAddress();
    const address = unmapIPv4(raw);
    return { address, port, family: family === "IPv6" && address === raw ? "IPv6" : "IPv4" };
  } catch {
    return undefined; // not connected
  }
}

/** `"host:port"` (`"[v6]:port"`) of a destination or a peer. */
export function describe(peer: { host: string; port: number } | DatagramPeer): string {
  return formatAddress("host" in peer ? peer.host : peer.address, peer.port);
}

/** Whether `address` is an IPv4 (224/4) or IPv6 (`ff00::/8`) multicast group address. */
export function isMulticast(address: string): boolean {
  const family = isIP(address);
  if (family === 4) {
    const first = Number(address.slice(0, address.indexOf(".")));
    return first >= 224 && first <= 239;
  }
  return family === 6 && /^ff[0-9a-f]{2}:/i.test(address);
}
