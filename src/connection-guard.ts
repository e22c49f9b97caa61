/**
 * What a server lets in before it makes a socket of a connection, done by sockit rather than
 * by the runtime's `net.Server`, so that it is the same on Node, Bun and Deno (README,
 * "Runtimes"):
 *
 * - `maxConnections`: Node's `server.maxConnections` closes a connection over the limit and
 *   emits `'drop'`; Deno closes it and says nothing. Here the server's own `'connection'`
 *   listeners are wrapped: a connection over the limit is closed before they see it (before
 *   any TLS handshake, as Node does) and reported to `drop`.
 * - `ipv6Only`: Node and Bun bind `[::]` with `IPV6_V6ONLY`, so IPv4 clients are refused by
 *   the kernel; Deno ignores the option and accepts them, IPv4-mapped (`::ffff:a.b.c.d`).
 *   Here such a connection is reset before anyone sees it: the server accepts IPv6 clients
 *   only, and an IPv4 client gets `ECONNRESET` (not `ECONNREFUSED`: that difference stays).
 */
import type { Server as NetServer, Socket as NetSocket } from "node:net";

/** What {@link guardConnections} enforces. */
export interface ConnectionGuard {
  /** At most this many connections open at once (counted from accept to close); 0: no limit. */
  maxConnections: number;
  /** Reset IPv4-mapped clients of a server bound to `[::]` with `ipv6Only`. */
  ipv6Only: boolean;
  /** Called for each connection closed because of `maxConnections`. */
  drop: (raw: NetSocket) => void;
}

type ConnectionListener = (this: NetServer, raw: NetSocket) => void;

/**
 * Puts `guard` in front of `server`'s `'connection'` listeners (call it after they are added:
 * the transport adds them when it makes the server). Does nothing when there is nothing to
 * enforce.
 */
export function guardConnections(server: NetServer, guard: ConnectionGuard): void {
  if (guard.maxConnections === 0 && !guard.ipv6Only) return;
  const listeners = server.listeners("connection") as ConnectionListener[];
  server.removeAllListeners("connection");
  let open = 0;
  const closed = (): void => {
    open--;
  };
  server.on("connection", function (this: NetServer, raw: NetSocket) {
    if (guard.ipv6Only && raw.remoteAddress?.startsWith("::ffff:") === true) {
      raw.resetAndDestroy();
      return;
    }
    if (guard.maxConnections > 0) {
      if (open >= guard.maxConnections) {
        guard.drop(raw); // first: a destroyed socket forgets its peer's address
        raw.destroy();
        return;
      }
      open++;
      raw.once("close", closed);
    }
    for (const listener of listeners) listener.call(this, raw);
  });
}
