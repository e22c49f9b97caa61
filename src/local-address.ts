/**
 * Local addresses given by name (Tcl `-myaddr name`, LiveCode `from localHostName`,
 * CocoaAsyncSocket's interface strings `"en1"`, `"en1:8082"`, `"loopback"`): an IP literal,
 * an interface name (`lo`, `eth0`, from `os.networkInterfaces()`) or a host name (resolved
 * with the system resolver), turned into the IP addresses to bind before any bind.
 *
 * @module
 */
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { checkHost, parseLocal } from "./address.js";
import { checkInteger, describeType } from "./arguments.js";
import { SocketError } from "./errors.js";
import { type ResolvedAddress, resolve } from "./resolve.js";
import type { ServiceProtocol } from "./services.js";

/** A local address as given: its host (or none: any address) and the port it names, if any. */
export interface LocalSpec {
  /** An IP literal, an interface name or a host name; undefined for "any address" (`":8082"`). */
  readonly host: string | undefined;
  /** The port written after the host (`"en1:8082"`), if any. */
  readonly port: number | undefined;
}

/**
 * Splits a `localAddress` option: an IP literal (`"::1"` needs no brackets), an interface
 * or host name, or CocoaAsyncSocket's forms with a port: `"en1:8082"`, `"[::1]:8082"`,
 * `":8082"` (any address, that port). The port may be a service name.
 * @throws SocketError `ERR_INVALID_ADDRESS` for a malformed one.
 */
export function splitLocalAddress(text: unknown, protocol: ServiceProtocol = "tcp"): LocalSpec {
  if (typeof text !== "string") {
    throw new SocketError(
      "ERR_INVALID_ADDRESS",
      `localAddress must be a string, got ${describeType(text)}`,
    );
  }
  if (isIP(text) !== 0) return { host: text, port: undefined };
  if (text.startsWith("unix:")) {
    throw new SocketError("ERR_INVALID_ADDRESS", `localAddress cannot be a unix path: ${text}`);
  }
  if (text.includes(":")) {
    const endpoint = parseLocal(text, protocol);
    if (endpoint.kind === "unix") throw new SocketError("ERR_INVALID_ADDRESS", "not a unix path");
    return { host: endpoint.host === "" ? undefined : endpoint.host, port: endpoint.port };
  }
  try {
    return { host: checkHost(text, text), port: undefined };
  } catch {
    throw new SocketError(
      "ERR_INVALID_ADDRESS",
      `localAddress must be an IP address, an interface name or a host name, got ${JSON.stringify(text)}`,
    );
  }
}

/** Whether `host` must be looked up (it is not an IP literal). */
export function isName(host: string | undefined): host is string {
  return host !== undefined && isIP(host) === 0;
}

/** CocoaAsyncSocket's special interface name for the loopback addresses. */
const LOOPBACK: readonly ResolvedAddress[] = [
  { address: "127.0.0.1", family: "IPv4" },
  { address: "::1", family: "IPv6" },
];

/**
 * The addresses of an interface (`lo`, `eth0`), link-local IPv6 ones last and with their
 * zone (`fe80::1%eth0`); undefined when this host has no interface of that name.
 */
export function interfaceAddresses(name: string): ResolvedAddress[] | undefined {
  const entries = networkInterfaces()[name];
  if (entries === undefined) return name === "loopback" ? [...LOOPBACK] : undefined;
  const addresses = entries.map((entry) => {
    const linkLocal = entry.family === "IPv6" && entry.scopeid !== undefined && entry.scopeid > 0;
    return {
      address: linkLocal ? `${entry.address}%${name}` : entry.address,
      family: entry.family === "IPv6" ? ("IPv6" as const) : ("IPv4" as const),
      linkLocal,
    };
  });
  return [...addresses.filter((a) => !a.linkLocal), ...addresses.filter((a) => a.linkLocal)].map(
    ({ address, family }) => ({ address, family }),
  );
}

function unknown(host: string, why: string, cause?: unknown): SocketError {
  return new SocketError("ERR_UNKNOWN_INTERFACE", `local address ${host}: ${why}`, {
    address: host,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The IP addresses a local host stands for, in order, without repeats: an IP literal itself;
 * an interface's addresses (an interface name wins over a host name of the same spelling);
 * else the addresses the system resolver gives the name (`/etc/hosts`, then DNS).
 *
 * @param family Only this family's addresses (`4` or `6`); both when undefined.
 * @throws (rejects) `ERR_UNKNOWN_INTERFACE` (with `address`, and the resolver's error as
 * `cause`) for a name that is no interface and does not resolve, or that has no address of
 * `family`.
 */
export async function localAddresses(host: string, family?: 4 | 6): Promise<ResolvedAddress[]> {
  if (isIP(host) !== 0) return [{ address: host, family: isIP(host) === 6 ? "IPv6" : "IPv4" }];
  const wanted = (list: ResolvedAddress[]): ResolvedAddress[] => {
    const seen = new Set<string>();
    return list.filter((entry) => {
      const keep =
        (family === undefined || entry.family === `IPv${family}`) && !seen.has(entry.address);
      seen.add(entry.address);
      return keep;
    });
  };
  const onInterface = interfaceAddresses(host);
  if (onInterface !== undefined) {
    const found = wanted(onInterface);
    if (found.length > 0) return found;
    throw unknown(
      host,
      `interface ${host} has no ${family === undefined ? "IP" : `IPv${family}`} address`,
    );
  }
  let resolved: ResolvedAddress[];
  try {
    resolved = await resolve(host);
  } catch (error) {
    const code = error instanceof SocketError ? ` (${error.code})` : "";
    throw unknown(host, `no interface of that name, and the name does not resolve${code}`, error);
  }
  const found = wanted(resolved);
  if (found.length === 0) throw unknown(host, `${host} has no IPv${family} address`);
  return found;
}

/** The family number of an address of `resolve()`. */
export function familyNumber(entry: ResolvedAddress): 4 | 6 {
  return entry.family === "IPv6" ? 6 : 4;
}

/** A local bind for an outgoing connection: what `net.connect()` takes (once `localAddress` is an IP). */
export interface LocalBind {
  localAddress?: string;
  localPort?: number;
  family?: number;
}

/**
 * Checks `localAddress` (an IP literal, an interface or host name, optionally with
 * `":port"`), `localPort` (0–65535) and `family` (4 or 6). A name stays a name: see
 * {@link resolveLocalBind}.
 * @throws SocketError `ERR_INVALID_ADDRESS`, `ERR_UNKNOWN_SERVICE` or `ERR_INVALID_ARGUMENT`
 * (a port given twice, in `localAddress` and `localPort`).
 */
export function checkLocalBind(options: {
  localAddress?: string;
  localPort?: number;
  family?: 4 | 6;
}): LocalBind {
  const bind: LocalBind = {};
  const spec =
    options.localAddress === undefined ? undefined : splitLocalAddress(options.localAddress);
  if (spec?.host !== undefined) bind.localAddress = spec.host;
  if (spec?.port !== undefined) {
    if (options.localPort !== undefined) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `the local port is given twice: in localAddress ${JSON.stringify(options.localAddress)} and as localPort`,
      );
    }
    bind.localPort = spec.port;
  }
  if (options.localPort !== undefined)
    bind.localPort = checkInteger("localPort", options.localPort, 0, 65535);
  if (options.family !== undefined) {
    if (options.family !== 4 && options.family !== 6) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `family must be 4 or 6, got ${String(options.family)}`,
      );
    }
    bind.family = options.family;
  }
  return bind;
}

/**
 * A local bind whose `localAddress` is a name, made an IP address: the first address of the
 * name in the family of the remote host (an IP literal), or of `family`; else the name's
 * first address, and the connect then takes only that family's addresses of the remote host.
 * @throws (rejects) `ERR_UNKNOWN_INTERFACE` (see {@link localAddresses}).
 */
export async function resolveLocalBind(bind: LocalBind, remoteHost: string): Promise<LocalBind> {
  const { localAddress } = bind;
  if (!isName(localAddress)) return bind;
  const remoteFamily = isIP(remoteHost);
  const given = bind.family === 4 || bind.family === 6 ? bind.family : undefined;
  const family = given ?? (remoteFamily === 4 || remoteFamily === 6 ? remoteFamily : undefined);
  const [first] = await localAddresses(localAddress, family);
  if (first === undefined) throw unknown(localAddress, "no address"); // never: localAddresses throws
  return {
    ...bind,
    localAddress: first.address,
    ...(remoteFamily === 0 ? { family: familyNumber(first) } : {}),
  };
}
