/**
 * The PROXY protocol encoder (HAProxy's proxy-protocol.txt): pure, no I/O. `connect(target,
 * { proxyHeader })` sends what it makes, and the tests build their headers with it.
 *
 * @module
 */
import { SocketError } from "../errors.js";
import { crc32c } from "./crc32c.js";
import { ipv4Bytes, ipv6Bytes, isCanonicalIPv4, isPlainIPv6, normalizeIPv6 } from "./ip.js";
import { PP2_TYPE, zeroChecksum } from "./parse-v2.js";
import {
  MAX_UNIQUE_ID_LENGTH,
  MAX_V1_LENGTH,
  type ProxyCommand,
  type ProxyTransport,
  V2_FIXED_LENGTH,
  V2_SIGNATURE,
} from "./types.js";

/** One end of the proxied connection: an IP address (v4 or v6) and port, or a Unix path. */
export type ProxyEndpointInit =
  | {
      /** An IPv4 or IPv6 address (no brackets). */
      address: string;
      /** Its port, 0–65535. */
      port: number;
    }
  | {
      /** A Unix-domain path, at most 108 bytes. */
      path: string;
    };

/** The v2 `PP2_TYPE_SSL` TLV to send. */
export interface ProxySslTlvInit {
  /** The `client` bit field (`0x01` SSL, `0x02` certificate on the connection, `0x04` in the session). @default 0x01 */
  client?: number;
  /** 0 when a client certificate was presented and verified, non-zero otherwise. @default 1 */
  verify?: number;
  /** `PP2_SUBTYPE_SSL_VERSION`: the TLS version, e.g. `"TLSv1.3"`. */
  version?: string;
  /** `PP2_SUBTYPE_SSL_CN`: the client certificate's Common Name. */
  cn?: string;
  /** `PP2_SUBTYPE_SSL_CIPHER`: the cipher, e.g. `"TLS_AES_256_GCM_SHA384"`. */
  cipher?: string;
  /** `PP2_SUBTYPE_SSL_SIG_ALG`: the proxy certificate's signature algorithm. */
  sigAlg?: string;
  /** `PP2_SUBTYPE_SSL_KEY_ALG`: the proxy certificate's key algorithm, e.g. `"RSA2048"`. */
  keyAlg?: string;
}

/** The v2 TLVs to send (v1 has none). */
export interface ProxyTlvsInit {
  /** `PP2_TYPE_ALPN`: the protocol the client negotiated, e.g. `"h2"`. */
  alpn?: string;
  /** `PP2_TYPE_AUTHORITY`: the host name the client asked for (TLS SNI). */
  authority?: string;
  /** At most 128 bytes; text is UTF-8. */
  uniqueId?: string | Uint8Array;
  /** `PP2_TYPE_SSL`: how the client reached the proxy over TLS. */
  ssl?: ProxySslTlvInit;
  /** `PP2_TYPE_NETNS`: the network namespace's name. */
  netns?: string;
  /** Add a `PP2_TYPE_CRC32C` TLV with the header's checksum. @default false */
  crc32c?: boolean;
  /** Other TLVs (custom types 0xE0–0xEF, `NOOP` padding), sent after the ones above. */
  extra?: readonly {
    /** The TLV type, 0–255. */
    type: number;
    /** The TLV value, at most 65,535 bytes. */
    value: Uint8Array;
  }[];
}

/**
 * A PROXY header to send.
 * - `version`: 1 (text) or 2 (binary).
 * - `command`: `"PROXY"` (default) or, v2 only, `"LOCAL"` (no addresses: a health check).
 * - `source` and `destination`: the original client and the address it connected to, both
 *   of one family. Without them a v1 header is `PROXY UNKNOWN` and a v2 one `UNSPEC`.
 * - `transport`: inferred (`TCP4`, `TCP6`, `UNIX_STREAM`); give it for v2's `UDP4`,
 *   `UDP6` or `UNIX_DGRAM`.
 * - `tlvs`: v2 only.
 */
export interface ProxyHeaderInit {
  /** 1 (text) or 2 (binary). */
  version: 1 | 2;
  /** `"PROXY"` or, v2 only, `"LOCAL"`. @default "PROXY" */
  command?: ProxyCommand;
  /** The transport to announce; inferred from the endpoints when absent. */
  transport?: ProxyTransport;
  /** The original client. */
  source?: ProxyEndpointInit;
  /** The address the client connected to. */
  destination?: ProxyEndpointInit;
  /** v2 TLVs to send. */
  tlvs?: ProxyTlvsInit;
}

function invalid(message: string): SocketError {
  return new SocketError("ERR_INVALID_ARGUMENT", `proxyHeader: ${message}`);
}

type Family = "IPv4" | "IPv6" | "unix";

function familyOf(endpoint: ProxyEndpointInit, which: string): Family {
  if ("path" in endpoint) {
    if (Buffer.byteLength(endpoint.path) > 108) throw invalid(`${which} path is over 108 bytes`);
    return "unix";
  }
  const { address, port } = endpoint;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid(`${which} port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (isCanonicalIPv4(address)) return "IPv4";
  if (isPlainIPv6(address)) return "IPv6";
  throw invalid(`${which} address ${JSON.stringify(address)} is not an IPv4 or IPv6 address`);
}

/** The transport a header announces, checked against its endpoints. */
function transportOf(init: ProxyHeaderInit): ProxyTransport {
  const { source, destination } = init;
  if (source === undefined && destination === undefined) {
    if (init.transport !== undefined && init.transport !== "UNKNOWN") {
      throw invalid(`transport ${init.transport} needs a source and a destination`);
    }
    return "UNKNOWN";
  }
  if (source === undefined || destination === undefined) {
    throw invalid("give both source and destination, or neither");
  }
  const family = familyOf(source, "source");
  if (familyOf(destination, "destination") !== family) {
    throw invalid("source and destination must be of one family");
  }
  const allowed: Record<Family, readonly ProxyTransport[]> = {
    IPv4: ["TCP4", "UDP4"],
    IPv6: ["TCP6", "UDP6"],
    unix: ["UNIX_STREAM", "UNIX_DGRAM"],
  };
  const transport = init.transport ?? allowed[family][0]!;
  if (!allowed[family].includes(transport)) {
    throw invalid(`transport ${transport} does not fit ${family} addresses`);
  }
  return transport;
}

/**
 * Encodes a PROXY header.
 * @throws SocketError `ERR_INVALID_ARGUMENT`: a bad address or port, mixed families, a v1
 * header with TLVs, `LOCAL`, UDP or Unix addresses, a unique ID over 128 bytes, a v2 header
 * over 65,551 bytes.
 * @example
 * ```ts
 * encodeProxyHeader({
 *   version: 1,
 *   source: { address: "192.0.2.1", port: 56324 },
 *   destination: { address: "198.51.100.1", port: 443 },
 * }).toString(); // "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n"
 * ```
 */
export function encodeProxyHeader(init: ProxyHeaderInit): Buffer {
  if (typeof init !== "object" || init === null) throw invalid("must be an object");
  if (init.version !== 1 && init.version !== 2) {
    throw invalid(`version must be 1 or 2, got ${String(init.version)}`);
  }
  const command = init.command ?? "PROXY";
  if (command !== "PROXY" && command !== "LOCAL")
    throw invalid(`unknown command ${String(command)}`);
  return init.version === 1 ? encodeV1(init, command) : encodeV2(init, command);
}

function encodeV1(init: ProxyHeaderInit, command: ProxyCommand): Buffer {
  if (command === "LOCAL") throw invalid("v1 has no LOCAL command (send PROXY UNKNOWN)");
  if (init.tlvs !== undefined) throw invalid("v1 headers carry no TLVs");
  const transport = transportOf(init);
  if (transport === "UNKNOWN") return Buffer.from("PROXY UNKNOWN\r\n", "latin1");
  if (transport !== "TCP4" && transport !== "TCP6") throw invalid(`v1 cannot carry ${transport}`);
  const source = init.source as { address: string; port: number };
  const destination = init.destination as { address: string; port: number };
  const text = (address: string): string =>
    transport === "TCP6" ? normalizeIPv6(address) : address;
  const line = `PROXY ${transport} ${text(source.address)} ${text(destination.address)} ${source.port} ${destination.port}\r\n`;
  if (line.length > MAX_V1_LENGTH) throw invalid(`the v1 line is over ${MAX_V1_LENGTH} bytes`);
  return Buffer.from(line, "latin1");
}

const FAMILY_BYTE: Record<ProxyTransport, number> = {
  UNKNOWN: 0x00,
  TCP4: 0x11,
  UDP4: 0x12,
  TCP6: 0x21,
  UDP6: 0x22,
  UNIX_STREAM: 0x31,
  UNIX_DGRAM: 0x32,
};

function encodeV2(init: ProxyHeaderInit, command: ProxyCommand): Buffer {
  const transport = command === "LOCAL" ? checkLocal(init) : transportOf(init);
  const addresses = v2Addresses(init, transport);
  const tlvs = init.tlvs === undefined ? [] : v2Tlvs(init.tlvs);
  const length = addresses.length + tlvs.reduce((sum, tlv) => sum + tlv.length, 0);
  if (length > 0xffff)
    throw invalid(`the v2 header is ${V2_FIXED_LENGTH + length} bytes, over 65551`);
  const fixed = Buffer.alloc(V2_FIXED_LENGTH);
  V2_SIGNATURE.copy(fixed);
  fixed[12] = 0x20 | (command === "LOCAL" ? 0 : 1);
  fixed[13] = FAMILY_BYTE[transport];
  fixed.writeUInt16BE(length, 14);
  const header = Buffer.concat([fixed, addresses, ...tlvs]);
  const at = init.tlvs?.crc32c === true ? zeroChecksum(header) : undefined;
  if (at !== undefined) header.writeUInt32BE(crc32c(header), at);
  return header;
}

function checkLocal(init: ProxyHeaderInit): ProxyTransport {
  if (init.source !== undefined || init.destination !== undefined || init.transport !== undefined) {
    throw invalid("a LOCAL header carries no addresses");
  }
  return "UNKNOWN";
}

function v2Addresses(init: ProxyHeaderInit, transport: ProxyTransport): Buffer {
  if (transport === "UNKNOWN") return Buffer.alloc(0);
  const source = init.source!;
  const destination = init.destination!;
  if ("path" in source && "path" in destination) {
    const block = Buffer.alloc(216);
    block.write(source.path, 0, "utf8");
    block.write(destination.path, 108, "utf8");
    return block;
  }
  const s = source as { address: string; port: number };
  const d = destination as { address: string; port: number };
  const bytes = transport === "TCP4" || transport === "UDP4" ? ipv4Bytes : ipv6Bytes;
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(s.port, 0);
  ports.writeUInt16BE(d.port, 2);
  return Buffer.concat([bytes(s.address), bytes(d.address), ports]);
}

function tlv(type: number, value: Uint8Array): Buffer {
  if (!Number.isInteger(type) || type < 0 || type > 255)
    throw invalid(`TLV type ${type} is not a byte`);
  if (value.length > 0xffff - 3) throw invalid(`TLV 0x${type.toString(16)} is too long`);
  const head = Buffer.alloc(3);
  head[0] = type;
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

function v2Tlvs(init: ProxyTlvsInit): Buffer[] {
  const list: Buffer[] = [];
  const text = (type: number, value: string | undefined, encoding: BufferEncoding): void => {
    if (value !== undefined) list.push(tlv(type, Buffer.from(value, encoding)));
  };
  text(PP2_TYPE.ALPN, init.alpn, "latin1");
  text(PP2_TYPE.AUTHORITY, init.authority, "utf8");
  if (init.uniqueId !== undefined) {
    const id = typeof init.uniqueId === "string" ? Buffer.from(init.uniqueId) : init.uniqueId;
    if (id.length > MAX_UNIQUE_ID_LENGTH) {
      throw invalid(`uniqueId is ${id.length} bytes, over ${MAX_UNIQUE_ID_LENGTH}`);
    }
    list.push(tlv(PP2_TYPE.UNIQUE_ID, id));
  }
  if (init.ssl !== undefined) list.push(tlv(PP2_TYPE.SSL, sslValue(init.ssl)));
  text(PP2_TYPE.NETNS, init.netns, "latin1");
  for (const extra of init.extra ?? []) list.push(tlv(extra.type, extra.value));
  if (init.crc32c === true) list.push(tlv(PP2_TYPE.CRC32C, Buffer.alloc(4)));
  return list;
}

function sslValue(ssl: ProxySslTlvInit): Buffer {
  const client = ssl.client ?? 0x01;
  const verify = ssl.verify ?? 1;
  if (!Number.isInteger(client) || client < 0 || client > 255)
    throw invalid("ssl.client must be a byte");
  if (!Number.isInteger(verify) || verify < 0 || verify > 0xffffffff) {
    throw invalid("ssl.verify must be an unsigned 32-bit integer");
  }
  const head = Buffer.alloc(5);
  head[0] = client;
  head.writeUInt32BE(verify, 1);
  const sub: Buffer[] = [];
  const fields: [number, string | undefined][] = [
    [PP2_TYPE.SSL_VERSION, ssl.version],
    [PP2_TYPE.SSL_CN, ssl.cn],
    [PP2_TYPE.SSL_CIPHER, ssl.cipher],
    [PP2_TYPE.SSL_SIG_ALG, ssl.sigAlg],
    [PP2_TYPE.SSL_KEY_ALG, ssl.keyAlg],
  ];
  for (const [type, value] of fields)
    if (value !== undefined) sub.push(tlv(type, Buffer.from(value)));
  return Buffer.concat([head, ...sub]);
}
