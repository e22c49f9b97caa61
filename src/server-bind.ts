/**
 * Where a server listens: one address (a port, a path, an IP, a name with one address), or
 * every address of a name with several (`listen-all.ts`); a stale Unix socket file left by
 * a process that died is removed once and the bind tried again.
 *
 * @module
 */
import { lstat, unlink } from "node:fs/promises";
import { createConnection, type Server as NetServer } from "node:net";
import { type Endpoint, formatEndpoint } from "./address.js";
import { SocketError, toSocketError } from "./errors.js";
import {
  type BoundAddress,
  boundAddressOf,
  type ListenerGroup,
  listenAll,
  namedHostAddresses,
} from "./listen-all.js";

/** How to bind, checked by the caller. */
export interface BindPlan {
  /** The listen backlog (connections the kernel queues before they are accepted). */
  readonly backlog: number;
  readonly reusePort: boolean;
  readonly ipv6Only: boolean;
  readonly allowHalfOpen: boolean;
}

/** Where a server ended up listening. */
export interface Bound {
  /** The port (the real one when 0 was asked for); undefined for a Unix-domain server. */
  readonly port: number | undefined;
  /** The first address listened on; undefined for a Unix-domain server. */
  readonly host: string | undefined;
  /** Every address listened on (empty for a Unix-domain server). */
  readonly addresses: readonly BoundAddress[];
  /** The listeners of a name with several addresses; undefined when `ns` itself listens. */
  readonly group: ListenerGroup | undefined;
}

/**
 * Makes `ns` listen on `local` (a host name or interface resolved here), or, for a name with
 * several addresses, makes one listener per address that hands its connections to `ns`.
 * @throws (rejects) the bind's `SocketError` (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`,
 * `ERR_UNKNOWN_INTERFACE`).
 */
export async function bindServer(ns: NetServer, local: Endpoint, plan: BindPlan): Promise<Bound> {
  const named = local.kind === "tcp" ? await namedHostAddresses(local.host) : undefined;
  if (named !== undefined && named.length > 1 && local.kind === "tcp") {
    const { backlog, reusePort, allowHalfOpen } = plan;
    const group = await listenAll(ns, named, {
      port: local.port,
      backlog,
      reusePort,
      allowHalfOpen,
    });
    const { addresses } = group;
    return { group, addresses, port: addresses[0]?.port, host: addresses[0]?.address };
  }
  const host = named?.[0]?.address ?? (local.kind === "tcp" ? local.host : "");
  const bind =
    local.kind === "unix"
      ? { path: local.path, backlog: plan.backlog }
      : {
          port: local.port,
          backlog: plan.backlog,
          ipv6Only: plan.ipv6Only,
          ...(plan.reusePort ? { reusePort: true } : {}),
          ...(host === "" ? {} : { host }),
        };
  try {
    await listenOnce(ns, local, bind);
  } catch (error) {
    if (local.kind !== "unix" || !(await removeStaleUnixSocket(local.path, error))) throw error;
    await listenOnce(ns, local, bind);
  }
  const address = ns.address();
  const inet = address !== null && typeof address === "object" ? address : undefined;
  return { group: undefined, addresses: boundAddressOf(ns), port: inet?.port, host: inet?.address };
}

/** `ns.listen(bind)`, as a promise of the outcome. */
function listenOnce(ns: NetServer, local: Endpoint, bind: object): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(toSocketError(error, formatEndpoint(local)));
    ns.once("error", onError);
    ns.listen(bind, () => {
      ns.removeListener("error", onError);
      resolve();
    });
  });
}

/**
 * A Unix socket file left by a process that died refuses connections: remove it. A file
 * that accepts connections (in use), or that is not a socket, is left alone.
 */
async function removeStaleUnixSocket(path: string, error: unknown): Promise<boolean> {
  if (!(error instanceof SocketError) || error.code !== "EADDRINUSE") return false;
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined || !stats.isSocket()) return false;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) return false;
  await unlink(path).catch(() => undefined);
  return true;
}
