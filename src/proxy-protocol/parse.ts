/**
 * The PROXY protocol parser (HAProxy's proxy-protocol.txt): pure, no I/O. Give it the bytes
 * received so far from the start of the connection; it answers with the header and how many
 * bytes it took, "more" when the bytes so far are a valid beginning, or a coded error.
 *
 * Errors are found as early as the bytes prove them, scanning left to right, so the answer
 * does not depend on how the bytes were split into chunks: any prefix of the input gives
 * "more" or the same answer as the whole.
 *
 * @module
 */
import { isCanonicalIPv4, isPlainIPv6, normalizeIPv6 } from "./ip.js";
import { parseV2 } from "./parse-v2.js";
import {
  MAX_V1_LENGTH,
  MORE,
  type ProxyEndpoint,
  type ProxyHeader,
  type ProxyParseResult,
  type ProxyProtocolMode,
  refuse,
  V1_PREFIX,
  V2_SIGNATURE,
} from "./types.js";

/**
 * Parses the PROXY header at the start of `bytes`. `mode` says which version is accepted
 * (`"any"`: v2 when the bytes start with its signature, v1 when with `"PROXY "`); there is
 * no guessing: bytes that start neither way are refused (`NO_HEADER`), as the spec requires.
 * v1 lines are at most 107 bytes (`TOO_LONG`); a v2 header's length must cover its addresses,
 * its TLVs must fit it exactly, and a `CRC32C` TLV must match (`BAD_CHECKSUM`).
 * Never throws.
 *
 * @example
 * ```ts
 * const result = parseProxyHeader(Buffer.from("PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\nGET /"));
 * if (result.status === "header") {
 *   result.header.source; // { family: "IPv4", address: "192.0.2.1", port: 56324 }
 *   result.consumed; // 45: "GET /" is the application's
 * }
 * ```
 */
export function parseProxyHeader(
  bytes: Uint8Array,
  mode: ProxyProtocolMode = "any",
): ProxyParseResult {
  if (bytes.length === 0) return MORE;
  const v1 = prefixMatch(bytes, V1_PREFIX);
  const v2 = prefixMatch(bytes, V2_SIGNATURE);
  if (v1 === "partial" || v2 === "partial") return MORE;
  if (v2 === "full") {
    if (mode === "v1") return refuse("WRONG_VERSION", "a PROXY v2 header where v1 is required");
    return parseV2(bytes);
  }
  if (v1 === "full") {
    if (mode === "v2") return refuse("WRONG_VERSION", "a PROXY v1 header where v2 is required");
    return parseV1(bytes);
  }
  return refuse("NO_HEADER", "the connection does not start with a PROXY protocol header");
}

/** Whether `bytes` start with `expected` ("full"), are a beginning of it ("partial"), or neither. */
function prefixMatch(bytes: Uint8Array, expected: Uint8Array): "full" | "partial" | "no" {
  const n = Math.min(bytes.length, expected.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== expected[i]) return "no";
  return n === expected.length ? "full" : "partial";
}

const CR = 0x0d;
const LF = 0x0a;

/** v1 (spec 2.1): one line of text ending in CRLF, within the first 107 bytes. */
function parseV1(bytes: Uint8Array): ProxyParseResult {
  for (let i = V1_PREFIX.length; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === LF) return refuse("MALFORMED", "a PROXY v1 line with a bare LF");
    if (byte !== CR) {
      if (i + 1 >= MAX_V1_LENGTH) return tooLong();
      continue;
    }
    if (i + 2 > MAX_V1_LENGTH) return tooLong();
    if (i + 1 >= bytes.length) return MORE;
    if (bytes[i + 1] !== LF) return refuse("MALFORMED", "a PROXY v1 line with a bare CR");
    const line = Buffer.from(bytes.buffer, bytes.byteOffset, i).toString("latin1");
    return parseV1Line(line, i + 2);
  }
  return MORE;
}

function tooLong(): ProxyParseResult {
  return refuse("TOO_LONG", `a PROXY v1 line without CRLF in its first ${MAX_V1_LENGTH} bytes`);
}

/** The fields of a complete v1 line (without its CRLF). */
function parseV1Line(line: string, consumed: number): ProxyParseResult {
  const fields = line.split(" ");
  const transport = fields[1];
  if (transport === "UNKNOWN") {
    // "the receiver must ignore anything presented before the CRLF"
    const header: ProxyHeader = {
      version: 1,
      command: "PROXY",
      transport: "UNKNOWN",
      source: undefined,
      destination: undefined,
      tlvs: { raw: [] },
    };
    return { status: "header", header, consumed };
  }
  if (transport !== "TCP4" && transport !== "TCP6") {
    return refuse(
      "MALFORMED",
      `PROXY v1 protocol ${JSON.stringify(transport)} is not TCP4, TCP6 or UNKNOWN`,
    );
  }
  if (fields.length !== 6) {
    return refuse("MALFORMED", "a PROXY v1 line needs 6 fields separated by single spaces");
  }
  const family = transport === "TCP4" ? "IPv4" : "IPv6";
  const source = v1Endpoint(family, fields[2]!, fields[4]!);
  const destination = v1Endpoint(family, fields[3]!, fields[5]!);
  if (source === undefined || destination === undefined) {
    return refuse("MALFORMED", `a PROXY v1 line with a bad ${transport} address or port`);
  }
  const header: ProxyHeader = {
    version: 1,
    command: "PROXY",
    transport,
    source,
    destination,
    tlvs: { raw: [] },
  };
  return { status: "header", header, consumed };
}

const PORT = /^(0|[1-9][0-9]{0,4})$/;

function v1Endpoint(
  family: "IPv4" | "IPv6",
  address: string,
  port: string,
): ProxyEndpoint | undefined {
  if (!PORT.test(port) || Number(port) > 65535) return undefined;
  if (family === "IPv4") {
    return isCanonicalIPv4(address) ? { family, address, port: Number(port) } : undefined;
  }
  return isPlainIPv6(address)
    ? { family, address: normalizeIPv6(address), port: Number(port) }
    : undefined;
}
