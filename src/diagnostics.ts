/**
 * What a socket reports about itself, for people and for tools (hs.socket `setLogLevel`):
 * - `NODE_DEBUG=sockit` prints hs.socket's messages on stderr through `util.debuglog`:
 *   connected, data written, data read, disconnected and why.
 * - `node:diagnostics_channel` channels for tracers and APMs: `sockit:connect`,
 *   `sockit:close`, `sockit:error`, `sockit:tls`, each message carrying the socket.
 *
 * Both cost one boolean test per event when nobody listens.
 *
 * @module
 */
import { channel } from "node:diagnostics_channel";
import { debuglog } from "node:util";
import type { SocketError } from "./errors.js";

/**
 * The names of sockit's `diagnostics_channel` channels. Subscribe with
 * `diagnostics_channel.subscribe(name, handler)`:
 * - `connect`: `{ socket, info }` once a socket is connected (TLS: handshaken).
 * - `close`: `{ socket, info: { hadError, error? } }` once a socket has closed.
 * - `error`: `{ socket, error }` for the error that ends a socket.
 * - `tls`: `{ socket, tls }` once a TLS handshake (or STARTTLS upgrade) is done.
 *
 * @example
 * ```ts
 * import { subscribe } from "node:diagnostics_channel";
 * subscribe(CHANNELS.connect, (message) => console.log("connected", message));
 * ```
 */
export const CHANNELS = {
  /** `"sockit:connect"`: `{ socket, info }`. */
  connect: "sockit:connect",
  /** `"sockit:close"`: `{ socket, info: { hadError, error? } }`. */
  close: "sockit:close",
  /** `"sockit:error"`: `{ socket, error }`. */
  error: "sockit:error",
  /** `"sockit:tls"`: `{ socket, tls }`. */
  tls: "sockit:tls",
} as const;

const connectChannel = channel(CHANNELS.connect);
const closeChannel = channel(CHANNELS.close);
const errorChannel = channel(CHANNELS.error);
const tlsChannel = channel(CHANNELS.tls);

const log = debuglog("sockit");

/** Whether `NODE_DEBUG` names sockit: read once, as Node's own modules do. */
export const debugEnabled: boolean = log.enabled;

/** The kinds of event a socket reports. */
export type TraceKind = keyof typeof CHANNELS;

const channels = {
  connect: connectChannel,
  close: closeChannel,
  error: errorChannel,
  tls: tlsChannel,
} as const;

/** Whether anyone listens for `kind` (a debug log or a channel subscriber): test it first. */
export function tracing(kind: TraceKind): boolean {
  return debugEnabled || channels[kind].hasSubscribers;
}

/** A socket connected (over TLS: handshaken) to `peer`. */
export function traceConnect(socket: object, peer: string, info: unknown): void {
  if (debugEnabled) log("socket connected to %s", peer);
  if (connectChannel.hasSubscribers) connectChannel.publish({ socket, info });
}

/** A TLS handshake or STARTTLS upgrade finished. */
export function traceTls(
  socket: object,
  peer: string,
  tls: { protocol?: string | null | undefined },
): void {
  if (debugEnabled) log("TLS %s established with %s", tls.protocol, peer);
  if (tlsChannel.hasSubscribers) tlsChannel.publish({ socket, tls });
}

/** The error that ends a socket. */
export function traceError(socket: object, peer: string, error: SocketError): void {
  if (debugEnabled) log("socket to %s failed: %s %s", peer, error.code, error.message);
  if (errorChannel.hasSubscribers) errorChannel.publish({ socket, error });
}

/** A socket closed, and why (hs.socket's "disconnected" line). */
export function traceClose(
  socket: object,
  peer: string,
  info: { hadError: boolean; error?: SocketError | undefined },
  why: string,
): void {
  if (debugEnabled) log("socket to %s disconnected: %s", peer, why);
  if (closeChannel.hasSubscribers) closeChannel.publish({ socket, info });
}

/** Bytes reached the kernel (hs.socket "Data written to TCP socket"). Debug output only. */
export function traceWritten(peer: string, tag: unknown): void {
  log("data written to %s%s", peer, tagText(tag));
}

/** A read completed (hs.socket "Data read from TCP socket"). Debug output only. */
export function traceRead(peer: string, bytes: number, tag: unknown): void {
  log("data read from %s: %d bytes%s", peer, bytes, tagText(tag));
}

function tagText(tag: unknown): string {
  return tag === undefined ? "" : ` (tag ${String(tag)})`;
}
