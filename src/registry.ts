/**
 * LiveCode socket IDs: every open socket of the process by its identifier, `"host:port"` or
 * `"host:port|name"` for a socket opened with a connection name (LiveCode `open socket to
 * "host:port|name"`), `"host:port|N"` for the Nth connection a server accepted (LiveCode's
 * `accept`, which numbers its connections). A socket is listed from its creation until it
 * closes.
 *
 * @module
 */
import type { Socket } from "./socket.js";

/** What the registry keeps: anything with a LiveCode socket ID (a sockit `Socket`). */
export interface Identified {
  /** The LiveCode socket ID: `"host:port"`, `"host:port|name"` or `"host:port|N"`. */
  readonly socketId: string;
}

const open = new Set<Identified>();

/** @internal Lists a socket (from its creation). */
export function register(socket: Identified): void {
  open.add(socket);
}

/** @internal Forgets a socket (it closed). */
export function unregister(socket: Identified): void {
  open.delete(socket);
}

/**
 * The IDs of every open socket in the process, oldest first (LiveCode `the openSockets`).
 * Two sockets to the same host and port without connection names share an ID, as in LiveCode:
 * give names to tell them apart.
 *
 * @example
 * ```ts
 * const socket = connect("127.0.0.1:8080|control");
 * openSockets(); // ["127.0.0.1:8080|control"]
 * ```
 */
export function openSockets(): string[] {
  return [...open].map((socket) => socket.socketId);
}

/**
 * The open socket with this ID, or `undefined` (the oldest one when several share it).
 *
 * @example
 * ```ts
 * findSocket("127.0.0.1:8080|control")?.write("PING\r\n");
 * ```
 */
export function findSocket(id: string): Socket | undefined {
  for (const socket of open) if (socket.socketId === id) return socket as Socket;
  return undefined;
}
