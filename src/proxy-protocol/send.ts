/**
 * The client side of the PROXY protocol: `connect(target, { proxyHeader })` writes the
 * header before anything else, TLS's ClientHello included, for upstreams that expect one
 * (HAProxy's `accept-proxy`, nginx's `proxy_protocol`, another sockit server).
 *
 * @module
 */
import { type NetConnectOpts, type Socket as NetSocket, connect as netConnect } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";

/**
 * Opens the transport of a client socket whose first bytes are `header`. Node sends the
 * bytes written to a socket still connecting as soon as it connects, in order; the TLS layer,
 * wrapped around the same connection, starts its handshake on that same 'connect', after
 * the write registered before it.
 */
export function connectWithHeader(
  address: NetConnectOpts,
  header: Buffer,
  secure: ConnectionOptions | undefined,
  host: string | undefined,
): NetSocket {
  const raw = netConnect(address);
  raw.write(header);
  if (secure === undefined) return raw;
  // A wrapped socket's `host` defaults to "localhost": give the real one for the check.
  return tlsConnect({ ...secure, socket: raw, ...(host === undefined ? {} : { host }) });
}
