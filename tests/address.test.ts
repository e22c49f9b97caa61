import { describe, expect, it } from "vitest";
import {
  formatAddress,
  formatEndpoint,
  networkInterfaces,
  parseLocal,
  parseTarget,
  unmapIPv4,
} from "../src/address.js";
import { resolve } from "../src/resolve.js";
import { rejection } from "./helpers/errors.js";

describe("parseTarget", () => {
  it.each([
    ["127.0.0.1:80", { kind: "tcp", host: "127.0.0.1", port: 80 }],
    ["localhost:65535", { kind: "tcp", host: "localhost", port: 65535 }],
    [
      "ftp.example.org:21|sendFiles",
      { kind: "tcp", host: "ftp.example.org", port: 21, name: "sendFiles" },
    ],
    ["[::1]:8080", { kind: "tcp", host: "::1", port: 8080 }],
    ["[fe80::1%lo]:7", { kind: "tcp", host: "fe80::1%lo", port: 7 }],
    ["[2001:db8::1]:443|a|b", { kind: "tcp", host: "2001:db8::1", port: 443, name: "a|b" }],
    ["unix:/tmp/app.sock", { kind: "unix", path: "/tmp/app.sock" }],
    ["unix:relative.sock|x", { kind: "unix", path: "relative.sock", name: "x" }],
    ["my_host-1:1", { kind: "tcp", host: "my_host-1", port: 1 }],
  ])("parses %j", (input, expected) => {
    expect(parseTarget(input)).toEqual(expected);
  });

  it.each([
    ["localhost", "missing port"],
    ["localhost:", "empty port"],
    [":80", "empty host"],
    ["host:0", "port 0 cannot be connected to"],
    ["host:65536", "port out of range"],
    ["host:99999", "port out of range"],
    ["host:-1", "negative port"],
    ["host:8o", "port not a number"],
    ["host:+80", "signed port"],
    ["host:123456", "port too long"],
    ["::1:80", "IPv6 without brackets"],
    ["[::1:80", "missing ]"],
    ["[::1]80", "no colon after ]"],
    ["[::1]", "bracketed host without port"],
    ["[localhost]:80", "brackets around a name"],
    ["a]:80", "stray ]"],
    ["host:80|", "empty connection name"],
    ["bad host:80", "space in host"],
    ["-host:80", "host starts with a dash"],
    ["unix:", "empty unix path"],
    ["unix:/tmp/a\0b", "NUL in unix path"],
    ["", "empty target"],
  ])("refuses %j (%s) with ERR_INVALID_ADDRESS", (input) => {
    expect(() => parseTarget(input)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ADDRESS" }),
    );
  });

  it("accepts objects and checks them the same way", () => {
    expect(parseTarget({ host: "::1", port: 7 })).toEqual({ kind: "tcp", host: "::1", port: 7 });
    expect(parseTarget({ path: "/s", name: "n" })).toEqual({ kind: "unix", path: "/s", name: "n" });
    for (const bad of [
      { host: "", port: 7 },
      { host: "h", port: 0 },
      { host: "h", port: 1.5 },
      { host: "h", port: 70000 },
    ]) {
      expect(() => parseTarget(bad)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_ADDRESS" }),
      );
    }
  });
});

describe("parseLocal", () => {
  it.each([
    ["0", { kind: "tcp", host: "", port: 0 }],
    [":8080", { kind: "tcp", host: "", port: 8080 }],
    ["127.0.0.1:0", { kind: "tcp", host: "127.0.0.1", port: 0 }],
    ["[::]:0", { kind: "tcp", host: "::", port: 0 }],
    ["unix:/tmp/s", { kind: "unix", path: "/tmp/s" }],
  ])("parses %j", (input, expected) => {
    expect(parseLocal(input)).toEqual(expected);
  });

  it("takes a port number", () => {
    expect(parseLocal(0)).toEqual({ kind: "tcp", host: "", port: 0 });
    expect(() => parseLocal(65536)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ADDRESS" }),
    );
    expect(() => parseLocal(-1)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ADDRESS" }));
  });

  it.each(["", "host", "host:", "::1:80", ":70000"])("refuses %j", (input) => {
    expect(() => parseLocal(input)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ADDRESS" }),
    );
  });
});

describe("formatting", () => {
  it("brackets IPv6 addresses and prints Unix paths with their scheme", () => {
    expect(formatAddress("::1", 80)).toBe("[::1]:80");
    expect(formatAddress("127.0.0.1", 80)).toBe("127.0.0.1:80");
    expect(formatEndpoint({ kind: "unix", path: "/s" })).toBe("unix:/s");
    expect(formatEndpoint({ kind: "tcp", host: "", port: 9 })).toBe("*:9");
  });
});

// Only names this machine resolves by itself (localhost, literals): no query leaves it. The
// failed lookup is tested in tests/cli/resolve.test.ts, inside a network namespace.
describe("resolve", () => {
  it("gives the loopback addresses of localhost, from /etc/hosts", async () => {
    const addresses = await resolve("localhost");
    expect(addresses.length).toBeGreaterThan(0);
    for (const { address, family } of addresses) {
      expect(family === "IPv4" ? address.startsWith("127.") : address === "::1").toBe(true);
    }
  });

  it("keeps to one family when asked", async () => {
    const v4 = await resolve("localhost", { family: 4 });
    expect(v4.every((entry) => entry.family === "IPv4")).toBe(true);
  });

  it("resolves an IP literal to itself, and refuses it under the other family with ENOTFOUND", async () => {
    expect(await resolve("::1")).toEqual([{ address: "::1", family: "IPv6" }]);
    expect(await resolve("127.0.0.1")).toEqual([{ address: "127.0.0.1", family: "IPv4" }]);
    const error = await rejection(resolve("::1", { family: 4 }));
    expect(error.code).toBe("ENOTFOUND");
    expect(error.address).toBe("::1");
  });

  it("returns at once with a callback, then calls it once with the addresses (hostnameToAddress)", async () => {
    const calls: [string | null, string[]][] = [];
    const done = new Promise<void>((settled) => {
      const returned = resolve("127.0.0.1", { family: 4 }, (error, addresses) => {
        calls.push([error?.code ?? null, addresses.map((a) => a.address)]);
        settled();
      });
      expect(returned).toBeUndefined();
      expect(calls).toEqual([]); // not called before resolve() returned
    });
    await done;
    expect(calls).toEqual([[null, ["127.0.0.1"]]]);
  });

  it("calls the callback once with the error and no addresses for a malformed name", async () => {
    const outcome = await new Promise<[string | undefined, number]>((settled) => {
      resolve("bad name!", (error, addresses) => settled([error?.code, addresses.length]));
    });
    expect(outcome).toEqual(["ERR_INVALID_ADDRESS", 0]);
    expect(() => resolve("localhost", {}, 5 as never)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });

  it("refuses a malformed name with ERR_INVALID_ADDRESS and a bad family with ERR_INVALID_ARGUMENT", async () => {
    expect((await rejection(resolve("bad name!"))).code).toBe("ERR_INVALID_ADDRESS");
    expect((await rejection(resolve(""))).code).toBe("ERR_INVALID_ADDRESS");
    expect((await rejection(resolve("localhost", { family: 5 as 4 }))).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
  });
});

describe("networkInterfaces", () => {
  it("lists every interface address, the IPv4 loopback among them, one entry per address", () => {
    const list = networkInterfaces();
    expect(list).toContainEqual({
      name: "lo",
      address: "127.0.0.1",
      family: "IPv4",
      netmask: "255.0.0.0",
      cidr: "127.0.0.1/8",
      mac: "00:00:00:00:00:00",
      internal: true,
      scopeId: undefined,
    });
    for (const entry of list) expect(entry.scopeId === undefined).toBe(entry.family === "IPv4");
  });
});

describe("unmapIPv4", () => {
  it.each([
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::FFFF:10.1.2.3", "10.1.2.3"],
    ["::1", "::1"],
    ["::ffff:7f00:1", "::ffff:7f00:1"], // hex form: not what Node reports; left as it is
    ["fe80::ffff:127.0.0.1", "fe80::ffff:127.0.0.1"],
    ["127.0.0.1", "127.0.0.1"],
  ])("reports %s as %s", (address, expected) => {
    expect(unmapIPv4(address)).toBe(expected);
  });
});
