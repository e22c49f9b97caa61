import { describe, expect, it } from "vitest";
import { frameSpec, joinTarget, ncatTime, normalize } from "../../src/cli/flags.js";
import { localAddress } from "../../src/cli/listen.js";

describe("ncat's flag values", () => {
  it.each([
    ["5", 5000],
    ["500ms", 500],
    ["1.5s", 1500],
    ["2m", 120_000],
    ["1h", 3_600_000],
  ])("reads the time %s as %d ms", (text, ms) => {
    expect(ncatTime(text)).toBe(ms);
  });

  it.each(["", "soon", "-1", "0", "5 s", "1d"])("refuses the time %j", (text) => {
    expect(() => ncatTime(text)).toThrow(/expected a time/);
  });

  it("knows the frame kinds and refuses others", () => {
    expect(frameSpec("u16le")).toEqual({ width: 2, endian: "little" });
    expect(frameSpec("varint")).toEqual({ varint: true });
    expect(() => frameSpec("u128")).toThrow(/expected one of u8/);
  });

  it("folds ncat's TLS spellings into sockit's", () => {
    expect(
      normalize({ ssl: true, sslCert: "c", sslKey: "k", sslTrustfile: "ca", sslServername: "n" }),
    ).toMatchObject({ tls: true, cert: "c", key: "k", ca: "ca", verifyHost: "n" });
    expect(normalize({ wait: 300 }).timeout).toBe(300);
  });

  it("joins HOST PORT, brackets an IPv6 host, and makes -U a unix: target", () => {
    expect(joinTarget("example.org", "80", {})).toBe("example.org:80");
    expect(joinTarget("::1", "80", {})).toBe("[::1]:80");
    expect(joinTarget("127.0.0.1:80", undefined, {})).toBe("127.0.0.1:80");
    expect(joinTarget("/tmp/s", undefined, { unixsock: true })).toBe("unix:/tmp/s");
  });

  it("finds the listen address in each of ncat's forms", () => {
    expect(localAddress("8080", undefined, {})).toBe("8080");
    expect(localAddress("8080", undefined, { ipv4: true })).toBe("0.0.0.0:8080");
    expect(localAddress("8080", undefined, { ipv6: true })).toBe("[::]:8080");
    expect(localAddress("::1", "8080", {})).toBe("[::1]:8080");
    expect(localAddress(undefined, undefined, { sourcePort: 9 })).toBe("9");
    expect(localAddress("127.0.0.1:0", undefined, {})).toBe("127.0.0.1:0");
    expect(localAddress("/tmp/s", undefined, { unixsock: true })).toBe("unix:/tmp/s");
    expect(() => localAddress(undefined, undefined, {})).toThrow(/no port/);
  });
});
