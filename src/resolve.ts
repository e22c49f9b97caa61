/**
 * `resolve()`: names to addresses with the system resolver, the forward lookup that
 * `connect()` makes (the reverse one is `lookup-names.ts`'s).
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { checkHost } from "./address.js";
import { describeType } from "./arguments.js";
import { codeOf, SocketError } from "./errors.js";
import { checkOptionNames, RESOLVE } from "./options.js";

/** One address of a name, as the system resolver gave it. */
export interface ResolvedAddress {
  /** The IP address, without brackets. */
  readonly address: string;
  /** `"IPv4"` or `"IPv6"`. */
  readonly family: "IPv4" | "IPv6";
}

/**
 * Resolves a host name with the system resolver (`getaddrinfo`: `/etc/hosts`, then DNS), the
 * lookup `connect()` itself makes (hs.socket `hostnameToAddress`, Xojo's name resolution).
 * Every address comes back, in the resolver's order (the order a connect tries them); an IP
 * literal resolves to itself.
 *
 * @param options.family `4` or `6`: only that family's addresses. Default: both.
 * @throws (rejects) `SocketError` with the resolver's code (`ENOTFOUND`, `EAI_AGAIN`,
 * `EAI_FAIL`) and `address` set to the name; `ERR_INVALID_ADDRESS` for a malformed name;
 * `ERR_INVALID_ARGUMENT` for a bad family.
 *
 * With a `callback` (hs.socket `hostnameToAddress(hostname, callback)`), it returns at once
 * and calls `callback(error, addresses)` exactly once, in a later tick: `error` is null and
 * `addresses` the list, or `error` the `SocketError` above and `addresses` empty.
 * @example
 * ```ts
 * await resolve("localhost"); // e.g. [{ address: "::1", family: "IPv6" }, { address: "127.0.0.1", family: "IPv4" }]
 * resolve("localhost", (error, addresses) => console.log(error ?? addresses));
 * ```
 */
export function resolve(name: string, options?: ResolveOptions): Promise<ResolvedAddress[]>;
export function resolve(name: string, callback: ResolveCallback): void;
export function resolve(name: string, options: ResolveOptions, callback: ResolveCallback): void;
export function resolve(
  name: string,
  optionsOrCallback?: ResolveOptions | ResolveCallback,
  maybeCallback?: ResolveCallback,
): Promise<ResolvedAddress[]> | undefined {
  const callback = typeof optionsOrCallback === "function" ? optionsOrCallback : maybeCallback;
  const options = typeof optionsOrCallback === "function" ? undefined : optionsOrCallback;
  if (callback !== undefined && typeof callback !== "function") {
    throw new SocketError("ERR_INVALID_ARGUMENT", "resolve()'s callback must be a function");
  }
  const found = lookupAll(name, options ?? {});
  if (callback === undefined) return found;
  found.then(
    (addresses) => callback(null, addresses),
    (error: SocketError) => callback(error, []),
  );
  return undefined;
}

/** The options of {@link resolve}. */
export interface ResolveOptions {
  /** `4` or `6`: only that family's addresses. Default: both. */
  family?: 4 | 6;
}

/** The callback form of {@link resolve}: called once, with an error or the addresses. */
export type ResolveCallback = (error: SocketError | null, addresses: ResolvedAddress[]) => void;

async function lookupAll(name: string, options: ResolveOptions): Promise<ResolvedAddress[]> {
  if (typeof name !== "string") {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `name must be a string, got ${describeType(name)}`,
    );
  }
  checkOptionNames("resolve()", options, RESOLVE);
  const host = checkHost(name, name);
  const { family } = options;
  if (family !== undefined && family !== 4 && family !== 6) {
    throw new SocketError("ERR_INVALID_ARGUMENT", `family must be 4 or 6, got ${String(family)}`);
  }
  let found: { address: string; family: number }[];
  try {
    // `verbatim`: the resolver's order, as on Node 20 `order: "verbatim"` means.
    const order = { order: "verbatim", verbatim: true } as const;
    found = await lookup(host, { all: true, ...order, ...(family ? { family } : {}) });
  } catch (error) {
    throw new SocketError(codeOf(error, "ENOTFOUND"), `cannot resolve ${host}`, {
      cause: error,
      address: host,
    });
  }
  // A literal comes back as itself whatever the family asked for: keep only that family.
  const wanted = found.filter((entry) => family === undefined || entry.family === family);
  if (wanted.length === 0) {
    throw new SocketError("ENOTFOUND", `${host} has no IPv${family} address`, { address: host });
  }
  return wanted.map((entry) => ({
    address: entry.address,
    family: entry.family === 6 ? "IPv6" : "IPv4",
  }));
}
