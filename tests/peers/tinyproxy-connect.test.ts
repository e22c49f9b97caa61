/**
 * A sockit client reaching a sockit TLS server through a real HTTP proxy, tinyproxy, with
 * `CONNECT` on 127.0.0.1: without and with Basic authentication, the final host's
 * certificate verified, and the proxy's refusals (403, 407, a target that refuses) coded.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect, listen, ProxyError, type Server, type Socket } from "../../src/index.js";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
} from "../helpers/certs.js";
import { rejection } from "../helpers/errors.js";
import { findPeer, freePort } from "../helpers/peers.js";
import { type ProxyPeer, startTinyproxy } from "../helpers/proxy-peers.js";

const tinyproxy = findPeer("tinyproxy", "tinyproxy (HTTP CONNECT)", { sbin: true });
const READ = { timeout: 10_000 };
const AUTH = { user: "sockit", password: "s3cret" };

describe.skipIf(tinyproxy.path === undefined || opensslPeer.path === undefined)(
  "connect() through tinyproxy (HTTP CONNECT)",
  () => {
    let certs: Certificates;
    let server: Server;
    let open: ProxyPeer;
    let guarded: ProxyPeer;
    let onlyOtherPort: ProxyPeer;
    const sockets: Socket[] = [];
    const track = (socket: Socket): Socket => {
      sockets.push(socket);
      return socket;
    };

    beforeAll(async () => {
      certs = await makeCertificates();
      server = await listen(
        "127.0.0.1:0",
        { tls: { cert: certs.server.certPath, key: certs.server.keyPath } },
        async (socket) => {
          const line = await socket.readLine({ encoding: "utf8", ...READ });
          await socket.send(`echo ${line}\n`);
          await socket.close();
        },
      );
      open = await startTinyproxy();
      guarded = await startTinyproxy({ auth: AUTH });
      onlyOtherPort = await startTinyproxy({ connectPorts: [server.port === 443 ? 444 : 443] });
    });
    afterAll(async () => {
      await Promise.all([open?.stop(), guarded?.stop(), onlyOtherPort?.stop()]);
      await server?.closeAll();
      await cleanupCertificates();
    });
    afterEach(async () => {
      await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
    });

    it("reaches a TLS server through the tunnel and verifies the final host's certificate", async () => {
      const socket = track(
        connect(`localhost:${server.port}`, {
          proxy: `http://127.0.0.1:${open.port}`,
          tls: { ca: certs.ca.cert },
        }),
      );
      socket.write("through\n"); // queued until the tunnel and the handshake are done
      const info = await socket.opened;
      expect(info.tls?.authorized).toBe(true);
      expect(info.tls?.peerCertificate?.subject.CN).toBe("localhost");
      expect(info.remotePort).toBe(open.port);
      expect(await socket.readLine({ encoding: "utf8", ...READ })).toBe("echo through");
    });

    it("checks the target's name, not the proxy's: an IP target fails the certificate check", async () => {
      const socket = track(
        connect(`127.0.0.1:${server.port}`, {
          proxy: `http://127.0.0.1:${open.port}`,
          tls: { ca: certs.ca.cert },
        }),
      );
      const error = await rejection(socket.opened);
      expect(error.code).toBe("ERR_TLS_CERT");
      expect(error).not.toBeInstanceOf(ProxyError);
    });

    it("authenticates with Basic credentials from the URL", async () => {
      const socket = track(
        connect(`localhost:${server.port}`, {
          proxy: `http://${AUTH.user}:${AUTH.password}@127.0.0.1:${guarded.port}`,
          tls: { ca: certs.ca.cert },
        }),
      );
      socket.write("authorized\n");
      expect((await socket.opened).tls?.authorized).toBe(true);
      expect(await socket.readLine({ encoding: "utf8", ...READ })).toBe("echo authorized");
    });

    it("rejects a wrong password with ERR_PROXY_AUTH (tinyproxy answers 401)", async () => {
      const socket = track(
        connect(`localhost:${server.port}`, {
          proxy: `http://${AUTH.user}:wrong@127.0.0.1:${guarded.port}`,
        }),
      );
      const error = await rejection(socket.opened);
      expect(error).toBeInstanceOf(ProxyError);
      expect(error.code).toBe("ERR_PROXY_AUTH");
      expect((error as ProxyError).status).toBe(401);
    });

    it("rejects with ERR_PROXY_AUTH when the proxy wants credentials and none are given", async () => {
      const socket = track(
        connect(`localhost:${server.port}`, { proxy: `http://127.0.0.1:${guarded.port}` }),
      );
      const error = await rejection(socket.opened);
      expect(error.code).toBe("ERR_PROXY_AUTH");
      expect((error as ProxyError).status).toBe(407);
      expect(error.message).toMatch(/no credentials were given/);
    });

    it("rejects with ERR_PROXY_REFUSED and status 403 when the proxy forbids the port", async () => {
      const socket = track(
        connect(`localhost:${server.port}`, { proxy: `http://127.0.0.1:${onlyOtherPort.port}` }),
      );
      const error = await rejection(socket.opened);
      expect(error.code).toBe("ERR_PROXY_REFUSED");
      expect((error as ProxyError).status).toBe(403);
    });

    it("rejects with ERR_PROXY_REFUSED and the proxy's status when the target refuses", async () => {
      const closedPort = await freePort();
      const socket = track(
        connect(`127.0.0.1:${closedPort}`, { proxy: `http://127.0.0.1:${open.port}` }),
      );
      const error = await rejection(socket.opened);
      expect(error.code).toBe("ERR_PROXY_REFUSED");
      const { status } = error as ProxyError;
      expect(status !== undefined && status >= 400 && status <= 599).toBe(true);
    });
  },
);
