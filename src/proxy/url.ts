/**
 * Proxy URLs: `socks5://user:pass@host:port`, `socks4a://…`, `socks4://…`, `http://…`,
 * `https://…` (TLS to the proxy, then `CONNECT`), parsed and checked before any I/O.
 *
 * @module
 */
import { formatAddress, parseTarget } from "../address.js";
import { SocketError } from "../errors.js";

/**
 * The proxy protocols sockit speaks. `socks5h` is accepted as another name of `socks5`
 * (curl's name for "the proxy resolves host names", which is sockit's default anyway).
 */
export type ProxyProtocol = "socks5" | "socks4a" | "socks4" | "http" | "https";

/** A parsed proxy URL. */
export interface ProxySpec {
  readonly protocol: ProxyProtocol;
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** The user name (SOCKS5, HTTP) or SOCKS4 user id, percent-decoded. */
  readonly username: string | undefined;
  /** The password (SOCKS5, HTTP), percent-decoded. */
  readonly password: string | undefined;
  /** The URL without credentials, for messages and `ProxyError.proxy`. */
  readonly display: string;
}

/** A port for a URL that gives none: IANA's 1080 for SOCKS, 80 for `http:`, 443 for `https:`. */
const DEFAULT_PORTS: Readonly<Record<ProxyProtocol, number>> = {
  socks5: 1080,
  socks4a: 1080,
  socks4: 1080,
  http: 80,
  https: 443,
};

const PROTOCOLS: Readonly<Record<string, ProxyProtocol>> = {
  "socks5:": "socks5",
  "socks5h:": "socks5",
  "socks4a:": "socks4a",
  "socks4:": "socks4",
  "http:": "http",
  "https:": "https",
};

/** RFC 1929 gives the user name and the password one length byte each. */
const MAX_SOCKS_CREDENTIAL = 255;

function invalid(url: string, why: string): SocketError {
  return new SocketError("ERR_INVALID_ADDRESS", `invalid proxy URL ${redact(url)}: ${why}`);
}

/** The URL as given, with any password masked, for error messages. */
function redact(url: string): string {
  return JSON.stringify(url.replace(/\/\/([^/@]*):([^/@]*)@/, "//$1:***@"));
}

function decode(text: string, url: string, what: string): string | undefined {
  if (text === "") return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid(url, `the ${what} is not valid percent-encoding`);
  }
}

/**
 * Parses a proxy URL. A URL without a port gets 1080 (SOCKS), 80 (`http:`) or 443 (`https:`).
 * @throws SocketError `ERR_INVALID_ADDRESS` for a malformed URL, host or port, a path, query
 * or fragment; `ERR_INVALID_ARGUMENT` for a scheme sockit does not speak, a SOCKS4
 * password, or SOCKS5 credentials over 255 bytes.
 */
export function parseProxyUrl(url: string): ProxySpec {
  if (typeof url !== "string") {
    throw new SocketError("ERR_INVALID_ARGUMENT", `proxy must be a URL string, got ${typeof url}`);
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw invalid(url, "no scheme: write socks5://host:port or http://host:port");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(url, "not a URL (socks5://host:port, http://host:port)");
  }
  const protocol = PROTOCOLS[parsed.protocol];
  if (protocol === undefined) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `unsupported proxy scheme ${JSON.stringify(parsed.protocol)}: use socks5:, socks4a:, socks4:, http: or https:`,
    );
  }
  if ((parsed.pathname !== "" && parsed.pathname !== "/") || parsed.search || parsed.hash) {
    throw invalid(url, "a proxy URL has no path, query or fragment");
  }
  const bracketed = parsed.hostname.startsWith("[") && parsed.hostname.endsWith("]");
  const host = bracketed ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const port = parsed.port === "" ? DEFAULT_PORTS[protocol] : Number(parsed.port);
  if (host === "") throw invalid(url, "no host");
  let endpoint: ReturnType<typeof parseTarget>;
  try {
    endpoint = parseTarget({ host, port });
  } catch (error) {
    throw invalid(url, error instanceof Error ? error.message : String(error));
  }
  if (endpoint.kind !== "tcp") throw invalid(url, "no host");
  const username = decode(parsed.username, url, "user name");
  const password = decode(parsed.password, url, "password");
  checkCredentials(protocol, username, password);
  const display = `${protocol}://${formatAddress(endpoint.host, endpoint.port)}`;
  return { protocol, host: endpoint.host, port: endpoint.port, username, password, display };
}

function checkCredentials(
  protocol: ProxyProtocol,
  username: string | undefined,
  password: string | undefined,
): void {
  if (protocol === "http" || protocol === "https") return;
  if (protocol !== "socks5") {
    if (password !== undefined) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `${protocol} has a user id but no password: drop the password from the proxy URL`,
      );
    }
    return;
  }
  for (const [what, value] of [
    ["user name", username],
    ["password", password],
  ] as const) {
    if (value !== undefined && Buffer.byteLength(value) > MAX_SOCKS_CREDENTIAL) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `a SOCKS5 ${what} is at most ${MAX_SOCKS_CREDENTIAL} bytes (RFC 1929)`,
      );
    }
  }
}
