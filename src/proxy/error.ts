/**
 * `ProxyError`: a connection through a proxy failed at the proxy hop.
 *
 * @module
 */
import { SocketError, type SocketErrorCode, type SocketErrorDetails } from "../errors.js";

/** Where a proxy failure came from, beyond {@link SocketErrorDetails}. */
export interface ProxyErrorDetails extends SocketErrorDetails {
  /** The proxy's URL without credentials (`socks5://127.0.0.1:1080`). */
  proxy: string;
  /** The status code of the proxy's reply to `CONNECT`. */
  status?: number;
  /** The reply code of a SOCKS proxy (SOCKS5: RFC 1928 §6, 1–8; SOCKS4: 91–93). */
  socksReply?: number;
}

/**
 * A connection through a proxy failed before the tunnel was up: the proxy could not be
 * reached (`ECONNREFUSED`, `ENOTFOUND`, … as Node reports them, `address` being the
 * proxy's), refused the credentials (`ERR_PROXY_AUTH`), would not open the tunnel
 * (`ERR_PROXY_REFUSED`, with `status` or `socksReply`), answered nonsense
 * (`ERR_PROXY_RESPONSE`) or too late (`ERR_PROXY_TIMEOUT`). Errors after the tunnel is up
 * (a TLS certificate of the final host, say) are not `ProxyError`s: they concern the target.
 *
 * @example
 * ```ts
 * const socket = connect("example.org:443", { proxy: "http://proxy:3128", tls: true });
 * try {
 *   await socket.opened;
 * } catch (error) {
 *   if (error instanceof ProxyError && error.code === "ERR_PROXY_REFUSED") console.log(error.status);
 * }
 * ```
 */
export class ProxyError extends SocketError {
  override name = "ProxyError";
  /** The proxy's URL without credentials (`http://127.0.0.1:3128`). */
  readonly proxy: string;
  /** The status code of the proxy's reply to `CONNECT` (403, 407, 502, …), when it sent one. */
  readonly status: number | undefined;
  /**
   * The SOCKS reply code, when a SOCKS proxy refused: SOCKS5 (RFC 1928 §6) 1 general failure,
   * 2 not allowed by the ruleset, 3 network unreachable, 4 host unreachable, 5 connection
   * refused, 6 TTL expired, 7 command not supported, 8 address type not supported; SOCKS4
   * 91 rejected or failed, 92 and 93 identd failures.
   */
  readonly socksReply: number | undefined;

  constructor(code: SocketErrorCode, message: string, details: ProxyErrorDetails) {
    super(code, message, details);
    this.proxy = details.proxy;
    this.status = details.status;
    this.socksReply = details.socksReply;
  }
}
