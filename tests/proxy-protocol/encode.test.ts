/**
 * The PROXY protocol encoder: the bytes it makes, what it refuses, and (fuzzed) that the
 * parser reads back exactly what it was given.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeProxyHeader, type ProxyHeaderInit } from "../../src/proxy-protocol/encode.js";
import { normalizeIPv6 } from "../../src/proxy-protocol/ip.js";
import { parseProxyHeader } from "../../src/proxy-protocol/parse.js";
import { V2_SIGNATURE } from "../../src/proxy-protocol/types.js";
import { thrown } from "../helpers/errors.js";

describe("encodeProxyHeader", () => {
  it("writes the spec's v1 TCP4 line", () => {
    const bytes = encodeProxyHeader({
      version: 1,
      source: { address: "192.168.0.1", port: 56324 },
      destination: { address: "192.168.0.11", port: 443 },
    });
    expect(bytes.toString("latin1")).toBe("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
  });

  it("writes v1 PROXY UNKNOWN without addresses", () => {
    expect(encodeProxyHeader({ version: 1 }).toString()).toBe("PROXY UNKNOWN\r\n");
  });

  it("writes a 28-byte v2 TCP4 header", () => {
    const bytes = encodeProxyHeader({
      version: 2,
      source: { address: "192.0.2.1", port: 56324 },
      destination: { address: "198.51.100.1", port: 443 },
    });
    expect(bytes.subarray(0, 12)).toEqual(V2_SIGNATURE);
    expect([...bytes.subarray(12)]).toEqual([
      0x21, 0x11, 0x00, 0x0c, 192, 0, 2, 1, 198, 51, 100, 1, 0xdc, 0x04, 0x01, 0xbb,
    ]);
  });

  it("writes a v2 LOCAL header with no address", () => {
    const bytes = encodeProxyHeader({ version: 2, command: "LOCAL" });
    expect([...bytes.subarray(12)]).toEqual([0x20, 0x00, 0x00, 0x00]);
  });

  it.each<[string, ProxyHeaderInit]>([
    ["null", null as unknown as ProxyHeaderInit],
    ["version 3", { version: 3 as 1 }],
    ["a v1 LOCAL", { version: 1, command: "LOCAL" }],
    ["v1 TLVs", { version: 1, tlvs: { alpn: "h2" } }],
    [
      "mixed families",
      {
        version: 2,
        source: { address: "1.2.3.4", port: 1 },
        destination: { address: "::1", port: 2 },
      },
    ],
    ["a source without destination", { version: 2, source: { address: "1.2.3.4", port: 1 } }],
    [
      "a bad address",
      {
        version: 1,
        source: { address: "localhost", port: 1 },
        destination: { address: "1.2.3.4", port: 2 },
      },
    ],
    [
      "a port over 65535",
      {
        version: 1,
        source: { address: "1.2.3.4", port: 65536 },
        destination: { address: "1.2.3.4", port: 2 },
      },
    ],
    [
      "v1 UDP",
      {
        version: 1,
        transport: "UDP4",
        source: { address: "1.2.3.4", port: 1 },
        destination: { address: "1.2.3.4", port: 2 },
      },
    ],
    ["v1 Unix paths", { version: 1, source: { path: "/a" }, destination: { path: "/b" } }],
    [
      "a LOCAL with addresses",
      { version: 2, command: "LOCAL", source: { path: "/a" }, destination: { path: "/b" } },
    ],
    ["a unique ID of 129 bytes", { version: 2, tlvs: { uniqueId: new Uint8Array(129) } }],
    [
      "a Unix path over 108 bytes",
      { version: 2, source: { path: "x".repeat(109) }, destination: { path: "/b" } },
    ],
    [
      "a v2 header over 65,551 bytes",
      { version: 2, tlvs: { extra: [{ type: 0xe0, value: new Uint8Array(65533) }] } },
    ],
  ])("refuses %s with ERR_INVALID_ARGUMENT", (_what, init) => {
    expect(thrown(() => encodeProxyHeader(init)).code).toBe("ERR_INVALID_ARGUMENT");
  });
});

// ---- fuzzing: bounded and seeded, so that a failure replays ----

const RUNS = { numRuns: 300, seed: 0x5eed };

const port = fc.integer({ min: 0, max: 65535 });
const ipPair = fc.oneof(
  fc.record({ family: fc.constant("IPv4" as const), s: fc.ipV4(), d: fc.ipV4() }),
  fc.record({ family: fc.constant("IPv6" as const), s: fc.ipV6(), d: fc.ipV6() }),
);
const ascii = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789.-_/"),
  maxLength: 40,
});
const tlvs = fc.record(
  {
    alpn: ascii,
    authority: fc.string({ maxLength: 40 }),
    uniqueId: fc.uint8Array({ maxLength: 128 }),
    netns: ascii,
    crc32c: fc.boolean(),
    ssl: fc.record(
      {
        client: fc.integer({ min: 0, max: 7 }),
        verify: fc.nat(),
        version: ascii,
        cn: fc.string({ maxLength: 20 }),
      },
      { requiredKeys: ["client", "verify"] },
    ),
  },
  { requiredKeys: [] },
);

/** Any header the encoder accepts, with what the parser should report. */
const headerInit: fc.Arbitrary<ProxyHeaderInit> = fc.oneof(
  fc.record({ version: fc.constant(1 as const), pair: ipPair, sp: port, dp: port }).map(
    ({ pair, sp, dp }): ProxyHeaderInit => ({
      version: 1,
      source: { address: pair.s, port: sp },
      destination: { address: pair.d, port: dp },
    }),
  ),
  fc.constant<ProxyHeaderInit>({ version: 1 }),
  fc.record({ pair: ipPair, sp: port, dp: port, udp: fc.boolean(), tlvs }).map(
    ({ pair, sp, dp, udp, tlvs }): ProxyHeaderInit => ({
      version: 2,
      ...(udp ? { transport: pair.family === "IPv4" ? ("UDP4" as const) : ("UDP6" as const) } : {}),
      source: { address: pair.s, port: sp },
      destination: { address: pair.d, port: dp },
      tlvs,
    }),
  ),
  fc.record({ s: ascii.filter((p) => p !== ""), d: ascii.filter((p) => p !== ""), tlvs }).map(
    ({ s, d, tlvs }): ProxyHeaderInit => ({
      version: 2,
      source: { path: s },
      destination: { path: d },
      tlvs,
    }),
  ),
  tlvs.map((t): ProxyHeaderInit => ({ version: 2, command: "LOCAL", tlvs: t })),
);

function expectedAddress(address: string): string {
  return address.includes(":") ? normalizeIPv6(address) : address;
}

describe("encodeProxyHeader and parseProxyHeader together (fuzzed)", () => {
  it("parses back what was encoded, leaving the bytes that follow", () => {
    fc.assert(
      fc.property(headerInit, fc.uint8Array({ maxLength: 16 }), (init, after) => {
        const bytes = encodeProxyHeader(init);
        const result = parseProxyHeader(Buffer.concat([bytes, after]));
        if (result.status !== "header") throw new Error(JSON.stringify(result));
        expect(result.consumed).toBe(bytes.length);
        const { header } = result;
        expect(header.version).toBe(init.version);
        expect(header.command).toBe(init.command ?? "PROXY");
        const source = init.source;
        if (source === undefined) expect(header.source).toBeUndefined();
        else if ("path" in source)
          expect(header.source).toEqual({ family: "unix", path: source.path });
        else
          expect(header.source).toMatchObject({
            address: expectedAddress(source.address),
            port: source.port,
          });
        const t = init.tlvs;
        if (t !== undefined) {
          expect(header.tlvs.alpn).toBe(t.alpn);
          expect(header.tlvs.authority).toBe(t.authority);
          expect(header.tlvs.netns).toBe(t.netns);
          expect(
            header.tlvs.uniqueId === undefined ? undefined : new Uint8Array(header.tlvs.uniqueId),
          ).toEqual(t.uniqueId);
          expect(header.tlvs.crc32c !== undefined).toBe(t.crc32c === true);
          expect(header.tlvs.ssl?.client).toBe(t.ssl?.client);
          expect(header.tlvs.ssl?.verify).toBe(t.ssl?.verify);
          expect(header.tlvs.ssl?.version).toBe(t.ssl?.version);
          expect(header.tlvs.ssl?.cn).toBe(t.ssl?.cn);
        }
      }),
      RUNS,
    );
  });
});

describe("encodeProxyHeader limits", () => {
  it("writes a v2 header of exactly 65,551 bytes, the spec's maximum", () => {
    const bytes = encodeProxyHeader({
      version: 2,
      tlvs: { extra: [{ type: 0xe0, value: new Uint8Array(65532) }] },
    });
    expect(bytes.length).toBe(65551);
    expect(parseProxyHeader(bytes).status).toBe("header");
  });
});
