/**
 * A sockit client reaching a sockit TLS server through a real SOCKS5 proxy, dante-server
 * (`danted`), on 127.0.0.1: with no authentication and with a user name and password, the
 * final host's certificate verified (LiveCode: "a secure connection with a host while
 * tunnelling through a proxy"), and the proxy's refusals coded.
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
import { findPeer, freePort, skipReason } from "../helpers/peers.js";
import {
  canMakeSystemUser,
  makeSystemUser,
  type ProxyPeer,
  type SystemUser,
  startDante,
} from "../helpers/proxy-peers.js";

const dante = findPeer("danted", "dante-server (SOCKS5)", { sbin: true });
const noUser = canMakeSystemUser()
  ? undefined
  : skipReason("dante username tests: they need root to make a throwaway system user");
const READ = { timeout: 10_000 };

describe.skipIf(dante.path === undefined || opensslPeer.path === undefined)(
  "connect() through dante-server (SOCKS5)",
  () => {
    let certs: Certificates;
    let server: Server;
    let open: ProxyPeer;
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
      open = await startDante("none");
    });
    afterAll(async () => {
      await open?.stop();
      await server?.closeAll();
      await cleanupCertificates();
    });
    afterEach(async () => {
      await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
    });

    it("reaches a TLS server through the proxy and verifies the final host's certificate", async () => {
      const socket = track(
        connect(`localhost:${server.port}`, {
          proxy: `socks5://127.0.0.1:${open.port}`,
          tls: { ca: certs.ca.cert },
        }),
      );
      socket.write("hello\n"); // queued until the tunnel and the handshake are done
      const info = await socket.opened;
      expect(info.secure).toBe(true);
      expect(info.tls?.authorized).toBe(true);
      expect(info.tls?.peerCertificate?.subject.CN).toBe("localhost");
      expect(info.remotePort).toBe(open.port); // the TCP peer is the proxy
      expect(await socket.readLine({ encoding: "utf8", ...READ })).toBe("echo hello");
    });

    it("checks the target's name, not the proxy's: an IP target fails until verifyHost names the host", async () => {
      const proxy = `socks5://127.0.0.1:${open.port}`;
      const byIp = track(
        connect(`127.0.0.1:${server.port}`, { proxy, tls: { ca: certs.ca.cert } }),
      );
      const error = await rejection(byIp.opened);
      expect(error.code).toBe("ERR_TLS_CERT");
      expect(error).not.toBeInstanceOf(ProxyError);
      const named = track(
        connect(`127.0.0.1:${server.port}`, {
          proxy,
          tls: { ca: certs.ca.cert, verifyHost: "localhost" },
        }),
      );
      expect((await named.opened).tls?.authorized).toBe(true);
    });

    it("carries plain TCP too, with bytes in order both ways", async () => {
      const plain = await listen("127.0.0.1:0", async (socket) => {
        for (let i = 0; i < 3; i++) {
          await socket.send(`${await socket.readLine({ encoding: "utf8", ...READ })}\n`);
        }
        await socket.close();
      });
      try {
        const socket = track(
          connect(`127.0.0.1:${plain.port}`, { proxy: `socks5h://127.0.0.1:${open.port}` }),
        );
        socket.write("one\n");
        socket.write("two\n");
        await socket.opened;
        socket.write("three\n");
        const lines = [];
        for (let i = 0; i < 3; i++)
          lines.push(await socket.readLine({ encoding: "utf8", ...READ }));
        expect(lines).toEqual(["one", "two", "three"]);
      } finally {
        await plain.closeAll();
      }
    });

    it("rejects with ERR_PROXY_REFUSED and the SOCKS reply when the target refuses", async () => {
      const closedPort = await freePort();
      const socket = track(
        connect(`127.0.0.1:${closedPort}`, { proxy: `socks5://127.0.0.1:${open.port}` }),
      );
      const error = await rejection(socket.opened);
      expect(error).toBeInstanceOf(ProxyError);
      expect(error.code).toBe("ERR_PROXY_REFUSED");
      expect((error as ProxyError).socksReply).toBe(5);
      expect((error as ProxyError).proxy).toBe(`socks5://127.0.0.1:${open.port}`);
    });

    describe.skipIf(noUser !== undefined)("with a user name and password", () => {
      let user: SystemUser;
      let guarded: ProxyPeer;

      beforeAll(async () => {
        user = await makeSystemUser();
        guarded = await startDante("username");
      });
      afterAll(async () => {
        await guarded?.stop();
        await user?.remove();
      });

      it("authenticates and reaches the TLS server", async () => {
        const password = encodeURIComponent(user.password);
        const socket = track(
          connect(`localhost:${server.port}`, {
            proxy: `socks5://${user.name}:${password}@127.0.0.1:${guarded.port}`,
            tls: { ca: certs.ca.cert },
          }),
        );
        socket.write("secret\n");
        expect((await socket.opened).tls?.authorized).toBe(true);
        expect(await socket.readLine({ encoding: "utf8", ...READ })).toBe("echo secret");
      });

      it("rejects a wrong password with ERR_PROXY_AUTH", async () => {
        const socket = track(
          connect(`localhost:${server.port}`, {
            proxy: `socks5://${user.name}:wrong@127.0.0.1:${guarded.port}`,
          }),
        );
        const error = await rejection(socket.opened);
        expect(error).toBeInstanceOf(ProxyError);
        expect(error.code).toBe("ERR_PROXY_AUTH");
      });

      it("rejects with ERR_PROXY_AUTH when no credentials are given", async () => {
        const socket = track(
          connect(`localhost:${server.port}`, { proxy: `socks5://127.0.0.1:${guarded.port}` }),
        );
        const error = await rejection(socket.opened);
        expect(error.code).toBe("ERR_PROXY_AUTH");
        expect(error.message).toMatch(/none of the methods/);
      });
    });
  },
);
