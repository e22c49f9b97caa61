/**
 * The v2 (binary) half of the PROXY protocol parser: the 16-byte fixed part, the address
 * block, and the TLVs (spec 2.2). Called by `parseProxyHeader` once the signature matched.
 *
 * @module
 */
import { crc32c } from "./crc32c.js";
import { formatIPv4, formatIPv6 } from "./ip.js";
import {
  MAX_UNIQUE_ID_LENGTH,
  MORE,
  type ProxyCommand,
  type ProxyEndpoint,
  type ProxyHeader,
  type ProxyParseResult,
  type ProxySslTlv,
  type ProxyTlv,
  type ProxyTlvs,
  type ProxyTransport,
  refuse,
  V2_FIXED_LENGTH,
} from "./types.js";

/** TLV types registered by the spec (2.2). */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  SSL_VERSION: 0x21,
  SSL_CN: 0x22,
  SSL_CIPHER: 0x23,
  SSL_SIG_ALG: 0x24,
  SSL_KEY_ALG: 0x25,
  NETNS: 0x30,
} as const;

/** The transport and address-block length of each family-and-protocol byte the spec lists. */
export const V2_FAMILIES: ReadonlyMap<number, { transport: ProxyTransport; length: number }> =
  new Map([
    [0x00, { transport: "UNKNOWN", length: 0 }],
    [0x11, { transport: "TCP4", length: 12 }],
    [0x12, { transport: "UDP4", length: 12 }],
    [0x21, { transport: "TCP6", length: 36 }],
    [0x22, { transport: "UDP6", length: 36 }],
    [0x31, { transport: "UNIX_STREAM", length: 216 }],
    [0x32, { transport: "UNIX_DGRAM", length: 216 }],
  ]);

/** Parses a v2 header whose 12-byte signature is already matched. */
export function parseV2(bytes: Uint8Array): ProxyParseResult {
  const fixed = parseFixedPart(bytes);
  if ("status" in fixed) return fixed;
  const { command, family, length } = fixed;
  const total = V2_FIXED_LENGTH + length;
  if (bytes.length < total) return MORE;
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, total);
  const proxied = command === "PROXY" && family.transport !== "UNKNOWN";
  const tlvs = checkedTlvs(header, family.length, proxied);
  if ("status" in tlvs) return tlvs;
  const result: ProxyHeader = {
    version: 2,
    command,
    transport: command === "LOCAL" ? "UNKNOWN" : family.transport,
    source: proxied ? v2Endpoint(header, family.transport, "source") : undefined,
    destination: proxied ? v2Endpoint(header, family.transport, "destination") : undefined,
    tlvs,
  };
  return { status: "header", header: result, consumed: total };
}

/** What the fixed part of a v2 header says (spec 2.2). */
interface FixedPart {
  readonly command: ProxyCommand;
  /** The transport and the address block's length. */
  readonly family: { readonly transport: ProxyTransport; readonly length: number };
  /** The bytes after the fixed part: addresses and TLVs. */
  readonly length: number;
}

/**
 * The version and command byte, the family and protocol byte and the length (bytes 12–15),
 * or a result instead: `MORE` while they are cut short, a refusal when one is invalid.
 */
function parseFixedPart(bytes: Uint8Array): FixedPart | ProxyParseResult {
  const versionCommand = bytes[12];
  if (versionCommand === undefined) return MORE;
  if (versionCommand >> 4 !== 2) {
    return refuse("MALFORMED", `PROXY v2 version nibble ${versionCommand >> 4}, not 2`);
  }
  const commandBits = versionCommand & 0x0f;
  if (commandBits > 1)
    return refuse("MALFORMED", `PROXY v2 command ${commandBits} is not LOCAL or PROXY`);
  const command: ProxyCommand = commandBits === 0 ? "LOCAL" : "PROXY";
  const familyByte = bytes[13];
  if (familyByte === undefined) return MORE;
  if (familyByte >> 4 > 3 || (familyByte & 0x0f) > 2) {
    return refuse(
      "MALFORMED",
      `PROXY v2 family and protocol byte 0x${familyByte.toString(16)} is invalid`,
    );
  }
  if (bytes.length < V2_FIXED_LENGTH) return MORE;
  const length = (bytes[14]! << 8) | bytes[15]!;
  // Valid nibbles in a combination the spec does not list: addresses unusable, as UNSPEC.
  const family = V2_FAMILIES.get(familyByte) ?? { transport: "UNKNOWN" as const, length: 0 };
  if (length < family.length) {
    return refuse(
      "MALFORMED",
      `PROXY v2 length ${length} is shorter than its ${family.length}-byte addresses`,
    );
  }
  return { command, family, length };
}

/**
 * The TLVs after an address block of `addressLength` bytes, their CRC32C checked; a refusal
 * when they are malformed (only if `proxied`) or the checksum does not match.
 */
function checkedTlvs(
  header: Buffer,
  addressLength: number,
  proxied: boolean,
): ProxyTlvs | ProxyParseResult {
  let tlvs = parseTlvs(header, V2_FIXED_LENGTH + addressLength);
  if (typeof tlvs === "string") {
    // LOCAL and UNSPEC blocks are to be skipped ("the receiver should ignore address
    // information"), and an address of unknown size hides where TLVs begin: not an error.
    if (proxied) return refuse("MALFORMED", tlvs);
    tlvs = { raw: [] };
  }
  if (tlvs.crc32c !== undefined && !checksumMatches(header, tlvs.crc32c)) {
    return refuse("BAD_CHECKSUM", "the PROXY v2 header does not match its CRC32C");
  }
  return tlvs;
}

/** The source or destination of a v2 address block (spec 2.2 `union proxy_addr`). */
function v2Endpoint(
  header: Buffer,
  transport: ProxyTransport,
  which: "source" | "destination",
): ProxyEndpoint {
  const at = V2_FIXED_LENGTH;
  const second = which === "destination" ? 1 : 0;
  if (transport === "TCP4" || transport === "UDP4") {
    const port = header.readUInt16BE(at + 8 + second * 2);
    return { family: "IPv4", address: formatIPv4(header, at + second * 4), port };
  }
  if (transport === "TCP6" || transport === "UDP6") {
    const port = header.readUInt16BE(at + 32 + second * 2);
    return { family: "IPv6", address: formatIPv6(header, at + second * 16), port };
  }
  return {
    family: "unix",
    path: unixPath(header.subarray(at + second * 108, at + second * 108 + 108)),
  };
}

/** A `sun_path`: up to the first NUL; an abstract name (a leading NUL) up to the next one. */
function unixPath(field: Buffer): string {
  const start = field[0] === 0 ? 1 : 0;
  const end = field.indexOf(0, start);
  const name = field.subarray(start, end < 0 ? field.length : end).toString("utf8");
  return start === 1 && name !== "" ? `\0${name}` : name;
}

/** The TLVs from `offset` to the end of the header, or why they are malformed. */
function parseTlvs(header: Buffer, offset: number): ProxyTlvs | string {
  const raw = splitTlvs(header, offset, header.length);
  if (typeof raw === "string") return raw;
  const tlvs: { -readonly [K in keyof ProxyTlvs]: ProxyTlvs[K] } = { raw };
  for (const { type, value } of raw) {
    switch (type) {
      case PP2_TYPE.ALPN:
        tlvs.alpn ??= value.toString("latin1");
        break;
      case PP2_TYPE.AUTHORITY:
        tlvs.authority ??= value.toString("utf8");
        break;
      case PP2_TYPE.CRC32C:
        if (value.length !== 4) return `a CRC32C TLV of ${value.length} bytes, not 4`;
        if (tlvs.crc32c !== undefined) return "two CRC32C TLVs";
        tlvs.crc32c = value.readUInt32BE(0);
        break;
      case PP2_TYPE.UNIQUE_ID:
        if (value.length > MAX_UNIQUE_ID_LENGTH) {
          return `a unique ID of ${value.length} bytes, over ${MAX_UNIQUE_ID_LENGTH}`;
        }
        tlvs.uniqueId ??= value;
        break;
      case PP2_TYPE.SSL: {
        const ssl = parseSsl(value);
        if (typeof ssl === "string") return ssl;
        tlvs.ssl ??= ssl;
        break;
      }
      case PP2_TYPE.NETNS:
        tlvs.netns ??= value.toString("latin1");
        break;
    }
  }
  return tlvs;
}

/** Type-length-value records filling `bytes[start, end)` exactly. */
function splitTlvs(bytes: Buffer, start: number, end: number): ProxyTlv[] | string {
  const list: ProxyTlv[] = [];
  let at = start;
  while (at < end) {
    if (at + 3 > end) return `a TLV header cut short at byte ${at}`;
    const type = bytes[at]!;
    const length = bytes.readUInt16BE(at + 1);
    if (at + 3 + length > end)
      return `TLV 0x${type.toString(16)} of ${length} bytes overruns the header`;
    list.push({ type, value: bytes.subarray(at + 3, at + 3 + length) });
    at += 3 + length;
  }
  return list;
}

/** `struct pp2_tlv_ssl { uint8_t client; uint32_t verify; struct pp2_tlv sub_tlv[0]; }` */
function parseSsl(value: Buffer): ProxySslTlv | string {
  if (value.length < 5) return `an SSL TLV of ${value.length} bytes, under 5`;
  const sub = splitTlvs(value, 5, value.length);
  if (typeof sub === "string") return `in the SSL TLV, ${sub}`;
  const client = value[0]!;
  const ssl: { -readonly [K in keyof ProxySslTlv]: ProxySslTlv[K] } = {
    client,
    ssl: (client & 0x01) !== 0,
    certInConnection: (client & 0x02) !== 0,
    certInSession: (client & 0x04) !== 0,
    verify: value.readUInt32BE(1),
    tlvs: sub,
  };
  for (const { type, value: text } of sub) {
    const ascii = text.toString("utf8");
    if (type === PP2_TYPE.SSL_VERSION) ssl.version ??= ascii;
    else if (type === PP2_TYPE.SSL_CN) ssl.cn ??= ascii;
    else if (type === PP2_TYPE.SSL_CIPHER) ssl.cipher ??= ascii;
    else if (type === PP2_TYPE.SSL_SIG_ALG) ssl.sigAlg ??= ascii;
    else if (type === PP2_TYPE.SSL_KEY_ALG) ssl.keyAlg ??= ascii;
  }
  return ssl;
}

/** Spec 2.2.3: the CRC32C of the whole header with the checksum's own 4 bytes zeroed. */
function checksumMatches(header: Buffer, expected: number): boolean {
  const copy = Buffer.from(header);
  zeroChecksum(copy);
  return crc32c(copy) === expected;
}

/** Zeroes the value of the CRC32C TLV in a complete v2 header (the encoder uses it too). */
export function zeroChecksum(header: Buffer): number | undefined {
  const length = header.readUInt16BE(14);
  const family = V2_FAMILIES.get(header[13]!)?.length ?? 0;
  let at = V2_FIXED_LENGTH + family;
  const end = V2_FIXED_LENGTH + length;
  while (at + 3 <= end) {
    const size = header.readUInt16BE(at + 1);
    if (header[at] === PP2_TYPE.CRC32C && size === 4) {
      header.fill(0, at + 3, at + 7);
      return at + 3;
    }
    at += 3 + size;
  }
  return undefined;
}
