/**
 * The bypass list (`NO_PROXY` semantics, as curl and Go read it): which targets connect
 * directly instead of through the proxy.
 *
 * @module
 */
import { BlockList, isIP, isIPv4 } from "node:net";
import { SocketError } from "../errors.js";

/** One entry of a bypass list. */
type Rule =
  | { readonly kind: "all" }
  | { readonly kind: "domain"; readonly name: string; readonly port: number | undefined }
  | { readonly kind: "ip"; readonly block: BlockList; readonly port: number | undefined };

/** A parsed bypass list; see {@link parseBypassList}. */
export interface BypassList {
  readonly rules: readonly Rule[];
}

const NAME = /^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/;

/**
 * Parses a bypass list: entries separated by commas or white space (an array is a list of
 * entries). Each entry is one of:
 * - `*`: every target;
 * - a host name, with or without a leading `.` or `*.`: that name and every name under it
 *   (`example.com` matches `example.com` and `www.example.com`, not `badexample.com`);
 * - an IP address (`127.0.0.1`, `::1`, `[::1]`) or a CIDR block (`10.0.0.0/8`, `fd00::/8`):
 *   targets given as an IP literal in it (names are not resolved to be compared);
 * - any of the above but `*` followed by `:port` (`[::1]:8080` for IPv6): only that port.
 *
 * Matching ignores case and a trailing dot. With `strict`, a malformed entry throws;
 * otherwise (an environment variable, as curl does) it is skipped.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for a malformed entry, when `strict`.
 */
export function parseBypassList(list: string | readonly string[], strict: boolean): BypassList {
  const entries = (typeof list === "string" ? [list] : list).flatMap((item) => {
    if (typeof item !== "string") {
      throw new SocketError("ERR_INVALID_ARGUMENT", "noProxy entries must be strings");
    }
    return item.split(/[\s,]+/).filter((entry) => entry !== "");
  });
  const rules: Rule[] = [];
  for (const entry of entries) {
    const rule = parseRule(entry.toLowerCase());
    if (rule !== undefined) rules.push(rule);
    else if (strict) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `bad noProxy entry ${JSON.stringify(entry)}: use *, a host name, an IP, a CIDR block, each with an optional :port`,
      );
    }
  }
  return { rules };
}

function parseRule(entry: string): Rule | undefined {
  if (entry === "*") return { kind: "all" };
  const { text, port } = splitPort(entry);
  if (port === null) return undefined;
  const ip = ipRule(text, port);
  if (ip !== null) return ip;
  const name = text.replace(/^\*?\./, "").replace(/\.$/, "");
  return NAME.test(name) ? { kind: "domain", name, port } : undefined;
}

/** `host:port` / `[v6]:port` / `v6` / `host`; port null when it is malformed. */
function splitPort(entry: string): { text: string; port: number | undefined | null } {
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0) return { text: entry, port: null };
    const rest = entry.slice(close + 1);
    const text = entry.slice(1, close);
    if (rest === "") return { text, port: undefined };
    return { text, port: rest.startsWith(":") ? portOf(rest.slice(1)) : null };
  }
  const colon = entry.lastIndexOf(":");
  // Two colons or more and no brackets: a bare IPv6 address (or block), no port.
  if (colon < 0 || entry.indexOf(":") !== colon) return { text: entry, port: undefined };
  return { text: entry.slice(0, colon), port: portOf(entry.slice(colon + 1)) };
}

function portOf(text: string): number | null {
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port > 0 && port <= 65535 ? port : null;
}

/** An IP or CIDR rule; undefined when the entry is a malformed one; null when it is no IP. */
function ipRule(text: string, port: number | undefined): Rule | undefined | null {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return slash < 0 ? null : undefined;
  const type = family === 4 ? "ipv4" : "ipv6";
  const block = new BlockList();
  if (slash < 0) {
    block.addAddress(address, type);
    return { kind: "ip", block, port };
  }
  const prefix = text.slice(slash + 1);
  const bits = /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : -1;
  if (bits < 0 || bits > (family === 4 ? 32 : 128)) return undefined;
  block.addSubnet(address, bits, type);
  return { kind: "ip", block, port };
}

/** Whether a target `host:port` connects directly, by the list. */
export function bypasses(list: BypassList, host: string, port: number): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  const family = isIP(name);
  for (const rule of list.rules) {
    if (rule.kind === "all") return true;
    if (rule.port !== undefined && rule.port !== port) continue;
    if (rule.kind === "ip") {
      if (family !== 0 && rule.block.check(name, isIPv4(name) ? "ipv4" : "ipv6")) return true;
    } else if (family === 0 && (name === rule.name || name.endsWith(`.${rule.name}`))) {
      return true;
    }
  }
  return false;
}
