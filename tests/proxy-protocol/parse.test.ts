/**
 * The PROXY protocol parser, from bytes alone: HAProxy's proxy-protocol.txt examples, every
 * limit at its boundary, and every way a header is refused.
 */
import { describe, expect, it } from "vitest";
import { crc32c } from "../../src/proxy-protocol/crc32c.js";
import { encodeProxyHeader } from "../../src/proxy-protocol/encode.js";
import { parseProxyHeader } from "../../src/proxy-protocol/parse.js";
import {
  type ProxyHeader,
  ProxyHeaderError,
  type ProxyParseResult,
  V2_SIGNATURE,
} from "../../src/proxy-protocol/types.js";

function header(result: ProxyParseResult): { header: ProxyHeader; consumed: number } {
  if (result.status !== "header")
    throw new Error(`expected a header, got ${JSON.stringify(result)}`);
  return result;
}

function reason(result: ProxyParseResult): string {
  if (result.status !== "error")
    throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  expect(result.error).toBeInstanceOf(ProxyHeaderError);
  expect(result.error.code).toBe("ERR_PROXY_HEADER");
  return result.error.reason;
}

const text = (s: string): Buffer => Buffer.from(s, "latin1");

/** A v2 header by hand: version/command byte, family byte, then the body. */
function v2(versionCommand: number, family: number, body: Buffer, length = body.length): Buffer {
  const fixed = Buffer.alloc(16);
  V2_SIGNATURE.copy(fixed);
  fixed[12] = versionCommand;
  fixed[13] = family;
  fixed.writeUInt16BE(length, 14);
  return Buffer.concat([fixed, body]);
}

const TCP4_BODY = Buffer.from([192, 0, 2, 1, 198, 51, 100, 1, 0xdc, 0x04, 0x01, 0xbb]);

describe("parseProxyHeader, v1", () => {
  it("parses the spec's TCP4 example and leaves the request that follows", () => {
    const input = text("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n");
    const { header: h, consumed } = header(parseProxyHeader(input));
    expect(h).toEqual({
      version: 1,
      command: "PROXY",
      transport: "TCP4",
      source: { family: "IPv4", address: "192.168.0.1", port: 56324 },
      destination: { family: "IPv4", address: "192.168.0.11", port: 443 },
      tlvs: { raw: [] },
    });
    expect(input.subarray(consumed).toString()).toBe("GET / HTTP/1.1\r\n");
  });

  it("parses TCP6 and reports the addresses in RFC 5952 form", () => {
    const input = text("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 65535 0\r\n");
    const { header: h } = header(parseProxyHeader(input));
    expect(h.source).toEqual({ family: "IPv6", address: "2001:db8::1", port: 65535 });
    expect(h.destination).toEqual({ family: "IPv6", address: "::1", port: 0 });
  });

  it("accepts PROXY UNKNOWN, short and long, ignoring what precedes the CRLF", () => {
    expect(header(parseProxyHeader(text("PROXY UNKNOWN\r\n"))).header.transport).toBe("UNKNOWN");
    const long = text("PROXY UNKNOWN anything at all 1 2\r\nrest");
    const { header: h, consumed } = header(parseProxyHeader(long));
    expect(h.source).toBeUndefined();
    expect(consumed).toBe(long.length - 4);
  });

  it("accepts the spec's worst case of 107 bytes", () => {
    const six = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const line = `PROXY UNKNOWN ${six} ${six} 65535 65535\r\n`;
    expect(line.length).toBe(107);
    expect(header(parseProxyHeader(text(line))).consumed).toBe(107);
  });

  it("refuses a v1 header longer than 107 bytes with ERR_PROXY_HEADER (TOO_LONG)", () => {
    const line = `PROXY UNKNOWN ${"x".repeat(92)}\r\n`;
    expect(line.length).toBe(108);
    expect(reason(parseProxyHeader(text(line)))).toBe("TOO_LONG");
    // Known as soon as the 107th byte is not the LF of a CRLF: no need to wait for more.
    expect(reason(parseProxyHeader(text(line).subarray(0, 107)))).toBe("TOO_LONG");
    expect(parseProxyHeader(text(line).subarray(0, 106)).status).toBe("more");
  });

  it.each([
    ["a bare LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"],
    ["a bare CR", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"],
    ["a leading zero in an IPv4 part", "PROXY TCP4 192.168.01.1 1.2.3.4 1 2\r\n"],
    ["an IPv4 part over 255", "PROXY TCP4 256.0.0.1 1.2.3.4 1 2\r\n"],
    ["a port over 65535", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"],
    ["a port with a leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"],
    ["two spaces", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"],
    ["a missing field", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"],
    ["an extra field", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"],
    ["an unknown protocol", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"],
    ["an IPv6 address under TCP4", "PROXY TCP4 ::1 ::1 1 2\r\n"],
    ["an IPv4 address under TCP6", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"],
    ["an IPv6 zone", "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"],
    ["lower-case tcp4", "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"],
  ])("refuses %s as MALFORMED", (_what, line) => {
    expect(reason(parseProxyHeader(text(line)))).toBe("MALFORMED");
  });

  it("waits for the CRLF before deciding", () => {
    expect(parseProxyHeader(text("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r")).status).toBe("more");
    expect(parseProxyHeader(text("PROX")).status).toBe("more");
    expect(parseProxyHeader(Buffer.alloc(0)).status).toBe("more");
  });
});

describe("parseProxyHeader, v2", () => {
  it("parses TCP over IPv4 and leaves the bytes after the header", () => {
    const input = Buffer.concat([v2(0x21, 0x11, TCP4_BODY), text("\x16\x03\x01")]);
    const { header: h, consumed } = header(parseProxyHeader(input));
    expect(h).toMatchObject({
      version: 2,
      command: "PROXY",
      transport: "TCP4",
      source: { family: "IPv4", address: "192.0.2.1", port: 56324 },
      destination: { family: "IPv4", address: "198.51.100.1", port: 443 },
      tlvs: { raw: [] },
    });
    expect(consumed).toBe(28);
  });

  it("parses TCP over IPv6", () => {
    const body = Buffer.alloc(36);
    body[15] = 1; // ::1
    Buffer.from([0x20, 0x01, 0x0d, 0xb8]).copy(body, 16); // 2001:db8::
    body.writeUInt16BE(1234, 32);
    body.writeUInt16BE(80, 34);
    const { header: h } = header(parseProxyHeader(v2(0x21, 0x21, body)));
    expect(h.source).toEqual({ family: "IPv6", address: "::1", port: 1234 });
    expect(h.destination).toEqual({ family: "IPv6", address: "2001:db8::", port: 80 });
  });

  it("parses AF_UNIX paths, an abstract name included", () => {
    const body = Buffer.alloc(216);
    body.write("/run/client.sock", 0);
    body.write("\0abstract", 108);
    const { header: h } = header(parseProxyHeader(v2(0x21, 0x31, body)));
    expect(h.transport).toBe("UNIX_STREAM");
    expect(h.source).toEqual({ family: "unix", path: "/run/client.sock" });
    expect(h.destination).toEqual({ family: "unix", path: "\0abstract" });
  });

  it("reports UDP over IPv4 as UDP4", () => {
    expect(header(parseProxyHeader(v2(0x21, 0x12, TCP4_BODY))).header.transport).toBe("UDP4");
  });

  it("accepts LOCAL (a health check), skipping its address block and reading its TLVs", () => {
    const tlv = Buffer.from([0x05, 0x00, 0x02, 0xab, 0xcd]);
    const { header: h, consumed } = header(
      parseProxyHeader(v2(0x20, 0x11, Buffer.concat([TCP4_BODY, tlv]))),
    );
    expect(h.command).toBe("LOCAL");
    expect(h.transport).toBe("UNKNOWN");
    expect(h.source).toBeUndefined();
    expect(h.tlvs.uniqueId).toEqual(Buffer.from([0xab, 0xcd]));
    expect(consumed).toBe(16 + 12 + 5);
  });

  it("accepts PROXY with AF_UNSPEC as UNKNOWN, skipping whatever the length covers", () => {
    // 7 bytes that are no TLVs: an address block of unknown size, ignored as the spec says.
    const { header: h, consumed } = header(parseProxyHeader(v2(0x21, 0x00, Buffer.alloc(7))));
    expect(h.transport).toBe("UNKNOWN");
    expect(h.tlvs).toEqual({ raw: [] });
    expect(consumed).toBe(23);
  });

  it("refuses a length shorter than the addresses as soon as the 16 fixed bytes are in", () => {
    expect(reason(parseProxyHeader(v2(0x21, 0x11, Buffer.alloc(0), 11)))).toBe("MALFORMED");
    expect(reason(parseProxyHeader(v2(0x21, 0x21, Buffer.alloc(0), 35)))).toBe("MALFORMED");
    expect(reason(parseProxyHeader(v2(0x21, 0x31, Buffer.alloc(0), 215)))).toBe("MALFORMED");
  });

  it("waits for the whole length, up to the spec's 65,535-byte maximum", () => {
    const big = v2(0x21, 0x11, Buffer.concat([TCP4_BODY, Buffer.from([0x04, 0xff, 0xf0])]), 0xffff);
    expect(parseProxyHeader(big).status).toBe("more");
    const whole = Buffer.concat([big, Buffer.alloc(0xffff - 15)]);
    expect(header(parseProxyHeader(whole)).consumed).toBe(16 + 0xffff);
  });

  it.each([
    ["version nibble 1", 0x11, 0x11],
    ["version nibble 3", 0x31, 0x11],
    ["command 2", 0x22, 0x11],
    ["address family 4", 0x21, 0x41],
    ["transport protocol 3", 0x21, 0x13],
  ])("refuses %s as MALFORMED from the first bytes", (_what, versionCommand, family) => {
    const bytes = v2(versionCommand, family, TCP4_BODY);
    expect(reason(parseProxyHeader(bytes.subarray(0, 14)))).toBe("MALFORMED");
  });

  it("refuses a TLV that overruns the header, or a TLV header cut short", () => {
    const overrun = Buffer.concat([TCP4_BODY, Buffer.from([0x01, 0x00, 0x05, 0x68])]);
    expect(reason(parseProxyHeader(v2(0x21, 0x11, overrun)))).toBe("MALFORMED");
    const cut = Buffer.concat([TCP4_BODY, Buffer.from([0x01, 0x00])]);
    expect(reason(parseProxyHeader(v2(0x21, 0x11, cut)))).toBe("MALFORMED");
  });

  it("decodes ALPN, authority, unique ID, netns, NOOP, custom TLVs and the SSL sub-TLVs", () => {
    const bytes = encodeProxyHeader({
      version: 2,
      source: { address: "192.0.2.1", port: 1 },
      destination: { address: "192.0.2.2", port: 2 },
      tlvs: {
        alpn: "h2",
        authority: "example.org",
        uniqueId: Buffer.from("id-1"),
        netns: "blue",
        ssl: {
          client: 0x07,
          verify: 0,
          version: "TLSv1.3",
          cn: "client.example",
          cipher: "TLS_AES_128_GCM_SHA256",
          sigAlg: "RSA-SHA256",
          keyAlg: "RSA2048",
        },
        extra: [
          { type: 0x04, value: Buffer.alloc(3) },
          { type: 0xe0, value: Buffer.from([1, 2]) },
        ],
      },
    });
    const { tlvs } = header(parseProxyHeader(bytes)).header;
    expect(tlvs).toMatchObject({ alpn: "h2", authority: "example.org", netns: "blue" });
    expect(tlvs.uniqueId?.toString()).toBe("id-1");
    expect(tlvs.ssl).toMatchObject({
      client: 7,
      ssl: true,
      certInConnection: true,
      certInSession: true,
      verify: 0,
      version: "TLSv1.3",
      cn: "client.example",
      cipher: "TLS_AES_128_GCM_SHA256",
      sigAlg: "RSA-SHA256",
      keyAlg: "RSA2048",
    });
    expect(tlvs.raw.map((t) => t.type)).toEqual([0x01, 0x02, 0x05, 0x20, 0x30, 0x04, 0xe0]);
  });

  it("refuses an SSL TLV under 5 bytes and a unique ID over 128 bytes", () => {
    const ssl = Buffer.concat([TCP4_BODY, Buffer.from([0x20, 0x00, 0x04, 1, 0, 0, 0])]);
    expect(reason(parseProxyHeader(v2(0x21, 0x11, ssl)))).toBe("MALFORMED");
    const id = Buffer.concat([TCP4_BODY, Buffer.from([0x05, 0x00, 129]), Buffer.alloc(129)]);
    expect(reason(parseProxyHeader(v2(0x21, 0x11, id)))).toBe("MALFORMED");
    const id128 = Buffer.concat([TCP4_BODY, Buffer.from([0x05, 0x00, 128]), Buffer.alloc(128)]);
    expect(parseProxyHeader(v2(0x21, 0x11, id128)).status).toBe("header");
  });

  it("checks a CRC32C TLV and refuses a header that does not match it (BAD_CHECKSUM)", () => {
    const bytes = encodeProxyHeader({
      version: 2,
      source: { address: "10.0.0.1", port: 1000 },
      destination: { address: "10.0.0.2", port: 2000 },
      tlvs: { authority: "a.example", crc32c: true },
    });
    const good = header(parseProxyHeader(bytes)).header;
    expect(good.tlvs.crc32c).toBeTypeOf("number");
    const tampered = Buffer.from(bytes);
    tampered[16] = 11; // 10.0.0.1 becomes 11.0.0.1
    expect(reason(parseProxyHeader(tampered))).toBe("BAD_CHECKSUM");
  });

  it("refuses a CRC32C TLV whose length is not 4", () => {
    const body = Buffer.concat([TCP4_BODY, Buffer.from([0x03, 0x00, 0x02, 0, 0])]);
    expect(reason(parseProxyHeader(v2(0x21, 0x11, body)))).toBe("MALFORMED");
  });
});

describe("parseProxyHeader, which version", () => {
  const v1 = text("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
  const two = v2(0x21, 0x11, TCP4_BODY);

  it("accepts either version in mode any", () => {
    expect(header(parseProxyHeader(v1, "any")).header.version).toBe(1);
    expect(header(parseProxyHeader(two, "any")).header.version).toBe(2);
  });

  it("refuses a v1 header where v2 is required, and the reverse (WRONG_VERSION)", () => {
    expect(reason(parseProxyHeader(v1, "v2"))).toBe("WRONG_VERSION");
    expect(reason(parseProxyHeader(two, "v1"))).toBe("WRONG_VERSION");
  });

  it.each([
    ["an HTTP request", "GET / HTTP/1.1\r\n"],
    ["a TLS ClientHello", "\x16\x03\x01\x02\x00\x01"],
    ["an SSH banner", "SSH-2.0-OpenSSH_9.2\r\n"],
    ["a near miss of PROXY", "PROXZ TCP4"],
    ["a near miss of the v2 signature", "\r\n\r\n\x00\r\nQUIX\n"],
  ])("refuses %s as NO_HEADER: no guessing", (_what, input) => {
    for (const mode of ["v1", "v2", "any"] as const) {
      expect(reason(parseProxyHeader(text(input), mode))).toBe("NO_HEADER");
    }
  });
});

describe("crc32c", () => {
  it("gives the standard check value of 123456789", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
  });
});
