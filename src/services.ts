/**
 * Service names for ports (Tcl's `socket localhost http`, `getservbyname`): the system's
 * services database (`/etc/services`), read once, with a small built-in table where that
 * file is absent (Windows, minimal containers). The protocol column is respected: a name
 * listed only for UDP is no TCP port.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { SocketError } from "./errors.js";

/** The transport protocol a service name is looked up for (the services file's column). */
export type ServiceProtocol = "tcp" | "udp";

/**
 * A service name: a letter, then letters, digits and `-._+` (RFC 6335 §5.1 lets a name start
 * with a digit; a port such as `8o` is then a typo of a number, not a name: refused as one).
 */
const SERVICE_NAME = /^[A-Za-z][A-Za-z0-9._+-]*$/;

/** Where the system keeps its services database on Unix-like systems. */
const SYSTEM_SERVICES = "/etc/services";

/**
 * Used where the services file is absent: the well-known ports people name, as IANA (and
 * every `/etc/services`) lists them. `[name, port, protocols, aliases]`.
 */
const BUILT_IN: readonly (readonly [string, number, "tcp" | "udp" | "both", ...string[]])[] = [
  ["echo", 7, "both"],
  ["discard", 9, "both"],
  ["daytime", 13, "both"],
  ["qotd", 17, "tcp"],
  ["chargen", 19, "both"],
  ["ftp-data", 20, "tcp"],
  ["ftp", 21, "tcp"],
  ["ssh", 22, "tcp"],
  ["telnet", 23, "tcp"],
  ["smtp", 25, "tcp", "mail"],
  ["time", 37, "both"],
  ["whois", 43, "tcp", "nicname"],
  ["domain", 53, "both"],
  ["bootps", 67, "udp"],
  ["bootpc", 68, "udp"],
  ["tftp", 69, "udp"],
  ["gopher", 70, "tcp"],
  ["finger", 79, "tcp"],
  ["http", 80, "tcp", "www"],
  ["kerberos", 88, "both"],
  ["pop3", 110, "tcp", "pop-3"],
  ["sunrpc", 111, "both", "portmapper"],
  ["auth", 113, "tcp", "ident"],
  ["nntp", 119, "tcp"],
  ["ntp", 123, "udp"],
  ["imap2", 143, "tcp", "imap"],
  ["snmp", 161, "udp"],
  ["snmp-trap", 162, "udp"],
  ["irc", 194, "tcp"],
  ["ldap", 389, "tcp"],
  ["https", 443, "tcp"],
  ["submissions", 465, "tcp", "ssmtp", "smtps"],
  ["shell", 514, "tcp", "cmd"],
  ["syslog", 514, "udp"],
  ["submission", 587, "tcp"],
  ["ldaps", 636, "tcp"],
  ["rsync", 873, "tcp"],
  ["imaps", 993, "tcp"],
  ["pop3s", 995, "tcp"],
  ["socks", 1080, "tcp"],
  ["openvpn", 1194, "both"],
  ["mysql", 3306, "tcp"],
  ["postgresql", 5432, "tcp", "postgres"],
  ["http-alt", 8080, "tcp", "webcache"],
];

/** name → port, one table per protocol. */
interface ServiceTable {
  readonly tcp: Map<string, number>;
  readonly udp: Map<string, number>;
  /** Where the table came from, for messages: a file's path, or "the built-in table". */
  readonly source: string;
}

let file: string = SYSTEM_SERVICES;
let table: ServiceTable | undefined;

/**
 * @internal Points the lookup at another services file (a test's), or back at the system's
 * with `undefined`; the next lookup reads it.
 */
export function useServicesFile(path: string | undefined): void {
  file = path ?? SYSTEM_SERVICES;
  table = undefined;
}

/** The first port listed for a name wins, as `getservbyname` returns the first entry. */
function add(map: Map<string, number>, names: readonly string[], port: number): void {
  for (const name of names) if (!map.has(name)) map.set(name, port);
}

/** Parses a services file: `name port/protocol [aliases…] [# comment]` per line. */
export function parseServices(text: string, source: string): ServiceTable {
  const parsed: ServiceTable = { tcp: new Map(), udp: new Map(), source };
  for (const line of text.split("\n")) {
    const fields = (line.split("#")[0] ?? "").trim().split(/\s+/);
    const [name, where, ...aliases] = fields;
    const match = /^(\d{1,5})\/(tcp|udp)$/.exec(where ?? "");
    if (name === undefined || name === "" || match === null) continue;
    const port = Number(match[1]);
    if (port > 65535) continue;
    add(match[2] === "tcp" ? parsed.tcp : parsed.udp, [name, ...aliases], port);
  }
  return parsed;
}

function builtIn(): ServiceTable {
  const built: ServiceTable = { tcp: new Map(), udp: new Map(), source: "the built-in table" };
  for (const [name, port, protocols, ...aliases] of BUILT_IN) {
    if (protocols !== "udp") add(built.tcp, [name, ...aliases], port);
    if (protocols !== "tcp") add(built.udp, [name, ...aliases], port);
  }
  return built;
}

/** The table in force: the services file read once, or the built-in one where it is absent. */
function services(): ServiceTable {
  if (table !== undefined) return table;
  let text: string | undefined;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    text = undefined; // absent or unreadable: the built-in table stands in
  }
  table = text === undefined ? builtIn() : parseServices(text, file);
  return table;
}

/** Whether `text` has the shape of a service name (not a number). */
export function isServiceName(text: string): boolean {
  return SERVICE_NAME.test(text);
}

/**
 * The port of a service name (Tcl's `socket host http`; C's `getservbyname`), from the
 * system's services database (`/etc/services`, read once per process) or, where that file
 * is absent, a built-in table of well-known services (`echo`, `daytime`, `ftp`, `ssh`,
 * `telnet`, `smtp`, `domain`, `http`, `pop3`, `imap`, `https`, …). Names are
 * case-sensitive, aliases count (`www` is `http`), and the protocol column is respected:
 * `syslog` is 514 for UDP only. A string of digits is a port already and is returned as
 * it is. Target strings (`"localhost:http"`) use this lookup.
 *
 * @param protocol `"tcp"` (the default) or `"udp"`.
 * @throws SocketError `ERR_UNKNOWN_SERVICE` for a name the database does not list for that
 * protocol; `ERR_INVALID_ADDRESS` for text that is neither a port nor a service name.
 * @example
 * ```ts
 * servicePort("http"); // 80
 * servicePort("domain", "udp"); // 53
 * connect("localhost:http"); // the same as "localhost:80"
 * ```
 */
export function servicePort(name: string, protocol: ServiceProtocol = "tcp"): number {
  if (typeof name === "string" && /^\d{1,5}$/.test(name) && Number(name) <= 65535) {
    return Number(name);
  }
  if (protocol !== "tcp" && protocol !== "udp") {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `protocol must be "tcp" or "udp", got ${String(protocol)}`,
    );
  }
  if (typeof name !== "string" || !isServiceName(name)) {
    throw new SocketError(
      "ERR_INVALID_ADDRESS",
      `${JSON.stringify(name)} is neither a port number nor a service name`,
    );
  }
  const found = services();
  const port = found[protocol].get(name);
  if (port === undefined) {
    throw new SocketError(
      "ERR_UNKNOWN_SERVICE",
      `unknown ${protocol} service ${JSON.stringify(name)} (not in ${found.source})`,
    );
  }
  return port;
}
