/**
 * A sockit server behind a PROXY header, with sockit's own client or a raw `node:net` client
 * playing the proxy on loopback: what the application sees, and every way a connection is
 * refused before it sees anything.
 */
import { once } from "node:events";
import { type Socket as NetSocket, connect as netConnect } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../src/connect.js";
import type { SocketError } from "../../src/errors.js";
import { listen } from "../../src/listen.js";
import { encodeProxyHeader, type ProxyHeaderInit } from "../../src/proxy-protocol/encode.js";
import { ProxyHeaderError } from "../../src/proxy-protocol/types.js";
import type { ListenOptions, Server } from "../../src/server.js";
import type { Socket } from "../../src/socket.js";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
} from "../helpers/certs.js";
import { rejection } from "../helpers/errors.js";
import { closedPort, sleep } from "../helpers/raw-peer.js";

const servers: Server[] = [];
const sockets: (Socket | NetSocket)[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

/** A server whose accepted sockets come out of `accepted` in order. */
async function serve(
  options: ListenOptions,
): Promise<{ server: Server; accepted: () => Promise<Socket> }> {
  const queue: Socket[] = [];
  const waiters: ((s: Socket) => void)[] = [];
  const server = await listen("127.0.0.1:0", options, (socket) => {
    const waiter = waiters.shift();
    if (waiter === undefined) queue.push(socket);
    else waiter(socket);
  });
  servers.push(server);
  const accepted = (): Promise<Socket> => {
    const first = queue.shift();
    return first === undefined
      ? new Promise((resolve) => waiters.push(resolve))
      : Promise.resolve(first);
  };
  return { server, accepted };
}

/** A raw client (the "proxy") that writes `chunks`, in separate writes when there are several. */
async function rawClient(port: number, chunks: readonly (string | Buffer)[]): Promise<NetSocket> {
  const raw = netConnect({ host: "127.0.0.1", port, noDelay: true });
  sockets.push(raw);
  raw.on("error", () => {});
  await once(raw, "connect");
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0) await sleep(5); // separate segments, most of the time; correctness does not depend on it
    raw.write(chunk);
  }
  return raw;
}

/** Resolves once the raw client sees its connection closed by the server, with what it received. */
async function closedByServer(raw: NetSocket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  raw.on("data", (c: Buffer) => chunks.push(c));
  if (!raw.destroyed) await once(raw, "close");
  return Buffer.concat(chunks);
}

const V1 = "PROXY TCP4 203.0.113.7 192.0.2.10 51000 443\r\n";

describe("listen with proxyProtocol", () => {
  it("hands the application a socket whose info() names the original client, and the bytes after the header", async () => {
    const { server, accepted } = await serve({ proxyProtocol: "v1" });
    const raw = await rawClient(server.port!, [`${V1}hello\n`]);
    const socket = await accepted();
    expect((await socket.readLine()).toString()).toBe("hello");
    const info = socket.info();
    expect(info).toMatchObject({ remoteAddress: "203.0.113.7", remotePort: 51000, family: "IPv4" });
    expect(info.localAddress).toBe("127.0.0.1");
    expect(info.proxy).toMatchObject({
      version: 1,
      command: "PROXY",
      transport: "TCP4",
      source: { family: "IPv4", address: "203.0.113.7", port: 51000 },
      destination: { family: "IPv4", address: "192.0.2.10", port: 443 },
      via: { family: "IPv4", address: "127.0.0.1", port: raw.localPort },
    });
  });

  it("reads a header that arrives in pieces", async () => {
    const { server, accepted } = await serve({ proxyProtocol: "any" });
    const header = encodeProxyHeader({
      version: 2,
      source: { address: "2001:db8::7", port: 4000 },
      destination: { address: "2001:db8::1", port: 443 },
      tlvs: { authority: "example.org", uniqueId: "conn-42", crc32c: true },
    });
    const bytes = Buffer.concat([header, Buffer.from("ping\n")]);
    await rawClient(server.port!, [
      bytes.subarray(0, 3),
      bytes.subarray(3, 17),
      bytes.subarray(17),
    ]);
    const socket = await accepted();
    expect((await socket.readLine()).toString()).toBe("ping");
    const info = socket.info();
    expect(info).toMatchObject({ remoteAddress: "2001:db8::7", remotePort: 4000, family: "IPv6" });
    expect(info.proxy?.tlvs.authority).toBe("example.org");
    expect(info.proxy?.tlvs.uniqueId?.toString()).toBe("conn-42");
  });

  it("reports an IPv4-mapped IPv6 client as IPv4", async () => {
    const { server, accepted } = await serve({ proxyProtocol: "v1" });
    await rawClient(server.port!, ["PROXY TCP6 ::ffff:198.51.100.9 ::1 1234 80\r\n"]);
    expect((await accepted()).info()).toMatchObject({
      remoteAddress: "198.51.100.9",
      family: "IPv4",
    });
  });

  it("accepts a LOCAL header (a health check) and keeps the real addresses", async () => {
    const { server, accepted } = await serve({ proxyProtocol: "v2" });
    const raw = await rawClient(server.port!, [
      encodeProxyHeader({ version: 2, command: "LOCAL" }),
    ]);
    const info = (await accepted()).info();
    expect(info.proxy).toMatchObject({
      version: 2,
      command: "LOCAL",
      transport: "UNKNOWN",
      source: undefined,
    });
    expect(info).toMatchObject({ remoteAddress: "127.0.0.1", remotePort: raw.localPort });
  });

  it("sends the header from connect({ proxyHeader }) before the application's bytes", async () => {
    const { server, accepted } = await serve({ proxyProtocol: "v2" });
    const proxyHeader: ProxyHeaderInit = {
      version: 2,
      source: { address: "203.0.113.7", port: 51000 },
      destination: { address: "192.0.2.10", port: 443 },
      tlvs: { alpn: "h2" },
    };
    const client = connect(`127.0.0.1:${server.port}`, { proxyHeader });
    sockets.push(client);
    client.write("first\n");
    const socket = await accepted();
    expect((await socket.readLine()).toString()).toBe("first");
    expect(socket.info().proxy?.tlvs.alpn).toBe("h2");
    expect(socket.info().remoteAddress).toBe("203.0.113.7");
  });

  it("refuses a bad proxyHeader synchronously with ERR_INVALID_ARGUMENT", () => {
    expect(() => connect("127.0.0.1:1", { proxyHeader: { version: 1, command: "LOCAL" } })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });

  it.each([
    ["proxyProtocol: 'v3'", { proxyProtocol: "v3" as "v1" }],
    ["proxyHeaderTimeout: 0", { proxyProtocol: "v1" as const, proxyHeaderTimeout: 0 }],
    ["proxyHeaderTimeout: -1 without proxyProtocol", { proxyHeaderTimeout: -1 }],
  ])("refuses %s with ERR_INVALID_ARGUMENT", async (_what, options) => {
    expect((await rejection(listen("127.0.0.1:0", options))).code).toBe("ERR_INVALID_ARGUMENT");
  });
});

describe("listen with proxyProtocol: refused connections", () => {
  /** Connects, sends `chunks`, and returns the server's proxyError; the handler must never run. */
  async function refused(
    options: ListenOptions,
    chunks: readonly (string | Buffer)[],
    end = false,
  ) {
    let handled = 0;
    const server = await listen("127.0.0.1:0", options, () => {
      handled++;
    });
    servers.push(server);
    const error = once(server, "proxyError") as Promise<[SocketError]>;
    const raw = await rawClient(server.port!, chunks);
    if (end) raw.end();
    const [reported] = await error;
    const received = await closedByServer(raw);
    expect(received.length).toBe(0);
    expect(handled).toBe(0);
    expect(server.connections).toHaveLength(0);
    expect(server.stats.proxyErrors).toBe(1);
    return reported;
  }

  it("refuses a connection without a header (NO_HEADER): the spec forbids guessing", async () => {
    const error = await refused({ proxyProtocol: "any" }, ["GET / HTTP/1.1\r\n\r\n"]);
    expect(error).toBeInstanceOf(ProxyHeaderError);
    expect(error).toMatchObject({ code: "ERR_PROXY_HEADER", reason: "NO_HEADER" });
    expect(error.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("refuses a v1 header on a v2 server (WRONG_VERSION)", async () => {
    const error = await refused({ proxyProtocol: "v2" }, [V1]);
    expect(error).toMatchObject({ code: "ERR_PROXY_HEADER", reason: "WRONG_VERSION" });
  });

  it("refuses a v2 header on a v1 server (WRONG_VERSION)", async () => {
    const error = await refused({ proxyProtocol: "v1" }, [
      encodeProxyHeader({ version: 2, command: "LOCAL" }),
    ]);
    expect(error).toMatchObject({ code: "ERR_PROXY_HEADER", reason: "WRONG_VERSION" });
  });

  it("refuses a malformed header (MALFORMED)", async () => {
    const error = await refused({ proxyProtocol: "v1" }, ["PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n"]);
    expect(error).toMatchObject({ code: "ERR_PROXY_HEADER", reason: "MALFORMED" });
  });

  it("refuses a v1 header longer than 107 bytes with ERR_PROXY_HEADER (TOO_LONG)", async () => {
    const error = await refused({ proxyProtocol: "v1" }, [`PROXY UNKNOWN ${"x".repeat(200)}`]);
    expect(error).toMatchObject({ code: "ERR_PROXY_HEADER", reason: "TOO_LONG" });
  });

  it("refuses a connection that ends before its header is complete (TRUNCATED)", async () => {
    const error = await refused({ proxyProtocol: "v1" }, ["PROXY TCP4 1.2."], true);
    expect(error).toMatchObject({ code: "ERR_PROXY_HEADER", reason: "TRUNCATED" });
  });

  it("closes a connection whose header does not come within proxyHeaderTimeout (ERR_PROXY_HEADER_TIMEOUT)", async () => {
    const error = await refused({ proxyProtocol: "any", proxyHeaderTimeout: 100 }, ["PROXY TCP4 "]);
    expect(error).toMatchObject({ code: "ERR_PROXY_HEADER_TIMEOUT", reason: "TIMEOUT" });
  });

  it("goes on serving after a refusal", async () => {
    const { server, accepted } = await serve({ proxyProtocol: "v1" });
    await rawClient(server.port!, ["nonsense\r\n"]);
    await rawClient(server.port!, [`${V1}ok\n`]);
    expect((await (await accepted()).readLine()).toString()).toBe("ok");
    expect(server.stats.proxyErrors).toBe(1);
  });

  it("closeAll() drops connections still sending their header", async () => {
    const { server } = await serve({ proxyProtocol: "v1" });
    const raw = await rawClient(server.port!, ["PROXY "]);
    await sleep(20); // the server has accepted it
    await server.closeAll();
    await closedByServer(raw);
    expect(raw.destroyed).toBe(true);
    expect(server.stats.proxyErrors).toBe(0); // dropped by the owner, not refused
  });

  it("rejects opened with ECONNREFUSED when a connect with proxyHeader and tls finds nobody", async () => {
    const port = await closedPort();
    const socket = connect(`127.0.0.1:${port}`, {
      tls: true,
      proxyHeader: { version: 1 },
    });
    sockets.push(socket);
    expect((await rejection(socket.opened)).code).toBe("ECONNREFUSED");
  });
});

describe.skipIf(opensslPeer.path === undefined)("listen with proxyProtocol and tls", () => {
  let certs: Certificates;
  beforeAll(async () => {
    certs = await makeCertificates();
  });
  afterAll(cleanupCertificates);

  it("reads the header on the raw connection, then terminates TLS with the bytes that followed it", async () => {
    const { server, accepted } = await serve({
      proxyProtocol: "v2",
      tls: { cert: certs.server.certPath, key: certs.server.keyPath, alpn: ["h2", "http/1.1"] },
    });
    const client = connect(`localhost:${server.port}`, {
      tls: { ca: certs.ca.cert, alpn: ["h2"] },
      proxyHeader: {
        version: 2,
        source: { address: "203.0.113.7", port: 51000 },
        destination: { address: "192.0.2.10", port: 443 },
      },
    });
    sockets.push(client);
    client.write("secret\n");
    const socket = await accepted();
    expect((await socket.readLine()).toString()).toBe("secret");
    const info = socket.info();
    expect(info.secure).toBe(true);
    expect(info.tls?.alpn).toBe("h2");
    expect(info.remoteAddress).toBe("203.0.113.7");
    expect((await client.opened).secure).toBe(true);
  });

  it("sends the header in clear before the ClientHello", async () => {
    const { server, accepted } = await serve({ proxyProtocol: "v1" }); // plain: TLS arrives as bytes
    const client = connect(`localhost:${server.port}`, {
      tls: { ca: certs.ca.cert },
      proxyHeader: {
        version: 1,
        source: { address: "10.0.0.1", port: 1 },
        destination: { address: "10.0.0.2", port: 2 },
      },
    });
    sockets.push(client);
    const socket = await accepted();
    expect(socket.info().proxy?.source).toMatchObject({ address: "10.0.0.1" });
    const record = await socket.readBytes(3);
    expect([...record]).toEqual([0x16, 0x03, 0x01]); // a TLS handshake record, right after the header
  });

  it("reports a failed handshake after the header as the server's 'error', not as a proxyError", async () => {
    const { server } = await serve({
      proxyProtocol: "v1",
      tls: { cert: certs.server.certPath, key: certs.server.keyPath },
    });
    const error = once(server, "error") as Promise<[SocketError]>;
    await rawClient(server.port!, [`${V1}this is no ClientHello\r\n`]);
    const [reported] = await error;
    expect(reported.code).toBe("ERR_TLS_HANDSHAKE");
    expect(server.stats.proxyErrors).toBe(0);
    expect(server.connections).toHaveLength(0);
  });
});
