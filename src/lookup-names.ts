/**
 * `socket.lookupNames()`: both ends of a connection with their host names (Tcl `-sockname` /
 * `-peername`: address, host name, port), by reverse lookup through `getnameinfo`
 * (`dns.lookupService`: `/etc/hosts` first, then DNS), each name falling back to the address.
 *
 * @module
 */
import { lookupService as systemLookupService } from "node:dns/promises";
import { checkInteger, checkOptions } from "./arguments.js";
import { SocketError } from "./errors.js";
import { checkOptionNames, LOOKUP_NAMES } from "./options.js";
import type { SocketInfo } from "./socket-info.js";

/** One end of a connection with its host name (Tcl: the three elements of `-sockname`). */
export interface EndpointNames {
  /** The IP address (an IPv4-mapped one as plain IPv4). */
  readonly address: string;
  /** The host name the address maps back to; the address itself when it has none, or when the lookup failed or took longer than the timeout. */
  readonly host: string;
  /** The port. */
  readonly port: number;
}

/** Both ends with their names: what `socket.lookupNames()` resolves with. */
export interface SocketNames {
  /** Our end (Tcl `-sockname`). */
  readonly local: EndpointNames;
  /** The peer's end (Tcl `-peername`). */
  readonly remote: EndpointNames;
}

/** Options of `socket.lookupNames()`. */
export interface LookupNamesOptions {
  /**
   * Milliseconds each reverse lookup may take; then the name is the address. `0`: no bound.
   * @default 5000
   */
  timeout?: number;
}

/** The default bound of one reverse lookup, in milliseconds. */
export const DEFAULT_LOOKUP_NAMES_TIMEOUT = 5000;

/** A reverse lookup: `dns.promises.lookupService`'s shape (a test's seam). */
export type ReverseLookup = (address: string, port: number) => Promise<{ hostname: string }>;

/**
 * The host name of `address`, or `address` when it has none, the lookup fails, or it takes
 * longer than `timeout` ms (0: no bound). Never rejects.
 */
export async function hostOf(
  address: string,
  port: number,
  timeout: number,
  lookup: ReverseLookup = systemLookupService,
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late =
    timeout > 0
      ? new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve(address), timeout);
          timer.unref(); // an unanswered lookup keeps nobody waiting
        })
      : undefined;
  const asked = lookup(address, port).then(
    ({ hostname }) => (hostname === "" ? address : hostname),
    () => address,
  );
  try {
    return await (late === undefined ? asked : Promise.race([asked, late]));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Both ends of a TCP connection with their host names, from `info` (the addresses are kept
 * after close, so this works then too).
 * @throws (rejects) `ERR_INVALID_STATE` for a Unix-domain socket or one not connected yet
 * (no addresses); `ERR_INVALID_ARGUMENT` for bad options.
 */
export async function lookupNames(
  info: SocketInfo,
  options: LookupNamesOptions | undefined,
  lookup?: ReverseLookup,
): Promise<SocketNames> {
  const checked = checkOptions("options", options, {});
  checkOptionNames("lookupNames()", checked, LOOKUP_NAMES);
  const timeout = checkInteger(
    "timeout",
    checked.timeout ?? DEFAULT_LOOKUP_NAMES_TIMEOUT,
    0,
    2 ** 31 - 1,
  );
  const { localAddress, localPort, remoteAddress, remotePort } = info;
  if (info.family === "unix" || info.path !== undefined) {
    throw new SocketError("ERR_INVALID_STATE", "a Unix-domain socket has no host names");
  }
  if (
    localAddress === undefined ||
    localPort === undefined ||
    remoteAddress === undefined ||
    remotePort === undefined
  ) {
    throw new SocketError("ERR_INVALID_STATE", "the socket has no addresses yet: await opened");
  }
  const [localHost, remoteHost] = await Promise.all([
    hostOf(localAddress, localPort, timeout, lookup),
    hostOf(remoteAddress, remotePort, timeout, lookup),
  ]);
  return {
    local: { address: localAddress, host: localHost, port: localPort },
    remote: { address: remoteAddress, host: remoteHost, port: remotePort },
  };
}
