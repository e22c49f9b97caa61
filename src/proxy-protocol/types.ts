/**
 * The shapes of a PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text and v2
 * binary), its limits, and its error. Shared by the parser, the encoder, the server that
 * reads headers and the client that sends them.
 *
 * @module
 */
import { SocketError } from "../errors.js";

/** Which header a server requires: only v1, only v2, or either (told apart by the first bytes). */
export type ProxyProtocolMode = "v1" | "v2" | "any";

/**
 * `"PROXY"`: the connection was relayed for a client, whose addresses the header carries.
 * `"LOCAL"` (v2 only): the proxy opened it itself (a health check); the real endpoints apply.
 */
export type ProxyCommand = "PROXY" | "LOCAL";

/**
 * The proxied transport and family. v1 knows `TCP4`, `TCP6` and `UNKNOWN`; v2 adds UDP and
 * Unix-domain sockets. `UNKNOWN` is v1's `UNKNOWN` and v2's `AF_UNSPEC` or `UNSPEC` (no
 * address is given, or none that the receiver may use).
 */
export type ProxyTransport =
  | "TCP4"
  | "TCP6"
  | "UDP4"
  | "UDP6"
  | "UNIX_STREAM"
  | "UNIX_DGRAM"
  | "UNKNOWN";

/**
 * One end of a proxied connection: an IP address and port, or a Unix-domain path (v2
 * `AF_UNIX`: up to 108 bytes; an abstract name starts with `"\0"`).
 */
export type ProxyEndpoint =
  | {
      /** `"IPv4"` or `"IPv6"`. */
      readonly family: "IPv4" | "IPv6";
      /** The IP address. */
      readonly address: string;
      /** The port, 0–65535. */
      readonly port: number;
    }
  | {
      /** `"unix"`: a Unix-domain socket. */
      readonly family: "unix";
      /** The socket's path (an abstract name starts with `"\0"`). */
      readonly path: string;
    };

/** One v2 TLV as it was on the wire: its type (0–255) and value. */
export interface ProxyTlv {
  /** The TLV type, 0–255. */
  readonly type: number;
  /** The TLV value as it was on the wire. */
  readonly value: Buffer;
}

/** The `PP2_TYPE_SSL` TLV (0x20): how the client reached the proxy, when it used TLS. */
export interface ProxySslTlv {
  /** The `client` bit field: `0x01` SSL, `0x02` certificate on this connection, `0x04` in the session. */
  readonly client: number;
  /** `PP2_CLIENT_SSL`: the client connected over TLS. */
  readonly ssl: boolean;
  /** `PP2_CLIENT_CERT_CONN`: the client sent a certificate on this connection. */
  readonly certInConnection: boolean;
  /** `PP2_CLIENT_CERT_SESS`: the client sent a certificate at least once in this TLS session. */
  readonly certInSession: boolean;
  /** The `verify` field: 0 when a client certificate was presented and verified. */
  readonly verify: number;
  /** `PP2_SUBTYPE_SSL_VERSION` (0x21): the TLS version, e.g. `"TLSv1.3"`. */
  readonly version?: string;
  /** `PP2_SUBTYPE_SSL_CN` (0x22): the client certificate's Common Name. */
  readonly cn?: string;
  /** `PP2_SUBTYPE_SSL_CIPHER` (0x23): the cipher, e.g. `"TLS_AES_256_GCM_SHA384"`. */
  readonly cipher?: string;
  /** `PP2_SUBTYPE_SSL_SIG_ALG` (0x24): the proxy certificate's signature algorithm. */
  readonly sigAlg?: string;
  /** `PP2_SUBTYPE_SSL_KEY_ALG` (0x25): the proxy certificate's key algorithm, e.g. `"RSA2048"`. */
  readonly keyAlg?: string;
  /** Every sub-TLV in wire order, those above included. */
  readonly tlvs: readonly ProxyTlv[];
}

/** The v2 TLVs of a header, decoded where the spec registers them (all undefined for v1). */
export interface ProxyTlvs {
  /** `PP2_TYPE_ALPN` (0x01): the protocol the client negotiated, e.g. `"h2"`. */
  readonly alpn?: string;
  /** `PP2_TYPE_AUTHORITY` (0x02): the host name the client asked for (TLS SNI), UTF-8. */
  readonly authority?: string;
  /** `PP2_TYPE_CRC32C` (0x03): the header's checksum, verified by the parser. */
  readonly crc32c?: number;
  /** `PP2_TYPE_UNIQUE_ID` (0x05): the proxy's opaque connection ID (at most 128 bytes). */
  readonly uniqueId?: Buffer;
  /** `PP2_TYPE_SSL` (0x20) with its sub-TLVs. */
  readonly ssl?: ProxySslTlv;
  /** `PP2_TYPE_NETNS` (0x30): the network namespace's name. */
  readonly netns?: string;
  /** Every top-level TLV in wire order, the registered ones, `NOOP` and custom types included. */
  readonly raw: readonly ProxyTlv[];
}

/** A parsed PROXY protocol header. */
export interface ProxyHeader {
  /** 1 (text) or 2 (binary). */
  readonly version: 1 | 2;
  /** `"PROXY"` for a relayed connection, `"LOCAL"` for the proxy's own (v2). */
  readonly command: ProxyCommand;
  /** The proxied transport and family. */
  readonly transport: ProxyTransport;
  /** The original client; undefined for `LOCAL` and `UNKNOWN`. */
  readonly source: ProxyEndpoint | undefined;
  /** The address the client connected to; undefined for `LOCAL` and `UNKNOWN`. */
  readonly destination: ProxyEndpoint | undefined;
  /** The v2 TLVs, decoded (all undefined for v1). */
  readonly tlvs: ProxyTlvs;
}

/** What a server's `info().proxy` reports: the header, and the proxy that sent it. */
export interface ProxyInfo extends ProxyHeader {
  /**
   * The proxy's own address and port (the TCP peer that sent the header); undefined on a
   * Unix-domain listener, whose peers have no address.
   */
  readonly via: ProxyEndpoint | undefined;
}

/** The v2 signature: `\r\n\r\n\0\r\nQUIT\n`. */
export const V2_SIGNATURE: Buffer = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

/** The v1 preamble, `"PROXY "`. */
export const V1_PREFIX: Buffer = Buffer.from("PROXY ", "latin1");

/** The longest v1 line, CRLF included (spec 2.1: `PROXY UNKNOWN` with two IPv6 addresses). */
export const MAX_V1_LENGTH = 107;

/** The fixed part of a v2 header: signature, version and command, family, length. */
export const V2_FIXED_LENGTH = 16;

/** The longest v2 header: the fixed part and a 16-bit length (65,551 bytes). */
export const MAX_V2_LENGTH = V2_FIXED_LENGTH + 0xffff;

/** The longest unique ID a `PP2_TYPE_UNIQUE_ID` TLV may carry (spec 2.2.5). */
export const MAX_UNIQUE_ID_LENGTH = 128;

/** How long a server waits for a connection's header by default: 5000 ms (the spec asks for at least 3 s). */
export const DEFAULT_PROXY_HEADER_TIMEOUT = 5000;

/**
 * Why a header was refused (`ProxyHeaderError.reason`):
 * - `NO_HEADER`: the connection does not start with a PROXY header.
 * - `WRONG_VERSION`: a header of the version the server does not accept.
 * - `TOO_LONG`: a v1 line without CRLF in its first 107 bytes.
 * - `MALFORMED`: a header that breaks the spec (fields, addresses, lengths, TLVs).
 * - `BAD_CHECKSUM`: a `PP2_TYPE_CRC32C` that does not match the header.
 * - `TRUNCATED`: the connection ended before the header was complete.
 */
export type ProxyHeaderReason =
  | "NO_HEADER"
  | "WRONG_VERSION"
  | "TOO_LONG"
  | "MALFORMED"
  | "BAD_CHECKSUM"
  | "TRUNCATED";

/**
 * A PROXY protocol header was refused (`ERR_PROXY_HEADER`, `reason` says why) or did not
 * arrive in time (`ERR_PROXY_HEADER_TIMEOUT`). The connection it came on is closed.
 */
export class ProxyHeaderError extends SocketError {
  override name = "ProxyHeaderError";
  declare readonly code: "ERR_PROXY_HEADER" | "ERR_PROXY_HEADER_TIMEOUT";
  /** Why the header was refused; `"TIMEOUT"` for `ERR_PROXY_HEADER_TIMEOUT`. */
  readonly reason: ProxyHeaderReason | "TIMEOUT";

  constructor(reason: ProxyHeaderReason | "TIMEOUT", message: string, address?: string) {
    const code = reason === "TIMEOUT" ? "ERR_PROXY_HEADER_TIMEOUT" : "ERR_PROXY_HEADER";
    super(code, message, address === undefined ? {} : { address });
    this.reason = reason;
  }
}

/** What {@link parseProxyHeader} answers. */
export type ProxyParseResult =
  /** A complete header: the first `consumed` bytes; what follows is the application's. */
  | {
      /** `"header"`: a complete header. */
      readonly status: "header";
      /** The header. */
      readonly header: ProxyHeader;
      /** The header's length in bytes: what to skip. */
      readonly consumed: number;
    }
  /** The bytes so far are a valid beginning: call again with more. */
  | {
      /** `"more"`: call again with more bytes. */
      readonly status: "more";
    }
  /** The connection must be dropped: `error.code` is `ERR_PROXY_HEADER`, `error.reason` says why. */
  | {
      /** `"error"`: drop the connection. */
      readonly status: "error";
      /** Why (`ERR_PROXY_HEADER`, with `reason`). */
      readonly error: ProxyHeaderError;
    };

/** The answer when the bytes so far are a valid beginning. */
export const MORE: ProxyParseResult = Object.freeze({ status: "more" });

/** @internal A refusal, as the parsers return it. */
export function refuse(reason: ProxyHeaderError["reason"], message: string): ProxyParseResult {
  return { status: "error", error: new ProxyHeaderError(reason, message) };
}
