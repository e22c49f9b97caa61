/**
 * sockit's TLS against OpenSSL's own client and server (`openssl s_server`, `s_client`),
 * with certificates made at test time: the cases of the TLS issue, end to end.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type ConnectOptions,
  connect,
  listen,
  type Server,
  type Socket,
  type TlsError,
} from "../../src/index.js";
import { runCli } from "../cli/run-cli.js";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
  tlsOutcome,
} from "../helpers/certs.js";
import { type OpensslServer, runOpensslClient, startOpensslServer } from "../helpers/openssl.js";
import { EXPIRED_REASON } from "../helpers/runtime.js";

let certs: Certificates;
const running: OpensslServer[] = [];
const sockets: Socket[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  if (opensslPeer.path !== undefined) certs = await makeCertificates();
});
afterAll(async () => {
  await cleanupCertificates();
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function sServer(
  options: Partial<Parameters<typeof startOpensslServer>[0]> = {},
): Promise<OpensslServer> {
  const server = await startOpensslServer({
    cert: certs.server.certPath,
    key: certs.server.keyPath,
    ...options,
  });
  running.push(server);
  return server;
}

function client(target: string, options: ConnectOptions): Socket {
  const socket = connect(target, options);
  sockets.push(socket);
  return socket;
}

describe.skipIf(opensslPeer.path === undefined)("sockit client against openssl s_server", () => {
  it("refuses the test CA with the default roots and accepts it with ca", async () => {
    const server = await sServer();
    expect(await tlsOutcome(client(`localhost:${server.port}`, { tls: true }))).toMatch(
      /^ERR_TLS_CERT /,
    );
    const socket = client(`localhost:${server.port}`, { tls: { ca: certs.ca.certPath } });
    expect((await socket.opened).tls?.authorized).toBe(true);
    socket.write("hello\n");
    expect((await socket.readLine({ timeout: 5000 })).toString()).toBe("olleh"); // s_server -rev
  });

  it("refuses 127.0.0.1 for a localhost-only certificate unless verifyHost names it", async () => {
    const server = await sServer();
    expect(
      await tlsOutcome(client(`127.0.0.1:${server.port}`, { tls: { ca: certs.ca.cert } })),
    ).toBe("ERR_TLS_CERT ERR_TLS_CERT_ALTNAME_INVALID");
    const named = client(`127.0.0.1:${server.port}`, {
      tls: { ca: certs.ca.cert, verifyHost: "localhost" },
    });
    expect((await named.opened).tls?.authorized).toBe(true);
  });

  it("connects with verify: false and warns once", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === "SOCKIT_TLS_NO_VERIFY") warnings.push(w.message);
    };
    process.on("warning", onWarning);
    try {
      const server = await sServer({
        cert: certs.selfSigned.certPath,
        key: certs.selfSigned.keyPath,
      });
      for (let i = 0; i < 2; i++) {
        const socket = client(`127.0.0.1:${server.port}`, { tls: { verify: false } });
        expect((await socket.opened).tls?.authorized).toBe(false);
        await socket.destroy();
      }
      await new Promise((r) => setImmediate(r));
      expect(warnings).toHaveLength(1);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("refuses an expired certificate with its reason", async () => {
    const server = await sServer({ cert: certs.expired.certPath, key: certs.expired.keyPath });
    expect(
      await tlsOutcome(client(`localhost:${server.port}`, { tls: { ca: certs.ca.cert } })),
    ).toBe(`ERR_TLS_CERT ${EXPIRED_REASON}`);
  });

  it("is refused without a client certificate when the server demands one (-Verify), accepted with", async () => {
    const server = await sServer({ CAfile: certs.ca.certPath, verify: "require" });
    const without = client(`localhost:${server.port}`, { tls: { ca: certs.ca.cert } });
    const refused = await without.opened
      .then(() => without.readLine({ timeout: 5000 }))
      .then(
        () => "read",
        (e: TlsError) => e.code,
      );
    expect(refused).toBe("ERR_TLS_CERT");
    const withCert = client(`localhost:${server.port}`, {
      tls: { ca: certs.ca.cert, cert: certs.client.certPath, key: certs.client.keyPath },
    });
    await withCert.opened;
    withCert.write("mutual\n");
    expect((await withCert.readLine({ timeout: 5000 })).toString()).toBe("lautum");
  });
});

describe.skipIf(opensslPeer.path === undefined)(
  "openssl s_client against a sockit TLS server",
  () => {
    it("verifies sockit's certificate and exchanges data", async () => {
      const server = await listen(
        "127.0.0.1:0",
        { tls: { cert: certs.server.certPath, key: certs.server.keyPath } },
        async (s) => {
          const line = (await s.readLine()).toString();
          await s.send(`sockit heard ${line}\n`);
          await s.close();
        },
      );
      servers.push(server);
      const result = await runOpensslClient({
        port: server.port ?? 0,
        servername: "localhost",
        verifyHostname: "localhost",
        CAfile: certs.ca.certPath,
        input: "over tls\n",
      });
      expect(result.established).toBe(true);
      expect(result.verified).toBe(true);
      expect(result.stdout).toContain("sockit heard over tls");
    });

    it("presents a client certificate that a sockit server requires", async () => {
      const server = await listen(
        "127.0.0.1:0",
        {
          tls: {
            cert: certs.server.certPath,
            key: certs.server.keyPath,
            ca: certs.ca.certPath,
            clientCertificate: "require",
          },
        },
        async (s) => {
          await s.send(`hello ${String(s.info().tls?.peerCertificate?.subject.CN)}\n`);
          await s.close();
        },
      );
      servers.push(server);
      const result = await runOpensslClient({
        port: server.port ?? 0,
        servername: "localhost",
        CAfile: certs.ca.certPath,
        cert: certs.client.certPath,
        key: certs.client.keyPath,
      });
      expect(result.stdout).toMatch(/^hello \S+/);
    });
  },
);

describe.skipIf(opensslPeer.path === undefined)(
  "sockit connect --tls against openssl s_server",
  () => {
    it("verifies with --ca and carries bytes both ways", async () => {
      const server = await sServer();
      const result = await runCli(
        ["connect", "--tls", "--ca", certs.ca.certPath, `localhost:${server.port}`],
        "abc\n",
      );
      expect(result.stdout.toString()).toBe("cba\n");
      expect(result.code).toBe(0);
    });

    it("prints one line naming the certificate error and exits 1", async () => {
      const server = await sServer();
      const result = await runCli(["connect", "--tls", `localhost:${server.port}`], "");
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^sockit: ERR_TLS_CERT \S+ localhost:\d+\n$/);
    });
  },
);
