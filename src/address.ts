/**
 * Target strings: the one place where `"host:port"`, `"host:port|name"`, `"[::1]:port"`,
 * `"unix:/path"` and local binds (`":port"`, `"host:port"`) are parsed. Everything malformed
 * is refused with `ERR_INVALID_ADDRESS` before any I/O.
 *
 * @module
 */
import { isIP, isIPv4, isIPv6 } from "node:net";
import { networkInterfaces as osNetworkInterfaces } from "node:os";
import { describeType } from "./arguments.js";
import { SocketError } from "./errors.js";
import { isServiceName, type ServiceProtocol, servicePort } from "./services.js";

/** A TCP endpoint: host name or IP literal (IPv6 without brackets) and port. */
export interface TcpEndpoint {
  /** `"tcp"`: a host and port. */
  readonly kind: "tcp";
  /** Host name, IPv4 literal or IPv6 literal (no brackets). Empty for "any address". */
  readonly host: string;
  /** Port, 0–65535 (0 only for a local bind: the OS picks). */
  readonly port: number;
  /** LiveCode's connection name, the part after `|`, when given. */
  readonly name?: string;
}

/** A Unix-domain socket path. */
export interface UnixEndpoint {
  /** `"unix"`: a Unix-domain socket path. */
  readonly kind: "unix";
  /** The socket file's path. */
  readonly path: string;
  /** Connection name, the part after `|`, when given. */
  readonly name?: string;
}

/** A parsed target: TCP host and port, or a Unix-domain path. */
export type Endpoint = TcpEndpoint | UnixEndpoint;

/**
 * A target as a caller gives it: a string (see {@link parseTarget}) or an object.
 *
 * @example
 * ```ts
 * connect("example.org:7|echo");
 * connect({ host: "::1", port: 7 });
 * connect({ path: "/run/app.sock" });
 * ```
 */
export type TargetInput =
  | string
  | {
      /** Host name, IPv4 literal or IPv6 literal (no brackets). */
      host: string;
      /** Port, 0–65535. */
      port: number;
      /** A connection name (LiveCode's part after `|`). */
      name?: string;
    }
  | {
      /** A Unix-domain socket path. */
      path: string;
      /** A connection name (LiveCode's part after `|`). */
      name?: string;
    };

const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const DIGITS = /^[0-9]{1,5}$/;

function invalid(input: string, why: string): SocketError {
  return new SocketError("ERR_INVALID_ADDRESS", `invalid address ${JSON.stringify(input)}: ${why}`);
}

function parsePort(
  text: string,
  input: string,
  minPort: number,
  protocol: ServiceProtocol = "tcp",
): number {
  // Tcl: a port may be a service name (`localhost:http`), looked up for the protocol.
  if (!DIGITS.test(text) && isServiceName(text)) return servicePort(text, protocol);
  if (!DIGITS.test(text)) throw invalid(input, `port ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  if (port < minPort || port > 65535) {
    throw invalid(input, `port ${port} is out of range ${minPort}-65535`);
  }
  return port;
}

/** Checks a host: an IP literal or a well-formed name. @throws SocketError `ERR_INVALID_ADDRESS`. */
export function checkHost(host: string, input: string): string {
  if (host === "") throw invalid(input, "empty host");
  // An IPv6 literal may carry a zone (fe80::1%eth0); isIPv6 accepts that form.
  if (isIP(host) !== 0) return host;
  if (host.includes(":")) throw invalid(input, "an IPv6 address needs brackets: [::1]:port");
  if (host.length > 253 || !HOSTNAME.test(host)) throw invalid(input, `bad host ${host}`);
  return host;
}

/** Splits `host:port` or `[v6]:port` into its parts; host may be empty (`:port`). */
function splitHostPort(text: string, input: string): { host: string; portText: string } {
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw invalid(input, "missing ]");
    const host = text.slice(1, close);
    if (!isIPv6(host)) throw invalid(input, `${JSON.stringify(host)} is not an IPv6 address`);
    const rest = text.slice(close + 1);
    if (rest === "") throw invalid(input, "missing port");
    if (!rest.startsWith(":")) throw invalid(input, "expected :port after ]");
    return { host, portText: rest.slice(1) };
  }
  if (text.includes("]")) throw invalid(input, "unexpected ]");
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw invalid(input, "missing port (write host:port)");
  const host = text.slice(0, colon);
  if (host.includes(":")) throw invalid(input, "an IPv6 address needs brackets: [::1]:port");
  return { host, portText: text.slice(colon + 1) };
}

function splitName(input: string): { body: string; name?: string } {
  const bar = input.indexOf("|");
  if (bar < 0) return { body: input };
  const name = input.slice(bar + 1);
  if (name === "") throw invalid(input, "empty connection name after |");
  return { body: input.slice(0, bar), name };
}

function unixEndpoint(path: string, input: string, name?: string): UnixEndpoint {
  if (path === "") throw invalid(input, "empty unix socket path");
  if (path.includes("\0")) throw invalid(input, "NUL in unix socket path");
  return name === undefined ? { kind: "unix", path } : { kind: "unix", path, name };
}

/**
 * Parses a connect target. Forms (DESIGN.md "Targets"):
 * - `"host:port"`, `"[v6]:port"`: TCP; port 1–65535 is required. LiveCode's silent default
 *   of port 80 is not followed: explicit beats implicit. The port may be a service name
 *   (`"localhost:http"`, Tcl), looked up for `protocol` (see `servicePort`).
 * - `"host:port|name"`: with a LiveCode connection name.
 * - `"unix:/path"`: a Unix-domain socket.
 *
 * @param protocol Whose service names a named port is looked up in: `"tcp"` (default) or `"udp"`.
 * @throws SocketError `ERR_INVALID_ADDRESS` for anything malformed; `ERR_UNKNOWN_SERVICE`
 * for a port named by a service the services database does not list.
 * @example
 * ```ts
 * parseTarget("[::1]:8080"); // { kind: "tcp", host: "::1", port: 8080 }
 * parseTarget("ftp.example.org:21|sendFiles").name; // "sendFiles"
 * parseTarget("localhost:http"); // { kind: "tcp", host: "localhost", port: 80 }
 * ```
 */
export function parseTarget(target: TargetInput, protocol: ServiceProtocol = "tcp"): Endpoint {
  if (typeof target !== "string") return fromObject(target, 1);
  const { body, name } = splitName(target);
  if (body.startsWith("unix:")) return unixEndpoint(body.slice(5), target, name);
  const { host, portText } = splitHostPort(body, target);
  const port = parsePort(portText, target, 1, protocol);
  const checked = checkHost(host, target);
  return name === undefined
    ? { kind: "tcp", host: checked, port }
    : { kind: "tcp", host: checked, port, name };
}

/**
 * Parses a local address to listen on or bind to: `"port"`, `":port"`, `"host:port"`,
 * `"[v6]:port"` or `"unix:/path"`. Port 0 asks the OS for a free port; a port may also be a
 * service name (`":http"`), looked up for `protocol`. An empty host means every interface
 * (dual-stack IPv6 and IPv4 where the system has both, as Tcl does). The host may be an IP
 * address, a host name or an interface name (`"lo:0"`, CocoaAsyncSocket's `"en1:port"`):
 * `listen()` and the bind resolve it.
 *
 * @param protocol Whose service names a named port is looked up in: `"tcp"` (default) or `"udp"`.
 * @throws SocketError `ERR_INVALID_ADDRESS` for anything malformed; `ERR_UNKNOWN_SERVICE`
 * for an unknown service name.
 * @example
 * ```ts
 * parseLocal(":8080"); // { kind: "tcp", host: "", port: 8080 }: every interface
 * parseLocal("127.0.0.1:0"); // loopback only, a port the OS picks
 * parseLocal("lo:http"); // { kind: "tcp", host: "lo", port: 80 }
 * ```
 */
export function parseLocal(
  local: TargetInput | number,
  protocol: ServiceProtocol = "tcp",
): Endpoint {
  if (typeof local === "number") {
    return { kind: "tcp", host: "", port: parsePort(String(local), String(local), 0) };
  }
  if (typeof local !== "string") return fromObject(local, 0);
  if (local.startsWith("unix:")) return unixEndpoint(local.slice(5), local);
  if (DIGITS.test(local)) return { kind: "tcp", host: "", port: parsePort(local, local, 0) };
  const { host, portText } = splitHostPort(local, local);
  const port = parsePort(portText, local, 0, protocol);
  return { kind: "tcp", host: host === "" ? "" : checkHost(host, local), port };
}

function fromObject(
  target: { host: string; port: number; name?: string } | { path: string; name?: string },
  minPort: number,
): Endpoint {
  if (typeof target !== "object" || target === null || Array.isArray(target)) {
    throw new SocketError(
      "ERR_INVALID_ADDRESS",
      `an address is a string like "host:port" or "unix:/path", or an object; got ${describeType(target)}`,
    );
  }
  const shown = JSON.stringify(target);
  if ("path" in target) {
    if (typeof target.path !== "string") throw invalid(shown, "path must be a string");
    return unixEndpoint(target.path, shown, target.name);
  }
  const { host, port, name } = target;
  if (typeof host !== "string") throw invalid(shown, "host must be a string");
  const checkedPort = parsePort(String(port), shown, minPort);
  const checked = minPort === 0 && host === "" ? "" : checkHost(host, shown);
  return name === undefined
    ? { kind: "tcp", host: checked, port: checkedPort }
    : { kind: "tcp", host: checked, port: checkedPort, name };
}

/**
 * An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2), which a dual-stack
 * socket reports for an IPv4 peer, as the IPv4 address people know (`a.b.c.d`); any other
 * address as it is. sockit reports every address this way (Tcl's server callback and
 * hs.socket's `isIPv4` see IPv4 clients as IPv4).
 *
 * @example
 * ```ts
 * unmapIPv4("::ffff:127.0.0.1"); // "127.0.0.1"
 * unmapIPv4("::1"); // "::1"
 * ```
 */
export function unmapIPv4(address: string): string {
  // Node writes the mapped form of an IPv4 peer as "::ffff:" and the dotted quad.
  if (!address.startsWith("::ffff:") && !address.startsWith("::FFFF:")) return address;
  const v4 = address.slice(7);
  return isIPv4(v4) ? v4 : address;
}

/**
 * Formats a host and port as text, bracketing IPv6 (RFC 3986 host syntax).
 *
 * @example
 * ```ts
 * formatAddress("::1", 80); // "[::1]:80"
 * formatAddress("127.0.0.1", 80); // "127.0.0.1:80"
 * ```
 */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Formats a parsed endpoint as text (the form the CLI and error messages print); the
 * wildcard host prints as `*`.
 *
 * @example
 * ```ts
 * formatEndpoint(parseTarget("unix:/run/app.sock")); // "unix:/run/app.sock"
 * ```
 */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.kind === "unix"
    ? `unix:${endpoint.path}`
    : formatAddress(endpoint.host === "" ? "*" : endpoint.host, endpoint.port);
}

/** One address of a local network interface (Xojo `NetworkInterface`). */
export interface InterfaceAddress {
  /** The interface's name (`lo`, `eth0`). */
  readonly name: string;
  /** The address on it (Xojo `IPAddress`). */
  readonly address: string;
  /** The address family of `address`. */
  readonly family: "IPv4" | "IPv6";
  /** The subnet mask (Xojo `SubnetMask`). */
  readonly netmask: string;
  /** The address with its prefix length (`127.0.0.1/8`), or null when unknown. */
  readonly cidr: string | null;
  /** The hardware address (Xojo `MACAddress`); all zeros for loopback. */
  readonly mac: string;
  /** Whether it is a loopback (or otherwise internal) interface. */
  readonly internal: boolean;
  /** The IPv6 scope (zone) id, for link-local addresses; undefined for IPv4. */
  readonly scopeId: number | undefined;
}

/**
 * Every address of every local network interface, one entry per address (Xojo
 * `System.NetworkInterface(i)`; Node's `os.networkInterfaces()` flattened). Use an address
 * here as `localAddress`, a `multicastInterface`, or a multicast `joinGroup` interface.
 *
 * @example
 * ```ts
 * const loopback = networkInterfaces().find((i) => i.internal && i.family === "IPv4");
 * ```
 */
export function networkInterfaces(): InterfaceAddress[] {
  const list: InterfaceAddress[] = [];
  for (const [name, addresses] of Object.entries(osNetworkInterfaces())) {
    for (const entry of addresses ?? []) {
      list.push({
        name,
        address: entry.address,
        family: entry.family === "IPv6" ? "IPv6" : "IPv4",
        netmask: entry.netmask,
        cidr: entry.cidr,
        mac: entry.mac,
        internal: entry.internal,
        scopeId: entry.family === "IPv6" ? entry.scopeid : undefined,
      });
    }
  }
  return list;
}
