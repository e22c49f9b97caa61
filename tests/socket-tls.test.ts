import { connect as netConnect } from "node:net";
import { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import type { SocketError, TlsError } from "../src/errors.js";
import { listen } from "../src/listen.js";
import type { Server } from "../src/server.js";
import type { Socket } from "../src/socket.js";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
  tlsOutcome,
} from "./helpers/certs.js";
import { runProcess } from "./helpers/peers.js";
import { closedPort, rawPeer } from "./helpers/raw-peer.js";
import { EXPIRED_REASON } from "./helpers/runtime.js";

const servers: Server[] = [];
const sockets: Socket[] = [];
let certs: Certificates;

beforeAll(async () => {
  if (opensslPeer.path !== undefined) certs = await makeCertificates();
});
afterAll(async () => {
  await cleanupCertificates();
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

function track<T extends Socket>(socket: T): T {
  sockets.push(socket);
  return socket;
}

/** A TLS server that greets with its protocol and the client certificate's CN, then closes. */
async function tlsServer(
  tls: Parameters<typeof listen>[1] extends infer O ? O : never,
): Promise<Server> {
  const server = await listen("127.0.0.1:0", tls as object, async (s) => {
    const cn = s.info().tls?.peerCertificate?.subject.CN ?? "-";
    await s.send(`hello ${cn}\n`);
    await s.close();
  });
  servers.push(server);
  return server;
}

describe.skipIf(opensslPeer.path === undefined)("TLS clients and servers", () => {
  it("verifies the server against the CA and the host name by default", async () => {
    const server = await tlsServer({
      tls: { cert: certs.server.certPath, key: certs.server.keyPath },
    });
    const socket = track(connect(`localhost:${server.port}`, { tls: { ca: certs.ca.cert } }));
    const info = await socket.opened;
    expect(info.secure).toBe(true);
    expect(info.tls).toMatchObject({ authorized: true, protocol: "TLSv1.3" });
    expect(info.tls?.peerCertificate).toMatchObject({
      subject: { CN: "localhost" },
      fingerprint256: certs.server.fingerprint256,
    });
    expect(info.tls?.peerCertificate?.validTo).toBeInstanceOf(Date);
    expect((await socket.readLine()).toString()).toBe("hello -");
  });

  it("refuses a server whose CA is not trusted: Node's roots by default", async () => {
    const server = await tlsServer({
      tls: { cert: certs.server.certPath, key: certs.server.keyPath },
    });
    const result = await tlsOutcome(track(connect(`localhost:${server.port}`, { tls: true })));
    expect(result).toMatch(
      /^ERR_TLS_CERT (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/,
    );
  });

  it("refuses a certificate for another name unless verifyHost names it", async () => {
    const server = await tlsServer({
      tls: { cert: certs.server.certPath, key: certs.server.keyPath },
    });
    const byIp = track(connect(`127.0.0.1:${server.port}`, { tls: { ca: certs.ca.certPath } }));
    expect(await tlsOutcome(byIp)).toBe("ERR_TLS_CERT ERR_TLS_CERT_ALTNAME_INVALID");
    const named = track(
      connect(`127.0.0.1:${server.port}`, {
        tls: { ca: certs.ca.certPath, verifyHost: "localhost" },
      }),
    );
    expect((await named.opened).tls?.authorized).toBe(true);
  });

  it("takes CAs as a folder of PEM files and as a bundle file", async () => {
    const server = await tlsServer({
      tls: { cert: certs.server.certPath, key: certs.server.keyPath },
    });
    for (const ca of [certs.caDir, certs.caBundle.path, [certs.otherCa.cert, certs.ca.cert]]) {
      const socket = track(connect(`localhost:${server.port}`, { tls: { ca } }));
      expect((await socket.opened).tls?.authorized).toBe(true);
    }
  });

  it("refuses an expired certificate with its reason", async () => {
    const server = await tlsServer({
      tls: { cert: certs.expired.certPath, key: certs.expired.keyPath },
    });
    expect(
      await tlsOutcome(track(connect(`localhost:${server.port}`, { tls: { ca: certs.ca.cert } }))),
    ).toBe(`ERR_TLS_CERT ${EXPIRED_REASON}`);
  });

  it("accepts any certificate with verify: false", async () => {
    const server = await tlsServer({
      tls: { cert: certs.selfSigned.certPath, key: certs.selfSigned.keyPath },
    });
    const socket = track(connect(`127.0.0.1:${server.port}`, { tls: { verify: false } }));
    expect((await socket.opened).tls?.authorized).toBe(false);
    expect((await socket.readLine()).toString()).toBe("hello -");
  });

  it("demands a client certificate when the server requires one", async () => {
    const server = await tlsServer({
      tls: {
        cert: certs.server.certPath,
        key: certs.server.keyPath,
        ca: certs.ca.cert,
        clientCertificate: "require",
      },
    });
    const errors: SocketError[] = [];
    server.on("error", (e) => errors.push(e));
    const without = track(connect(`localhost:${server.port}`, { tls: { ca: certs.ca.cert } }));
    // TLS 1.3: the client finishes first; the refusal arrives as the first read's error.
    const failure = await without.opened
      .then(() => without.readLine())
      .then(
        () => "read",
        (e: TlsError) => `${e.code} ${e.reason}`,
      );
    expect(failure).toMatch(/^ERR_TLS_CERT ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/);
    const withCert = track(
      connect(`localhost:${server.port}`, {
        tls: {
          ca: certs.ca.cert,
          cert: certs.client.certPath,
          key: certs.clientEncryptedKey.keyPath,
          passphrase: certs.clientEncryptedKey.passphrase,
        },
      }),
    );
    expect((await withCert.readLine()).toString()).toMatch(/^hello \S+/);
    expect(await withCert.readLine().catch((e: SocketError) => e.code)).toBe("ERR_END_OF_STREAM");
  });

  it("serves another certificate by SNI and agrees on ALPN", async () => {
    const server = await tlsServer({
      tls: {
        cert: certs.server.certPath,
        key: certs.server.keyPath,
        sni: { "other.test": { cert: certs.other.certPath, key: certs.other.keyPath } },
        alpn: ["h2", "sockit/1"],
      },
    });
    const socket = track(
      connect(`127.0.0.1:${server.port}`, {
        tls: { ca: certs.ca.cert, verifyHost: "other.test", alpn: ["sockit/1"] },
      }),
    );
    const info = await socket.opened;
    expect(info.tls?.peerCertificate?.subject.CN).toBe("other.test");
    expect(info.tls?.alpn).toBe("sockit/1");
  });

  it("times out a handshake with a peer that never answers it", async () => {
    const { target } = await rawPeer((s) => s.resume()); // accepts TCP, never speaks TLS
    const socket = track(connect(target, { tls: { verify: false, handshakeTimeout: 100 } }));
    expect(await tlsOutcome(socket)).toBe("ERR_TLS_HANDSHAKE_TIMEOUT ERR_TLS_HANDSHAKE_TIMEOUT");
    expect((await socket.closed).error?.code).toBe("ERR_TLS_HANDSHAKE_TIMEOUT");
  });

  it("drops a client that never sends a ClientHello once the server's handshakeTimeout passes", async () => {
    const server = await listen("127.0.0.1:0", {
      tls: { cert: certs.server.cert, key: certs.server.key, handshakeTimeout: 200 },
    });
    servers.push(server);
    const failed = new Promise<SocketError>((resolve) => server.once("error", resolve));
    const silent = netConnect(server.port ?? 0, "127.0.0.1"); // TCP only: the TLS slowloris
    silent.on("error", () => {});
    const dropped = new Promise<string>((resolve) => silent.once("close", () => resolve("closed")));
    expect(await failed).toMatchObject({ code: "ERR_TLS_HANDSHAKE_TIMEOUT" });
    const hung = new Promise((resolve) => setTimeout(resolve, 3000, "still open"));
    expect(await Promise.race([dropped, hung])).toBe("closed");
    expect(server.connections).toHaveLength(0);
  });

  it("drops a client that sends garbage instead of a ClientHello", async () => {
    const server = await listen("127.0.0.1:0", {
      tls: { cert: certs.server.cert, key: certs.server.key },
    });
    servers.push(server);
    const failed = new Promise<SocketError>((resolve) => server.once("error", resolve));
    const garbage = netConnect(server.port ?? 0, "127.0.0.1", () => {
      garbage.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    garbage.on("error", () => {});
    garbage.resume();
    const dropped = new Promise<string>((resolve) =>
      garbage.once("close", () => resolve("closed")),
    );
    expect(await failed).toMatchObject({ code: "ERR_TLS_HANDSHAKE" });
    expect(await dropped).toBe("closed");
  });

  it("fails the handshake against a plaintext server with ERR_TLS_HANDSHAKE", async () => {
    const { target } = await rawPeer((s) => s.write("220 plain text here\r\n"));
    const result = await tlsOutcome(track(connect(target, { tls: { verify: false } })));
    expect(result).toMatch(/^ERR_TLS_HANDSHAKE ERR_SSL_/);
  });

  it("reads certificate files once per options object, and again for a new object", async () => {
    const { copyFileSync, mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "sockit-ca-"));
    const caPath = join(dir, "ca.pem");
    copyFileSync(certs.ca.certPath, caPath);
    try {
      const server = await tlsServer({
        tls: { cert: certs.server.certPath, key: certs.server.keyPath },
      });
      const options = { tls: { ca: caPath } };
      expect(
        (await track(connect(`localhost:${server.port}`, options)).opened).tls?.authorized,
      ).toBe(true);
      rmSync(caPath);
      // The same object: its context was made once, the file is not read again.
      expect(
        (await track(connect(`localhost:${server.port}`, options)).opened).tls?.authorized,
      ).toBe(true);
      // A new object reads the files again (a rotation is picked up; here the file is gone).
      expect(() => connect(`localhost:${server.port}`, { tls: { ca: caPath } })).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes PEM text with the human-readable preamble that openssl ca writes", async () => {
    const text = await runProcess(opensslPeer.path ?? "openssl", [
      "x509",
      "-in",
      certs.server.certPath,
      "-text",
    ]);
    expect(text.stdout.startsWith("Certificate:")).toBe(true); // the preamble comes first
    const server = await tlsServer({ tls: { cert: text.stdout, key: certs.server.key } });
    const caText = `Subject: CN=sockit test CA\n${certs.ca.cert}`;
    const socket = track(connect(`localhost:${server.port}`, { tls: { ca: caText } }));
    expect((await socket.opened).tls?.authorized).toBe(true);
  });

  it("never puts key or certificate material in an error message", () => {
    const notPem = `${certs.server.key.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "")}`;
    let error: unknown;
    try {
      connect("127.0.0.1:9", { tls: { cert: notPem, key: notPem } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
    const secret = notPem.trim().split("\n")[0] ?? "";
    expect(secret.length).toBeGreaterThan(20);
    expect(String((error as Error).message)).not.toContain(secret);
    expect(String((error as Error).cause ?? "")).not.toContain(secret);
  });

  it("refuses unreadable certificate paths before connecting", () => {
    expect(() => connect("127.0.0.1:9", { tls: { ca: "/nonexistent/ca.pem" } })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });
});

describe.skipIf(opensslPeer.path === undefined)("STARTTLS", () => {
  const serverIdentity = () => ({ cert: certs.server.cert, key: certs.server.key });

  it("upgrades both sides in place, plaintext first, then verified TLS", async () => {
    const server = await listen("127.0.0.1:0", async (s) => {
      expect((await s.readLine()).toString()).toBe("STARTTLS");
      await s.send("220 go ahead\r\n");
      const info = await s.startTLS(serverIdentity());
      expect(info.secure).toBe(true);
      s.write(`secure: ${(await s.readLine()).toString()}\n`);
      await s.close();
    });
    servers.push(server);
    const socket = track(connect(`localhost:${server.port}`));
    socket.write("STARTTLS\r\n");
    expect((await socket.readLine()).toString()).toBe("220 go ahead");
    expect(socket.info().secure).toBe(false);
    const info = await socket.startTLS({ ca: certs.ca.cert }); // host name carried from the target
    expect(info.tls).toMatchObject({ authorized: true });
    socket.write("ping\n");
    expect((await socket.readLine()).toString()).toBe("secure: ping");
  });

  it("feeds a ClientHello that came in the same write as the command to the handshake", async () => {
    const server = await listen("127.0.0.1:0", async (s) => {
      await s.readLine(); // "STARTTLS": the ClientHello sits in the buffer behind it
      await s.startTLS(serverIdentity());
      await s.send(`upgraded ${(await s.readLine()).toString()}\n`);
      await s.close();
    });
    servers.push(server);
    // A TLS client over a relay whose first write to the wire is "STARTTLS\r\n" + ClientHello.
    const wire = netConnect(server.port ?? 0, "127.0.0.1");
    let prefix: Buffer | undefined = Buffer.from("STARTTLS\r\n");
    const relay = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        wire.write(prefix === undefined ? chunk : Buffer.concat([prefix, chunk]), done);
        prefix = undefined;
      },
    });
    wire.on("data", (d) => relay.push(d));
    wire.on("end", () => relay.push(null));
    const client = tlsConnect({ socket: relay, ca: certs.ca.cert, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      client.once("secureConnect", resolve);
      client.once("error", reject);
    });
    client.write("hi\n");
    const reply = await new Promise<string>((resolve) =>
      client.once("data", (d) => resolve(String(d))),
    );
    expect(reply).toBe("upgraded hi\n");
    client.destroy();
    wire.destroy();
  });

  it("sends the command and the ClientHello back to back from a client that does not wait", async () => {
    const server = await listen("127.0.0.1:0", async (s) => {
      await s.readLine();
      await s.startTLS(serverIdentity());
      await s.send("secret\n");
      await s.close();
    });
    servers.push(server);
    const socket = track(connect(`localhost:${server.port}`));
    socket.write("STARTTLS\r\n");
    const upgrading = socket.startTLS({ ca: certs.ca.cert });
    const line = socket.readLine(); // waits for the upgrade, then reads through TLS
    await upgrading;
    expect((await line).toString()).toBe("secret");
  });

  it("keeps plaintext bytes meant for the application readable before the upgrade", async () => {
    const server = await listen("127.0.0.1:0", async (s) => {
      await s.send("banner one\r\nbanner two\r\n");
      await s.startTLS(serverIdentity());
      await s.send("after\n");
      await s.close();
    });
    servers.push(server);
    const socket = track(connect(`localhost:${server.port}`));
    expect((await socket.readLine()).toString()).toBe("banner one");
    expect((await socket.readLine()).toString()).toBe("banner two");
    await socket.startTLS({ ca: certs.ca.cert });
    expect((await socket.readLine()).toString()).toBe("after");
  });

  it("rejects the upgrade on a certificate error and destroys the socket", async () => {
    const server = await listen("127.0.0.1:0", async (s) => {
      await s.startTLS(serverIdentity()).catch(() => {});
    });
    servers.push(server);
    const socket = track(connect(`127.0.0.1:${server.port}`)); // an IP: the localhost cert does not match
    await socket.opened;
    await expect(socket.startTLS({ ca: certs.ca.cert })).rejects.toMatchObject({
      code: "ERR_TLS_CERT",
      reason: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
    expect((await socket.closed).hadError).toBe(true);
  });

  it("fails the reads made during and after a failed upgrade instead of holding them", async () => {
    const server = await listen("127.0.0.1:0", async (s) => {
      await s.startTLS(serverIdentity()).catch(() => {});
    });
    servers.push(server);
    const socket = track(connect(`127.0.0.1:${server.port}`)); // the name check fails
    await socket.opened;
    const upgrading = socket.startTLS({ ca: certs.ca.cert });
    const during = socket.readLine(); // queued while the upgrade holds the bytes
    await expect(upgrading).rejects.toMatchObject({ code: "ERR_TLS_CERT" });
    await expect(during).rejects.toMatchObject({ code: "ERR_TLS_CERT" });
    await expect(socket.readLine()).rejects.toMatchObject({ code: "ERR_TLS_CERT" });
  });

  it("keeps the idle timeout of the socket through the upgrade", async () => {
    const server = await listen("127.0.0.1:0", async (s) => {
      await s.readLine();
      await s.startTLS(serverIdentity()); // then silence
    });
    servers.push(server);
    const socket = track(connect(`localhost:${server.port}`, { idleTimeout: 200 }));
    socket.write("STARTTLS\r\n");
    await socket.startTLS({ ca: certs.ca.cert });
    const idle = new Promise<string>((resolve) => socket.once("timeout", () => resolve("timeout")));
    const bound = new Promise<string>((resolve) => setTimeout(() => resolve("no event"), 3000));
    expect(await Promise.race([idle, bound])).toBe("timeout");
  });

  it("sends nothing in clear text that was written after startTLS() on a socket still connecting", async () => {
    const server = await listen("127.0.0.1:0", async (s) => {
      await s.startTLS(serverIdentity());
      await s.send(`got ${(await s.readLine()).toString()}\n`);
      await s.close();
    });
    servers.push(server);
    // A relay between client and server that records every byte the client puts on the wire.
    const wire: Buffer[] = [];
    const relay = await rawPeer((client) => {
      const upstream = netConnect(server.port ?? 0, "127.0.0.1");
      upstream.on("error", () => client.destroy());
      client.on("data", (chunk: Buffer) => {
        wire.push(chunk);
        upstream.write(chunk);
      });
      client.on("end", () => upstream.end());
      upstream.pipe(client);
    });
    const socket = track(connect(`localhost:${relay.port}`));
    expect(socket.connecting).toBe(true);
    const upgrading = socket.startTLS({ ca: certs.ca.cert });
    socket.write("SECRET\n");
    const reply = socket.readLine(); // made before the handshake too: served through TLS
    expect((await upgrading).secure).toBe(true);
    expect((await reply).toString()).toBe("got SECRET");
    const sent = Buffer.concat(wire);
    expect(sent[0]).toBe(0x16); // the first byte on the wire opens a TLS handshake record
    expect(sent.includes("SECRET")).toBe(false);
  });

  it("fails a startTLS() made while connecting, and its held writes, when the connect fails", async () => {
    const port = await closedPort();
    const socket = track(connect(`127.0.0.1:${port}`));
    const upgrading = socket.startTLS({ ca: certs.ca.cert });
    const written = new Promise((resolve) => socket.write("SECRET\n", undefined, resolve));
    await expect(upgrading).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(await written).toMatchObject({ code: expect.any(String) });
  });

  it("refuses to upgrade twice, or a server side without a certificate", async () => {
    const server = await listen("127.0.0.1:0", async (s) => {
      await expect(s.startTLS()).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
      await s.startTLS(serverIdentity());
    });
    servers.push(server);
    const socket = track(connect(`localhost:${server.port}`));
    await socket.opened;
    await socket.startTLS({ ca: certs.ca.cert });
    await expect(socket.startTLS({ ca: certs.ca.cert })).rejects.toMatchObject({
      code: "ERR_INVALID_STATE",
    });
  });
});
