/**
 * The shapes of UDP: a datagram and its sender, a datagram socket's info and events, and
 * the size limits of a datagram.
 *
 * @module
 */
import type { SocketError } from "./errors.js";

/** `"udp4"` (IPv4) or `"udp6"` (IPv6, and IPv4-mapped unless `ipv6Only`). */
export type DatagramType = "udp4" | "udp6";

/** The largest UDP payload in bytes: 65,535 less the IPv4 (20) and UDP (8) headers. */
export const MAX_DATAGRAM_IPV4 = 65_507;
/** The largest UDP payload over IPv6 without jumbograms: 65,535 less the UDP header (8). */
export const MAX_DATAGRAM_IPV6 = 65_527;

/** Who sent a datagram. */
export interface DatagramPeer {
  /** The sender's IP address. */
  readonly address: string;
  /** The sender's port. */
  readonly port: number;
  /** `"IPv4"` or `"IPv6"`. */
  readonly family: "IPv4" | "IPv6";
}

/** A received datagram: its bytes and its sender. */
export interface Datagram extends DatagramPeer {
  /** The payload, whole: a datagram is never split or truncated. */
  readonly data: Buffer;
}

/** What {@link DatagramSocket.info} reports; kept after close. */
export interface DatagramInfo {
  /** `"udp4"` or `"udp6"`. */
  readonly type: DatagramType;
  /** The bound address (`0.0.0.0` or `::` for every interface). */
  readonly localAddress: string;
  /** The bound port: the real one when `0` was asked for (Xojo `Port` after `Connect`). */
  readonly localPort: number;
  /** The peer of a connected socket (`remote`), else undefined. */
  readonly remoteAddress: string | undefined;
  /** The port of a connected socket's peer, else undefined. */
  readonly remotePort: number | undefined;
  /** Whether the socket is open (Xojo `IsConnected`: bound to its port). */
  readonly open: boolean;
  /** Datagrams received, and their payload bytes. */
  readonly received: number;
  /** Payload bytes of the datagrams received. */
  readonly bytesReceived: number;
  /** Datagrams sent (handed to the kernel), and their payload bytes. */
  readonly sent: number;
  /** Payload bytes of the datagrams sent. */
  readonly bytesSent: number;
  /** Datagrams dropped because the receive queue was full. */
  readonly dropped: number;
  /** Datagrams waiting for `receive()`. */
  readonly queued: number;
}

/** Events of a {@link DatagramSocket}. */
export interface DatagramEvents {
  /** Every datagram, as it arrives (LiveCode's callback message, hs.socket.udp's read callback). */
  message: [data: Buffer, sender: DatagramPeer];
  /** An error the socket survives (an ICMP error on a connected socket, say); listeners only. */
  error: [error: SocketError];
  /** The socket is closed. */
  close: [];
}
