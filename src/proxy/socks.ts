/**
 * SOCKS tunnels through the `socks` package (SOCKS5, RFC 1928, with RFC 1929 user names and
 * passwords; SOCKS4 and SOCKS4a), and the mapping of its failures to coded errors.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIP, type Socket as NetSocket } from "node:net";
import type { SocksClientOptions } from "socks";
import { formatAddress } from "../address.js";
import { toSocketError } from "../errors.js";
import { ProxyError } from "./error.js";
import type { ProxySpec } from "./url.js";

/** The `socks` package's names of SOCKS5 reply codes (RFC 1928 §6). */
const SOCKS5_REPLIES: Readonly<Record<string, number>> = {
  Failure: 1,
  NotAllowed: 2,
  NetworkUnreachable: 3,
  HostUnreachable: 4,
  ConnectionRefused: 5,
  TTLExpired: 6,
  CommandNotSupported: 7,
  AddressNotSupported: 8,
};

/** The `socks` package's names of SOCKS4 reply codes. */
const SOCKS4_REPLIES: Readonly<Record<string, number>> = {
  Failed: 91,
  Rejected: 92,
  RejectedIdent: 93,
};

/** What each SOCKS reply code means, for messages. */
const REPLY_TEXT: Readonly<Record<number, string>> = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
  91: "request rejected or failed",
  92: "rejected: the proxy cannot reach the client's identd",
  93: "rejected: identd reports a different user id",
};

/** Well beyond any `proxyTimeout`: sockit's own deadline bounds the handshake. */
const SOCKS_PACKAGE_TIMEOUT = 2 ** 31 - 1;

/**
 * Opens a SOCKS tunnel to `host:port` over `raw`, already connected to the proxy. SOCKS5 and
 * SOCKS4a send the host name for the proxy to resolve (remote DNS); SOCKS4 can carry only an
 * IPv4 address, so the name is resolved here first. Resolves with `raw` paused, the target's
 * first bytes (if any came with the reply) put back into it.
 * @throws (rejects) {@link ProxyError}: `ERR_PROXY_AUTH` (credentials refused, or the proxy
 * accepts none of the methods offered), `ERR_PROXY_REFUSED` (`socksReply` set),
 * `ERR_PROXY_RESPONSE` (not a SOCKS reply, or closed mid-handshake), or the socket's error;
 * for SOCKS4, the local lookup's error (`ENOTFOUND`, …).
 */
export async function socksConnect(
  raw: NetSocket,
  spec: ProxySpec,
  host: string,
  port: number,
): Promise<void> {
  // Loaded at the first SOCKS connection: importing `socks` (and `ip-address`) takes
  // ≈ 60 ms, a third of sockit's import time, which a program without SOCKS should not pay.
  const { SocksClient } = await import("socks");
  const destination = spec.protocol === "socks4" ? await ipv4Of(host, spec) : host;
  let socketError: Error | undefined;
  const onError = (error: Error): void => {
    socketError ??= error;
  };
  raw.on("error", onError);
  const options: SocksClientOptions = {
    command: "connect",
    destination: { host: destination, port },
    proxy: {
      host: spec.host,
      port: spec.port,
      type: spec.protocol === "socks5" ? 5 : 4,
      ...(spec.username === undefined ? {} : { userId: spec.username }),
      ...(spec.password === undefined ? {} : { password: spec.password }),
    },
    timeout: SOCKS_PACKAGE_TIMEOUT,
    existing_socket: raw,
  };
  try {
    await SocksClient.createConnection(options);
  } catch (error) {
    throw socksError(error, socketError, spec, formatAddress(host, port));
  } finally {
    raw.off("error", onError);
  }
  await takeOverflow(raw);
}

/**
 * The `socks` package hands bytes that came with the reply back by emitting `'data'` on the
 * next turn of the event loop, then resumes the socket. Catch them, and leave the socket
 * paused with them unread, so its new owner reads them first.
 */
function takeOverflow(raw: NetSocket): Promise<void> {
  const early: Buffer[] = [];
  const collect = (chunk: Buffer): void => {
    early.push(chunk);
  };
  raw.on("data", collect);
  return new Promise<void>((resolve) => {
    setImmediate(() => {
      raw.pause();
      raw.off("data", collect);
      if (early.length > 0) raw.unshift(Buffer.concat(early));
      resolve();
    });
  });
}

async function ipv4Of(host: string, spec: ProxySpec): Promise<string> {
  if (isIP(host) === 4) return host;
  if (isIP(host) === 6) {
    throw new ProxyError(
      "ERR_INVALID_ARGUMENT",
      `socks4 cannot reach an IPv6 address (${host}): use socks5`,
      {
        proxy: spec.display,
      },
    );
  }
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch (error) {
    throw toSocketError(error, host);
  }
}

/** The coded error for what the `socks` package reported. */
function socksError(
  error: unknown,
  socketError: Error | undefined,
  spec: ProxySpec,
  target: string,
): ProxyError {
  const proxy = spec.display;
  const address = formatAddress(spec.host, spec.port);
  if (socketError !== undefined) {
    const system = toSocketError(socketError, address);
    return new ProxyError(system.code, `proxy ${proxy}: ${socketError.message}`, {
      proxy,
      address,
      cause: socketError,
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  const details = { proxy, address, cause: error };
  return refusalError(text, spec, target, details) ?? handshakeError(text, spec, details);
}

/** What every error of {@link socksError} carries. */
interface FailureDetails {
  proxy: string;
  address: string;
  cause: unknown;
}

/**
 * `ERR_PROXY_REFUSED` with the SOCKS reply code, when the `socks` package's message names a
 * reply code the proxy refused the tunnel with; else `undefined`.
 */
function refusalError(
  text: string,
  spec: ProxySpec,
  target: string,
  details: FailureDetails,
): ProxyError | undefined {
  const rejected = /rejected connection - \(?(\w+)\)?/.exec(text);
  if (rejected === null) return undefined;
  const replies = spec.protocol === "socks5" ? SOCKS5_REPLIES : SOCKS4_REPLIES;
  const socksReply = replies[rejected[1] ?? ""];
  if (socksReply === undefined) return undefined;
  const why = REPLY_TEXT[socksReply] ?? "refused";
  const message = `proxy ${spec.display} refused the tunnel to ${target}: ${why} (SOCKS reply ${socksReply})`;
  return new ProxyError("ERR_PROXY_REFUSED", message, { ...details, socksReply });
}

/**
 * The error for a handshake that failed otherwise: credentials refused or no method accepted
 * (`ERR_PROXY_AUTH`), the proxy closed the connection or sent a bad reply
 * (`ERR_PROXY_RESPONSE`).
 */
function handshakeError(text: string, spec: ProxySpec, details: FailureDetails): ProxyError {
  const proxy = spec.display;
  if (/Authentication failed/i.test(text)) {
    return new ProxyError(
      "ERR_PROXY_AUTH",
      `proxy ${proxy} refused the user name and password`,
      details,
    );
  }
  if (/no accepted authentication type/i.test(text)) {
    const offered =
      spec.username === undefined && spec.password === undefined
        ? "no authentication"
        : "no authentication or a user name and password";
    return new ProxyError(
      "ERR_PROXY_AUTH",
      `proxy ${proxy} accepts none of the methods offered (${offered})`,
      details,
    );
  }
  if (/Socket closed/i.test(text)) {
    return new ProxyError(
      "ERR_PROXY_RESPONSE",
      `proxy ${proxy} closed the connection during the SOCKS handshake`,
      details,
    );
  }
  return new ProxyError(
    "ERR_PROXY_RESPONSE",
    `proxy ${proxy} sent a bad SOCKS reply: ${text}`,
    details,
  );
}
