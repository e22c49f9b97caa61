/**
 * Binary socket addresses against the structures a C program prints: the Linux ones from the
 * system headers, the BSD (macOS) ones declared field by field (tests/fixtures/sockaddr.c).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { connect, listen, type Server } from "../src/index.js";
import { formatSockaddr, parseSockaddr, type SockaddrLayout } from "../src/sockaddr.js";
import { thrown } from "./helpers/errors.js";
import { findPeer } from "./helpers/peers.js";

const gcc = findPeer("gcc", "sockaddr structures printed by C");

/** The structures the C program prints, by name ("linux-in6" → hex). */
function printed(): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "sockit-sockaddr-"));
  try {
    const source = fileURLToPath(new URL("fixtures/sockaddr.c", import.meta.url));
    const binary = join(dir, "sockaddr");
    const built = spawnSync(gcc.path as string, ["-o", binary, source], { timeout: 30_000 });
    if (built.status !== 0) throw new Error(`gcc failed: ${built.stderr}`);
    const run = spawnSync(binary, [], { timeout: 10_000, encoding: "utf8" });
    return new Map(
      run.stdout
        .trim()
        .split("\n")
        .map((line) => line.split(" ") as [string, string]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const endpoints = {
  in: { family: "IPv4", address: "127.0.0.1", port: 8080 },
  in6: { family: "IPv6", address: "fe80::1:2", port: 443, flowInfo: 0x12345, scopeId: 3 },
  un: { family: "unix", address: "/tmp/sockit.sock", port: 0, path: "/tmp/sockit.sock" },
} as const;

describe.skipIf(gcc.path === undefined || process.platform !== "linux")(
  "sockaddr structures printed by C",
  () => {
    const structures = gcc.path === undefined ? new Map<string, string>() : printed();

    for (const layout of ["linux", "bsd"] as SockaddrLayout[]) {
      for (const [kind, endpoint] of Object.entries(endpoints)) {
        it(`builds and parses ${layout} sockaddr_${kind} exactly as C lays it out`, () => {
          const hex = structures.get(`${layout}-${kind}`);
          expect(hex).toBeDefined();
          expect(formatSockaddr(endpoint, { layout }).toString("hex")).toBe(hex);
          const bytes = Buffer.from(hex as string, "hex");
          const parsed = parseSockaddr(bytes); // layout recognised from the bytes
          expect(parsed).toEqual(kind === "in6" ? endpoint : { ...endpoint });
          expect(parseSockaddr(bytes, { layout })).toEqual(parsed);
        });
      }
    }
  },
);

describe("parseSockaddr and formatSockaddr", () => {
  it("writes an IPv4-mapped IPv6 address in its dotted form and round-trips it", () => {
    const bytes = formatSockaddr({ address: "::ffff:10.0.0.1", port: 1 }, { layout: "linux" });
    expect(parseSockaddr(bytes).address).toBe("::ffff:10.0.0.1");
  });

  it("parses FreeBSD's and OpenBSD's AF_INET6 numbers in the BSD layout", () => {
    const bytes = formatSockaddr({ address: "::1", port: 80 }, { layout: "bsd" });
    for (const family of [24, 28]) {
      bytes[1] = family;
      expect(parseSockaddr(bytes)).toMatchObject({ family: "IPv6", address: "::1", port: 80 });
    }
  });

  it("refuses arguments of the wrong kind with ERR_INVALID_ARGUMENT", () => {
    expect(thrown(() => parseSockaddr(null as unknown as Uint8Array)).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
    expect(
      thrown(() => formatSockaddr(null as unknown as { address: string; port: number })).code,
    ).toBe("ERR_INVALID_ARGUMENT");
  });

  it("refuses bytes too short, an unknown family, a bad address and an over-long path", () => {
    expect(thrown(() => parseSockaddr(Buffer.from([2]))).code).toBe("ERR_INVALID_ADDRESS");
    expect(thrown(() => parseSockaddr(Buffer.from("0700000000000000", "hex"))).code).toBe(
      "ERR_INVALID_ADDRESS",
    );
    expect(thrown(() => formatSockaddr({ address: "nope", port: 1 })).code).toBe(
      "ERR_INVALID_ADDRESS",
    );
    expect(thrown(() => formatSockaddr({ address: "1.2.3.4", port: 70000 })).code).toBe(
      "ERR_INVALID_ADDRESS",
    );
    const long = `/${"x".repeat(107)}`;
    expect(thrown(() => formatSockaddr({ address: long, port: 0, path: long })).code).toBe(
      "ERR_INVALID_ADDRESS",
    );
  });
});

describe("info().localSockaddr and remoteSockaddr", () => {
  let server: Server | undefined;
  afterAll(async () => {
    await server?.closeAll();
  });

  it("give both ends of a connection as sockaddr bytes in the host's layout", async () => {
    server = await listen("127.0.0.1:0");
    const socket = connect(`127.0.0.1:${server.port}`);
    const info = await socket.opened;
    expect(parseSockaddr(info.remoteSockaddr as Buffer)).toEqual({
      family: "IPv4",
      address: "127.0.0.1",
      port: server.port,
    });
    expect(parseSockaddr(info.localSockaddr as Buffer)).toMatchObject({
      address: "127.0.0.1",
      port: info.localPort,
    });
    await socket.destroy();
  });

  it("are undefined before the connection is made", () => {
    const socket = connect("127.0.0.1:1");
    expect(socket.info().remoteSockaddr).toBeUndefined();
    void socket.destroy();
  });
});
