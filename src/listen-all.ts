/**
 * A server on every address of a name (Tcl `socket -server cmd -myaddr name port`): when the
 * host a server is given resolves to several local addresses (`127.0.0.1` and `::1`, an
 * interface's addresses), one listener per address, all on one port, each handing its
 * connections to the server's own transport, so that one handler, one `for await`, one
 * `maxConnections` and one set of stats serve them all.
 *
 * @module
 */
import type { AddressInfo, Server as NetServer, Socket as NetSocket } from "node:net";
import { createServer } from "node:net";
import { formatAddress, unmapIPv4 } from "./address.js";
import { SocketError, toSocketError } from "./errors.js";
import { isName, localAddresses } from "./local-address.js";
import type { ResolvedAddress } from "./resolve.js";

/** One address a server listens on (`server.addresses`). */
export interface BoundAddress {
  /** The IP address (`"127.0.0.1"`, `"::1"`; `"::"` or `"0.0.0.0"` for every interface). */
  readonly address: string;
  /** The address family of `address`. */
  readonly family: "IPv4" | "IPv6";
  /** The port: the same for every address of one server. */
  readonly port: number;
}

/** The listeners of a server on several addresses. */
export interface ListenerGroup {
  /** Every bound address, in the order of the name's addresses. */
  readonly addresses: readonly BoundAddress[];
  /** Whether any listener still listens. */
  readonly listening: boolean;
  /** Stops every listener (open connections stay). */
  close(): void;
  /** Lets the process exit while listening (`unref`), or not (`ref`). */
  ref(): void;
  unref(): void;
}

/** How each listener binds. */
export interface GroupBind {
  /** The port asked for; 0: the first bind picks one and the others take it. */
  readonly port: number;
  readonly backlog: number;
  readonly reusePort: boolean;
  readonly allowHalfOpen: boolean;
}

/**
 * How many times a set of binds on a port the OS picked is tried again when another program
 * took that port on one of the other addresses meanwhile.
 */
export const BIND_ATTEMPTS = 5;

/**
 * The addresses a listen host stands for when it is a name (an interface or a host name);
 * undefined for an IP literal or the wildcard.
 * @throws (rejects) `ERR_UNKNOWN_INTERFACE`.
 */
export async function namedHostAddresses(host: string): Promise<ResolvedAddress[] | undefined> {
  return isName(host) && host !== "" ? await localAddresses(host) : undefined;
}

/** The one address of a server listening once (`net.Server.address()`); none for a Unix path. */
export function boundAddressOf(ns: NetServer): BoundAddress[] {
  const info = ns.address();
  if (info === null || typeof info !== "object") return [];
  return [{ address: unmapIPv4(info.address), family: familyOf(info), port: info.port }];
}

function familyOf(info: AddressInfo): "IPv4" | "IPv6" {
  return info.family === "IPv6" || (info.family as unknown) === 6 ? "IPv6" : "IPv4";
}

/**
 * Listens on every one of `addresses` on one port and hands each accepted connection to
 * `primary` (which does not listen itself) as its own `'connection'`, so a plain, TLS or
 * PROXY-protocol server treats them as its own, and the guard in front of `primary`'s
 * listeners (`connection-guard.ts`: `maxConnections`) counts the connections of all the
 * listeners together. A listener's later error is `primary`'s `'error'`.
 *
 * With port 0 the first address gets a port from the OS and the others bind that port; if
 * one of them finds it taken (`EADDRINUSE`), every listener is closed and the whole set tried
 * again, up to {@link BIND_ATTEMPTS} times.
 * @throws (rejects) the bind's error (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`); nothing
 * stays bound then.
 */
export async function listenAll(
  primary: NetServer,
  addresses: readonly ResolvedAddress[],
  how: GroupBind,
): Promise<ListenerGroup> {
  for (let attempt = 1; ; attempt++) {
    const servers: NetServer[] = [];
    const bound: BoundAddress[] = [];
    let port = how.port;
    try {
      for (const entry of addresses) {
        const server = createServer({ allowHalfOpen: how.allowHalfOpen });
        servers.push(server);
        await bindOne(server, entry, { ...how, port });
        port = (server.address() as AddressInfo).port;
        bound.push({ address: entry.address, family: entry.family, port });
      }
    } catch (error) {
      for (const server of servers) if (server.listening) server.close();
      const taken = error instanceof SocketError && error.code === "EADDRINUSE";
      if (how.port === 0 && taken && attempt < BIND_ATTEMPTS) continue;
      throw error;
    }
    return group(primary, servers, bound);
  }
}

/** Binds one listener; IPv6 only on an IPv6 address, so `::` and `0.0.0.0` can share a port. */
function bindOne(server: NetServer, entry: ResolvedAddress, how: GroupBind): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void =>
      reject(toSocketError(error, formatAddress(entry.address, how.port)));
    server.once("error", onError);
    server.listen(
      {
        host: entry.address,
        port: how.port,
        backlog: how.backlog,
        ipv6Only: entry.family === "IPv6",
        ...(how.reusePort ? { reusePort: true } : {}),
      },
      () => {
        server.off("error", onError);
        resolve();
      },
    );
  });
}

function group(
  primary: NetServer,
  servers: readonly NetServer[],
  addresses: readonly BoundAddress[],
): ListenerGroup {
  // Through the primary's own 'connection' listeners, so its guard (maxConnections) counts
  // the connections of every address together.
  const forward = (raw: NetSocket): void => {
    primary.emit("connection", raw);
  };
  for (const server of servers) {
    server.on("connection", forward);
    server.on("error", (error) => primary.emit("error", error));
  }
  return {
    addresses,
    get listening() {
      return servers.some((server) => server.listening);
    },
    close() {
      for (const server of servers) if (server.listening) server.close();
    },
    ref() {
      for (const server of servers) server.ref();
    },
    unref() {
      for (const server of servers) server.unref();
    },
  };
}
