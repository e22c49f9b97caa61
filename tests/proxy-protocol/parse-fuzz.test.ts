/**
 * The parser fuzzed (bounded and seeded, so that a failure replays): on any bytes it answers
 * with a header, "more" or an ERR_PROXY_HEADER error, never a throw; and its answer does not
 * depend on how the bytes arrived.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeProxyHeader } from "../../src/proxy-protocol/encode.js";
import { parseProxyHeader } from "../../src/proxy-protocol/parse.js";
import {
  type ProxyParseResult,
  type ProxyProtocolMode,
  V1_PREFIX,
  V2_SIGNATURE,
} from "../../src/proxy-protocol/types.js";

const RUNS = { numRuns: 400, seed: 0x9e3779b9 };

const SAMPLES = [
  encodeProxyHeader({
    version: 1,
    source: { address: "192.0.2.1", port: 56324 },
    destination: { address: "198.51.100.1", port: 443 },
  }),
  encodeProxyHeader({
    version: 1,
    source: { address: "2001:db8::1", port: 1 },
    destination: { address: "::1", port: 2 },
  }),
  encodeProxyHeader({
    version: 2,
    source: { address: "192.0.2.1", port: 1 },
    destination: { address: "192.0.2.2", port: 2 },
    tlvs: {
      alpn: "h2",
      authority: "example.org",
      crc32c: true,
      ssl: { version: "TLSv1.3", cn: "c" },
    },
  }),
  encodeProxyHeader({ version: 2, source: { path: "/a" }, destination: { path: "\0b" } }),
  encodeProxyHeader({ version: 2, command: "LOCAL", tlvs: { uniqueId: "x" } }),
];

/** Bytes likely to reach deep into the parser: a real header, mutated, or a signature and noise. */
const input = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc
    .tuple(fc.constantFrom(V1_PREFIX, V2_SIGNATURE), fc.uint8Array({ maxLength: 120 }))
    .map(([head, tail]) => Buffer.concat([head, tail])),
  fc
    .tuple(
      fc.constantFrom(...SAMPLES),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      fc.uint8Array({ maxLength: 8 }),
      fc.nat(),
    )
    .map(([sample, flips, tail, cutAt]) => {
      const bytes = Buffer.concat([sample, tail]);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      return bytes.subarray(0, Math.max(1, cutAt % (bytes.length + 1)));
    }),
);
const mode = fc.constantFrom<ProxyProtocolMode>("v1", "v2", "any");

/** What must not change between two answers (an error's identity aside). */
function summary(result: ProxyParseResult): unknown {
  if (result.status === "error") {
    return {
      status: "error",
      code: result.error.code,
      reason: result.error.reason,
      message: result.error.message,
    };
  }
  return result;
}

describe("parseProxyHeader (fuzzed)", () => {
  it("never throws, and every refusal is a coded ERR_PROXY_HEADER", () => {
    fc.assert(
      fc.property(input, mode, (bytes, m) => {
        const result = parseProxyHeader(bytes, m);
        expect(["header", "more", "error"]).toContain(result.status);
        if (result.status === "error") expect(result.error.code).toBe("ERR_PROXY_HEADER");
        if (result.status === "header") expect(result.consumed).toBeLessThanOrEqual(bytes.length);
      }),
      RUNS,
    );
  });

  it("answers every prefix with 'more' or with the answer for the whole input", () => {
    fc.assert(
      fc.property(input, mode, (bytes, m) => {
        const whole = summary(parseProxyHeader(bytes, m));
        for (let n = 0; n <= bytes.length; n++) {
          const part = parseProxyHeader(bytes.subarray(0, n), m);
          if (part.status !== "more") expect(summary(part)).toEqual(whole);
        }
      }),
      RUNS,
    );
  });

  it("answers the same once a header is complete, whatever follows it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLES),
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        (sample, after) => {
          const alone = parseProxyHeader(sample);
          expect(summary(parseProxyHeader(Buffer.concat([sample, after])))).toEqual(summary(alone));
        },
      ),
      RUNS,
    );
  });
});
