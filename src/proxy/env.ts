/**
 * Which proxy a connection goes through, if any: the `proxy` option, or the usual
 * environment variables when asked for (`proxy: "env"`), less the bypass list.
 *
 * @module
 */
import type { Endpoint } from "../address.js";
import { SocketError } from "../errors.js";
import type { TlsClientOptions } from "../tls.js";
import { bypasses, parseBypassList } from "./bypass.js";
import { type ProxySpec, parseProxyUrl } from "./url.js";

/** The proxy options of `connect()`. */
export interface ProxyOptions {
  /**
   * Connect through a proxy: `"socks5://user:pass@host:port"`, `"socks4a://host:port"`,
   * `"socks4://userid@host:port"`, `"http://user:pass@host:port"` (HTTP `CONNECT`),
   * `"https://user:pass@host:port"` (TLS to the proxy, verified, then `CONNECT`), or
   * `"env"` to take the proxy from the environment (`HTTPS_PROXY` or `HTTP_PROXY` for a TLS or plain target, then `ALL_PROXY`, skipping hosts in `NO_PROXY`). Credentials
   * in the URL are percent-decoded.
   */
  proxy?: string;
  /**
   * Targets that connect directly, in `NO_PROXY` syntax: `*`, host names (matching their
   * subdomains too), IP addresses and CIDR blocks, each with an optional `:port`.
   * @default the `NO_PROXY` (or `no_proxy`) variable with `proxy: "env"`, otherwise none
   */
  noProxy?: string | readonly string[];
  /**
   * Milliseconds from the start of the connection to the proxy until the tunnel is open,
   * then `ERR_PROXY_TIMEOUT`. `0`: none (`connectTimeout` still bounds the whole set-up).
   * @default 30000
   */
  proxyTimeout?: number;
  /**
   * TLS options for the connection to an `https://` proxy (`ca`, `verifyHost`, a client
   * certificate, …; see {@link TlsClientOptions}): the proxy's certificate is verified
   * against its host name by default. The target's own TLS is the `tls` option. Refused
   * (`ERR_INVALID_ARGUMENT`) when the proxy in use is not `https://`.
   * @default {} (verified with the system's CAs)
   */
  proxyTls?: TlsClientOptions;
}

/** The default of `proxyTimeout`: 30 seconds (the `socks` package's own default). */
export const DEFAULT_PROXY_TIMEOUT = 30_000;

/** An environment: `process.env` or a test's own. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The variable's value, lower-case name first (curl's order), ignoring empty values. */
function variable(env: Environment, name: string): { name: string; value: string } | undefined {
  for (const candidate of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[candidate]?.trim();
    if (value !== undefined && value !== "") return { name: candidate, value };
  }
  return undefined;
}

/**
 * The proxy the environment names for a connection: `HTTPS_PROXY` for a TLS connection and
 * `HTTP_PROXY` for a plain one, else `ALL_PROXY`; each read lower-case first, then
 * upper-case. A value without a scheme is taken as `http://`. Also `NO_PROXY`.
 */
export function proxyFromEnv(
  env: Environment,
  secure: boolean,
): { url: string | undefined; source: string | undefined; noProxy: string | undefined } {
  const found = variable(env, secure ? "https_proxy" : "http_proxy") ?? variable(env, "all_proxy");
  const noProxy = variable(env, "no_proxy")?.value;
  if (found === undefined) return { url: undefined, source: undefined, noProxy };
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(found.value) ? found.value : `http://${found.value}`;
  return { url, source: found.name, noProxy };
}

/**
 * The proxy for a connection to `endpoint`, or undefined to connect directly. Called by
 * `connect()` before any I/O, so a bad proxy URL or bypass list throws there.
 * @throws SocketError `ERR_INVALID_ADDRESS` for a malformed proxy URL (one from the
 * environment included, naming the variable), `ERR_INVALID_ARGUMENT` for an unsupported
 * scheme, a malformed `noProxy`, or a Unix-domain target with an explicit proxy.
 */
export function proxyRoute(
  options: ProxyOptions,
  endpoint: Endpoint,
  secure: boolean,
  env: Environment = process.env,
): ProxySpec | undefined {
  const { proxy } = options;
  if (proxy === undefined) return undefined;
  if (typeof proxy !== "string") {
    throw new SocketError("ERR_INVALID_ARGUMENT", 'proxy must be a URL string or "env"');
  }
  const fromEnv = proxy === "env" ? proxyFromEnv(env, secure) : undefined;
  const url = fromEnv === undefined ? proxy : fromEnv.url;
  const list =
    options.noProxy === undefined
      ? fromEnv?.noProxy === undefined
        ? undefined
        : parseBypassList(fromEnv.noProxy, false)
      : parseBypassList(options.noProxy, true);
  if (url === undefined) return undefined;
  let spec: ProxySpec;
  try {
    spec = parseProxyUrl(url);
  } catch (error) {
    if (fromEnv?.source === undefined || !(error instanceof SocketError)) throw error;
    throw new SocketError(error.code, `${error.message} (from $${fromEnv.source})`);
  }
  if (endpoint.kind === "unix") {
    if (fromEnv !== undefined) return undefined; // local by nature: the environment never applies
    throw new SocketError("ERR_INVALID_ARGUMENT", "a Unix-domain target cannot go through a proxy");
  }
  if (list !== undefined && bypasses(list, endpoint.host, endpoint.port)) return undefined;
  return spec;
}
