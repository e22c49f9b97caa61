/**
 * Hostile TLS peers (issue 13): garbage instead of a ClientHello, a client that never sends
 * one (dropped after the server's handshake timeout), and certificates that are expired or
 * for another host (refused by a verifying client, with the reason kept).
 */
import { type Socket as NetSocket, connect as netConnect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "../../src/connect.js";
import type { SocketError } from "../../src/errors.js";
import { listen } from "../../src/listen.js";
import type { Server } from "../../src/server.js";
import { cleanupCertificates, makeCertificates, opensslPeer } from "../helpers/certs.js";
import { rejection } from "../helpers/errors.js";
import { EXPIRED_REASON } from "../helpers/runtime.js";
import { prng } from "./fault-proxy.js";
import { recordFigures } from "./figures.js";

const servers: Server[] = [];
const figures: Record<string, unknown> = {};
afterAll(async () => {
  await Promise.all(servers.map((s) => s.closeAll()));
  await cleanupCertificates();
  recordFigures("tls-hostile", figures);
});

async function tlsServer(identity: "server" | "expired" | "other", handshakeTimeout = 10_000) {
  const certs = await makeCertificates();
  const { cert, key } = certs[identity];
  const errors: SocketError[] = [];
  const server = await listen("127.0.0.1:0", { tls: { cert, key, handshakeTimeout } }, (s) => {
    s.write("hello\n");
  });
  server.on("error", (error) => errors.push(error));
  servers.push(server);
  return { server, errors, certs };
}

/** A raw TCP client; resolves when the server closes it, with what it received. */
function rawClient(
  port: number,
  send: Buffer | undefined,
): Promise<{ raw: NetSocket; closed: Promise<Buffer> }> {
  const raw = netConnect(port, "127.0.0.1");
  raw.on("error", () => {});
  const chunks: Buffer[] = [];
  raw.on("data", (c: Buffer) => chunks.push(c));
  const closed = new Promise<Buffer>((resolve) =>
    raw.once("close", () => resolve(Buffer.concat(chunks))),
  );
  return new Promise((resolve) => {
    raw.once("connect", () => {
      if (send !== undefined) raw.write(send);
      resolve({ raw, closed });
    });
  });
}

describe.skipIf(opensslPeer.path === undefined)("a TLS server against hostile clients", () => {
  it("drops clients that send garbage instead of a ClientHello, with ERR_TLS_HANDSHAKE, and accepts none", async () => {
    const { server, errors } = await tlsServer("server");
    const rnd = prng(443);
    const garbage = Array.from({ length: 20 }, (_, i) => {
      const bytes = Buffer.alloc(1 + rnd.int(600));
      for (let j = 0; j < bytes.length; j++) bytes[j] = rnd.int(256);
      if (i % 4 === 0) bytes.write("GET / HTTP/1.1\r\n\r\n"); // plaintext to a TLS port
      if (i % 4 === 1) bytes[0] = 0x16; // a handshake record type, then nonsense
      return bytes;
    });
    const clients = await Promise.all(garbage.map((g) => rawClient(server.port ?? 0, g)));
    const replies = await Promise.all(clients.map((c) => c.closed));
    expect(replies.every((r) => !r.includes("hello"))).toBe(true);
    expect(server.stats.accepted).toBe(0);
    expect(errors.length).toBe(garbage.length);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(["ERR_TLS_HANDSHAKE"]));
    figures.garbageClientHellos = {
      clients: garbage.length,
      dropped: replies.length,
      accepted: server.stats.accepted,
    };
  });

  it("drops a client that never sends a ClientHello once handshakeTimeout passes", async () => {
    const { server, errors } = await tlsServer("server", 300);
    const silent = await Promise.all(
      Array.from({ length: 10 }, () => rawClient(server.port ?? 0, undefined)),
    );
    const started = Date.now();
    await Promise.all(silent.map((c) => c.closed)); // bounded by the test timeout: it hangs without the fix
    expect(errors.map((e) => e.code)).toEqual(Array(10).fill("ERR_TLS_HANDSHAKE_TIMEOUT"));
    expect(server.stats.accepted).toBe(0);
    figures.silentClients = {
      clients: silent.length,
      dropped: silent.length,
      handshakeTimeoutMs: 300,
      droppedWithinMs: Date.now() - started,
    };
  });

  it("is refused by a verifying client when its certificate has expired (CERT_HAS_EXPIRED)", async () => {
    const { server, certs } = await tlsServer("expired");
    const socket = connect(`127.0.0.1:${server.port}`, {
      tls: { ca: certs.ca.cert, verifyHost: "localhost" },
    });
    const error = await rejection(socket.opened);
    expect(error).toMatchObject({ code: "ERR_TLS_CERT", reason: EXPIRED_REASON }); // Deno: README, Runtimes
    figures.expiredCertificate = {
      code: error.code,
      reason: (error as SocketError & { reason?: string }).reason,
    };
  });

  it("is refused by a verifying client when its certificate names another host (ERR_TLS_CERT_ALTNAME_INVALID)", async () => {
    const { server, certs } = await tlsServer("other");
    const socket = connect(`127.0.0.1:${server.port}`, {
      tls: { ca: certs.ca.cert, verifyHost: "localhost" },
    });
    const error = await rejection(socket.opened);
    expect(error).toMatchObject({ code: "ERR_TLS_CERT", reason: "ERR_TLS_CERT_ALTNAME_INVALID" });
    figures.otherHostCertificate = {
      code: error.code,
      reason: (error as SocketError & { reason?: string }).reason,
    };
  });
});
