/**
 * An `https://` proxy: HAProxy (Debian's package) terminating TLS in front of tinyproxy, on
 * loopback. The client makes TLS with the proxy (verified), `CONNECT`s through it, then TLS
 * with the final host (verified against the target's name). And `proxyHeader` through a
 * tunnel: the PROXY header goes first in the tunnel to a sockit server with `proxyProtocol`.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect, listen, type Server, type Socket, TlsError } from "../../src/index.js";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
} from "../helpers/certs.js";
import { startDaemon } from "../helpers/daemons.js";
import { rejection } from "../helpers/errors.js";
import { findPeer, makeTempDir, type RunningProcess, type TempDir } from "../helpers/peers.js";
import { type ProxyPeer, startTinyproxy } from "../helpers/proxy-peers.js";
import { runtime } from "../helpers/runtime.js";

const haproxy = findPeer("haproxy", "HAProxy (TLS in front of tinyproxy)", { sbin: true });
const tinyproxy = findPeer("tinyproxy", "tinyproxy (HTTP CONNECT)", { sbin: true });
const READ = { encoding: "utf8", timeout: 10_000 } as const;

describe.skipIf(
  haproxy.path === undefined || tinyproxy.path === undefined || opensslPeer.path === undefined,
)(
  "connect() through an https:// proxy (HAProxy TLS → tinyproxy) and proxyHeader through a tunnel",
  () => {
    let certs: Certificates;
    let temp: TempDir | undefined;
    let daemon: RunningProcess | undefined;
    let proxy: ProxyPeer | undefined;
    let httpsPort = 0;
    let secureEcho: Server;
    let plainEcho: Server;
    let behindProxyProtocol: Server;
    const sockets: Socket[] = [];
    const track = (socket: Socket): Socket => {
      sockets.push(socket);
      return socket;
    };
    const echo = async (socket: Socket): Promise<void> => {
      const line = await socket.readLine(READ);
      const source = socket.info().proxy?.source;
      const from =
        source === undefined || source.family === "unix"
          ? ""
          : ` from ${source.address}:${source.port}`;
      await socket.send(`echo ${line}${from}\n`);
      await socket.close();
    };

    beforeAll(async () => {
      certs = await makeCertificates();
      temp = await makeTempDir("https-proxy");
      const tls = { cert: certs.server.certPath, key: certs.server.keyPath };
      secureEcho = await listen("127.0.0.1:0", { tls }, echo);
      plainEcho = await listen("127.0.0.1:0", {}, echo);
      behindProxyProtocol = await listen("127.0.0.1:0", { proxyProtocol: "v1" }, echo);
      proxy = await startTinyproxy();
      const pem = join(temp.path, "haproxy.pem");
      await writeFile(pem, `${certs.server.cert}\n${certs.server.key}`);
      const configPath = join(temp.path, "haproxy.cfg");
      const upstream = proxy.port;
      const started = await startDaemon(
        haproxy.path as string,
        ["-f", configPath, "-db"],
        configPath,
        1,
        ([port]) => `global
  maxconn 100
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend https_proxy
  bind 127.0.0.1:${port} ssl crt ${pem}
  default_backend tinyproxy
backend tinyproxy
  server tinyproxy 127.0.0.1:${upstream}
`,
      );
      daemon = started.process;
      httpsPort = started.ports[0] as number;
    });
    afterEach(async () => {
      await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
    });
    afterAll(async () => {
      await daemon?.stop();
      await proxy?.stop();
      await Promise.all([secureEcho, plainEcho, behindProxyProtocol].map((s) => s?.closeAll()));
      await cleanupCertificates();
      await temp?.cleanup();
    });

    const proxyTls = () => ({ ca: certs.ca.cert, verifyHost: "localhost" });

    it("makes TLS with the proxy, CONNECTs, then TLS with the final host, both verified", async () => {
      const socket = track(
        connect(`localhost:${secureEcho.port}`, {
          proxy: `https://127.0.0.1:${httpsPort}`,
          proxyTls: proxyTls(),
          tls: { ca: certs.ca.cert },
        }),
      );
      socket.write("tls in tls\n");
      const info = await socket.opened;
      expect(info.secure).toBe(true);
      expect(info.tls?.authorized).toBe(true);
      // Node reports the proxy's port (the connection's peer); Bun and Deno report no address
      // for TLS layered on a TLS socket (README, Runtimes).
      expect(info.remotePort).toBe(runtime === "node" ? httpsPort : undefined);
      expect(await socket.readLine(READ)).toBe("echo tls in tls");
    });

    it("carries a plain target over TLS to the proxy: the socket itself is not secure", async () => {
      const socket = track(
        connect(`127.0.0.1:${plainEcho.port}`, {
          proxy: `https://127.0.0.1:${httpsPort}`,
          proxyTls: proxyTls(),
        }),
      );
      socket.write("plain inside\n");
      const info = await socket.opened;
      expect(info.secure).toBe(false);
      expect(info.tls).toBeUndefined();
      expect(await socket.readLine(READ)).toBe("echo plain inside");
    });

    it("verifies the proxy's certificate by default: an untrusted proxy fails with ERR_TLS_CERT naming it", async () => {
      const socket = track(
        connect(`localhost:${secureEcho.port}`, {
          proxy: `https://127.0.0.1:${httpsPort}`,
          tls: { ca: certs.ca.cert },
        }),
      );
      const error = await rejection(socket.opened);
      expect(error).toBeInstanceOf(TlsError);
      expect(error.code).toBe("ERR_TLS_CERT");
      expect(error.message).toContain(`proxy https://127.0.0.1:${httpsPort}`);
    });

    it("refuses proxyTls with a proxy that is not https://", () => {
      expect(() =>
        connect("127.0.0.1:1", { proxy: "http://127.0.0.1:1", proxyTls: { ca: "x" } }),
      ).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    });

    it("sends proxyHeader first in the tunnel: a proxyProtocol server behind tinyproxy sees the original client", async () => {
      const socket = track(
        connect(`127.0.0.1:${behindProxyProtocol.port}`, {
          proxy: `http://127.0.0.1:${proxy?.port}`,
          proxyHeader: {
            version: 1,
            source: { address: "203.0.113.7", port: 51000 },
            destination: { address: "192.0.2.10", port: 443 },
          },
        }),
      );
      socket.write("behind\n");
      expect(await socket.readLine(READ)).toBe("echo behind from 203.0.113.7:51000");
    });

    it("sends proxyHeader through an https:// proxy too, before the target's TLS", async () => {
      const tls = { cert: certs.server.certPath, key: certs.server.keyPath };
      const server = await listen("127.0.0.1:0", { tls, proxyProtocol: "v2" }, echo);
      try {
        const socket = track(
          connect(`localhost:${server.port}`, {
            proxy: `https://127.0.0.1:${httpsPort}`,
            proxyTls: proxyTls(),
            tls: { ca: certs.ca.cert },
            proxyHeader: {
              version: 2,
              source: { address: "198.51.100.1", port: 40000 },
              destination: { address: "192.0.2.10", port: 443 },
            },
          }),
        );
        socket.write("deep\n");
        expect(await socket.readLine(READ)).toBe("echo deep from 198.51.100.1:40000");
      } finally {
        await server.closeAll();
      }
    });
  },
);
