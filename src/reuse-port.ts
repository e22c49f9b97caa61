/**
 * `listen(target, { reusePort: true })`: several processes bind the same port and the kernel
 * spreads connections among them (`SO_REUSEPORT`). Node's `net` takes the option from
 * v22.12.0 and v23.1.0 on, on Linux 3.9+, FreeBSD 12+, Solaris 11.4 and AIX 7.2.5+ (Node's
 * documentation of `server.listen()`); elsewhere sockit refuses it rather than ignore it.
 *
 * @module
 */
import type { Endpoint } from "./address.js";
import { SocketError } from "./errors.js";

const PLATFORMS: ReadonlySet<string> = new Set(["linux", "freebsd", "sunos", "aix"]);

/**
 * Why `reusePort` cannot work here, or undefined when it can: the Node version (`"22.11.0"`)
 * and platform (`"linux"`) default to the running process's.
 */
export function reusePortUnsupported(
  version: string = process.versions.node,
  platform: string = process.platform,
): string | undefined {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const supported = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  if (!supported) return `Node.js ${version} has no reusePort (it needs 22.12.0, 23.1.0 or later)`;
  if (!PLATFORMS.has(platform)) return `reusePort is not available on ${platform}`;
  return undefined;
}

/**
 * Checks the `reusePort` option of `listen()`.
 * @throws SocketError `ERR_UNSUPPORTED` where Node or the system lacks it, or for a
 * Unix-domain path; `ERR_INVALID_ARGUMENT` for a value that is not a boolean.
 */
export function checkReusePort(reusePort: unknown, local: Endpoint): boolean {
  if (reusePort === undefined || reusePort === false) return false;
  if (reusePort !== true) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `reusePort must be a boolean, got ${String(reusePort)}`,
    );
  }
  if (local.kind === "unix") {
    throw new SocketError(
      "ERR_UNSUPPORTED",
      "reusePort applies to TCP ports, not Unix-domain paths",
    );
  }
  const why = reusePortUnsupported();
  if (why !== undefined) throw new SocketError("ERR_UNSUPPORTED", why);
  return true;
}
