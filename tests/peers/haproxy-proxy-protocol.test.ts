/**
 * A sockit server behind a real HAProxy (Debian's package) in TCP mode on loopback:
 * `send-proxy` (v1), `send-proxy-v2` with CRC32C and a unique ID, `send-proxy-v2-ssl-cn`
 * behind HAProxy's own TLS termination (the SSL TLVs checked against the client's
 * certificate), a sockit TLS server behind TCP passthrough, and HAProxy's health checks
 * (v2 LOCAL).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../src/connect.js";
import { listen } from "../../src/listen.js";
import type { Server } from "../../src/server.js";
import type { Socket } from "../../src/socket.js";
import type { SocketInfo } from "../../src/socket-info.js";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
} from "../helpers/certs.js";
import { startDaemon } from "../helpers/daemons.js";
import {
  findPeer,
  makeTempDir,
  type RunningProcess,
  skipReason,
  type TempDir,
} from "../helpers/peers.js";
import { waitFor } from "../helpers/raw-peer.js";

const haproxy = findPeer("haproxy", "HAProxy PROXY protocol", { sbin: true });
const noOpenssl =
  opensslPeer.path === undefined ? skipReason("HAProxy tests: openssl is absent") : undefined;

/** A sockit server that answers each line with "ok" and keeps each connection's info by that line. */
async function recordingServer(options: Parameters<typeof listen>[1]): Promise<{
  server: Server;
  seen: Map<string, SocketInfo>;
  all: SocketInfo[];
}> {
  const seen = new Map<string, SocketInfo>();
  const all: SocketInfo[] = [];
  const server = await listen("127.0.0.1:0", options ?? {}, async (socket) => {
    all.push(socket.info());
    const line = await socket.readLine({ encoding: "utf8" }).catch(() => undefined);
    if (line === undefined) return; // a health check: connects, then closes
    seen.set(line, socket.info());
    await socket.send("ok\n");
    await socket.close();
  });
  return { server, seen, all };
}

function haproxyConfig(
  ports: number[],
  apps: { plain: number; tls: number; health: number },
  files: { pem: string; ca: string },
): string {
  const [v1, v2, ssl, passthrough] = ports;
  return `global
  maxconn 100
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend v1
  bind 127.0.0.1:${v1}
  default_backend v1
backend v1
  server app 127.0.0.1:${apps.plain} send-proxy
frontend v2
  bind 127.0.0.1:${v2}
  unique-id-format sockit-%rt
  default_backend v2
backend v2
  server app 127.0.0.1:${apps.plain} send-proxy-v2 proxy-v2-options crc32c,unique-id
frontend ssl
  bind 127.0.0.1:${ssl} ssl crt ${files.pem} ca-file ${files.ca} verify optional alpn h2,http/1.1
  default_backend ssl
backend ssl
  server app 127.0.0.1:${apps.plain} send-proxy-v2-ssl-cn proxy-v2-options ssl,cert-cn,ssl-cipher,cert-sig,cert-key,authority,crc32c
frontend passthrough
  bind 127.0.0.1:${passthrough}
  default_backend passthrough
backend passthrough
  server app 127.0.0.1:${apps.tls} send-proxy-v2
backend health
  server app 127.0.0.1:${apps.health} send-proxy-v2 check inter 200ms
`;
}

describe.skipIf(haproxy.path === undefined || noOpenssl !== undefined)(
  "a sockit server behind HAProxy",
  () => {
    let temp: TempDir | undefined;
    let certs: Certificates;
    let daemon: RunningProcess | undefined;
    let ports: number[] = [];
    let plain: Awaited<ReturnType<typeof recordingServer>>;
    let secure: Awaited<ReturnType<typeof recordingServer>>;
    let health: Awaited<ReturnType<typeof recordingServer>>;
    const clients: Socket[] = [];

    beforeAll(async () => {
      temp = await makeTempDir("haproxy");
      certs = await makeCertificates();
      plain = await recordingServer({ proxyProtocol: "any" });
      secure = await recordingServer({
        proxyProtocol: "v2",
        tls: { cert: certs.server.certPath, key: certs.server.keyPath },
      });
      health = await recordingServer({ proxyProtocol: "v2" });
      const pem = join(temp.path, "haproxy.pem");
      await writeFile(pem, `${certs.server.cert}\n${certs.server.key}`);
      const configPath = join(temp.path, "haproxy.cfg");
      const apps = {
        plain: plain.server.port!,
        tls: secure.server.port!,
        health: health.server.port!,
      };
      const started = await startDaemon(
        haproxy.path!,
        ["-f", configPath, "-db"],
        configPath,
        4,
        (p) => haproxyConfig(p, apps, { pem, ca: certs.ca.certPath }),
      );
      daemon = started.process;
      ports = started.ports;
    });

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.destroy()));
    });

    afterAll(async () => {
      await daemon?.stop();
      await Promise.all([plain, secure, health].map((s) => s?.server.closeAll()));
      await cleanupCertificates();
      await temp?.cleanup();
    });

    /** Sends `id` through HAProxy's port and waits for the app's "ok"; returns the client's info. */
    async function through(port: number, id: string, options: Parameters<typeof connect>[1] = {}) {
      const client = connect(`127.0.0.1:${port}`, { connectTimeout: 5000, ...options });
      clients.push(client);
      client.write(`${id}\n`);
      expect((await client.readLine({ encoding: "utf8", timeout: 10_000 })).toString()).toBe("ok");
      return client.info();
    }

    it("send-proxy (v1): info() names the client, not HAProxy", async () => {
      const client = await through(ports[0]!, "v1");
      const info = plain.seen.get("v1")!;
      expect(info.remoteAddress).toBe("127.0.0.1");
      expect(info.remotePort).toBe(client.localPort);
      expect(info.proxy).toMatchObject({ version: 1, command: "PROXY", transport: "TCP4" });
      expect(info.proxy?.destination).toEqual({
        family: "IPv4",
        address: "127.0.0.1",
        port: ports[0],
      });
      expect(info.proxy?.via?.family === "unix" ? undefined : info.proxy?.via?.port).not.toBe(
        client.localPort,
      );
    });

    it("send-proxy-v2: the client, a verified CRC32C and HAProxy's unique ID", async () => {
      const client = await through(ports[1]!, "v2");
      const info = plain.seen.get("v2")!;
      expect(info.remotePort).toBe(client.localPort);
      expect(info.proxy).toMatchObject({ version: 2, command: "PROXY", transport: "TCP4" });
      expect(info.proxy?.tlvs.crc32c).toBeTypeOf("number");
      expect(info.proxy?.tlvs.uniqueId?.toString()).toMatch(/^sockit-\d+$/);
    });

    it("send-proxy-v2-ssl-cn: the SSL TLVs describe the client's TLS session with HAProxy", async () => {
      const client = await through(ports[2]!, "ssl", {
        tls: {
          ca: certs.ca.cert,
          verifyHost: "localhost",
          cert: certs.client.certPath,
          key: certs.client.keyPath,
          alpn: ["h2"],
        },
      });
      const info = plain.seen.get("ssl")!;
      expect(info.remotePort).toBe(client.localPort);
      const { tlvs } = info.proxy!;
      expect(tlvs.authority).toBe("localhost");
      expect(tlvs.ssl).toMatchObject({
        ssl: true,
        certInConnection: true,
        verify: 0,
        version: client.tls?.protocol,
        cn: "sockit test client",
      });
      expect(tlvs.ssl?.cipher).toBeTruthy();
      expect(tlvs.ssl?.sigAlg).toBeTruthy();
      expect(tlvs.ssl?.keyAlg).toBeTruthy();
      expect(tlvs.crc32c).toBeTypeOf("number");
    });

    it("TCP passthrough with send-proxy-v2: a sockit TLS server terminates TLS after the header", async () => {
      const client = await through(ports[3]!, "tls", {
        tls: { ca: certs.ca.cert, verifyHost: "localhost" },
      });
      const info = secure.seen.get("tls")!;
      expect(info.secure).toBe(true);
      expect(info.remotePort).toBe(client.localPort);
      expect(info.proxy?.version).toBe(2);
      expect(client.secure).toBe(true);
    });

    it("health checks arrive as v2 LOCAL connections and keep HAProxy's real address", async () => {
      // A check connects, sends its header and resets at once: when the accept comes after the
      // reset, the kernel can no longer name the peer. Checks repeat every 200 ms: wait for one
      // accepted while HAProxy was still connected.
      const named = (): SocketInfo | undefined =>
        health.all.find((i) => i.proxy?.via !== undefined);
      await waitFor(() => named() !== undefined, 10_000);
      const info = named()!;
      expect(info.proxy).toMatchObject({ version: 2, command: "LOCAL", source: undefined });
      expect(info.remoteAddress).toBe("127.0.0.1");
      expect(info.remotePort).toBe(
        info.proxy?.via?.family === "unix" ? undefined : info.proxy?.via?.port,
      );
      expect(health.all.every((i) => i.proxy?.command === "LOCAL")).toBe(true);
    });
  },
);
