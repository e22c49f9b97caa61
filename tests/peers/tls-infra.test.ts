/**
 * Checks the TLS test infrastructure (tests/helpers/certs.ts, openssl.ts, postgres.ts) with
 * raw `node:tls` and `node:net` only, no sockit code: the generated certificates, `openssl
 * s_server` and `s_client`, and a throwaway PostgreSQL cluster as a real STARTTLS server.
 *
 * It also records the exact error Node reports for each certificate failure (code, message,
 * and whether it came during the handshake or only after it) and prints them after the
 * tests, as the reference for sockit's `ERR_TLS_CERT` reasons.
 */
import { type Socket as NetSocket, connect as netConnect } from "node:net";
import {
  type ConnectionOptions,
  createServer as createTlsServer,
  type PeerCertificate,
  type TLSSocket,
  type Server as TlsServer,
  connect as tlsConnect,
} from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
} from "../helpers/certs.js";
import {
  type OpensslServer,
  type OpensslServerOptions,
  runOpensslClient,
  startOpensslServer,
} from "../helpers/openssl.js";
import { canConnect } from "../helpers/peers.js";
import {
  type PostgresServer,
  postgresPeer,
  SSL_REQUEST,
  startPostgres,
  startupMessage,
} from "../helpers/postgres.js";
import { EXPIRED_REASON } from "../helpers/runtime.js";

/** Every wait on a socket in this file gives up after this long. */
const WAIT = 5000;

/** The error Node reported for one failure case. */
interface ObservedError {
  code: string | undefined;
  message: string;
  /** `error.reason`, set by checkServerIdentity on host-name failures. */
  reason: string | undefined;
  /** "handshake" when no secureConnect came first, else "after secureConnect". */
  phase: "handshake" | "after secureConnect";
}

/** What one raw node:tls client connection saw. */
interface TlsOutcome {
  secureConnected: boolean;
  authorized: boolean;
  authorizationError: string | undefined;
  protocol: string | null;
  alpnProtocol: string | false | null;
  peer: PeerCertificate | undefined;
  /** What came back for `send` (up to and including the first newline). */
  reply: string;
  error: ObservedError | undefined;
}

const observed: { case: string; error: ObservedError }[] = [];

function record(name: string, outcome: TlsOutcome): ObservedError {
  if (outcome.error === undefined) {
    throw new Error(`${name}: expected an error, the connection succeeded`);
  }
  observed.push({ case: name, error: outcome.error });
  return outcome.error;
}

function describeError(error: unknown, phase: ObservedError["phase"]): ObservedError {
  const fields = error as { code?: unknown; message?: unknown; reason?: unknown };
  return {
    code: typeof fields.code === "string" ? fields.code : undefined,
    message: typeof fields.message === "string" ? fields.message : String(error),
    reason: typeof fields.reason === "string" ? fields.reason : undefined,
    phase,
  };
}

/**
 * Connects with raw node:tls (default `rejectUnauthorized: true`), sends `send` once the
 * handshake is done (when given) and waits for one line back. Resolves on the reply, an
 * error, or the close; rejects only after {@link WAIT} ms of silence.
 */
function tlsAttempt(options: ConnectionOptions, send?: string): Promise<TlsOutcome> {
  return new Promise<TlsOutcome>((resolve, reject) => {
    const outcome: TlsOutcome = {
      secureConnected: false,
      authorized: false,
      authorizationError: undefined,
      protocol: null,
      alpnProtocol: null,
      peer: undefined,
      reply: "",
      error: undefined,
    };
    const socket: TLSSocket = tlsConnect(options);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply, error or close within ${WAIT} ms: ${JSON.stringify(outcome)}`));
    }, WAIT);
    socket.setEncoding("utf8");
    socket.once("secureConnect", () => {
      outcome.secureConnected = true;
      outcome.authorized = socket.authorized;
      const authorizationError = socket.authorizationError as unknown;
      outcome.authorizationError =
        authorizationError instanceof Error
          ? authorizationError.message
          : typeof authorizationError === "string"
            ? authorizationError
            : undefined;
      outcome.protocol = socket.getProtocol();
      outcome.alpnProtocol = socket.alpnProtocol;
      outcome.peer = socket.getPeerCertificate();
      if (send === undefined) finish();
      else socket.write(send);
    });
    socket.on("data", (text: string) => {
      outcome.reply += text;
      if (outcome.reply.includes("\n")) finish();
    });
    socket.once("error", (error) => {
      outcome.error = describeError(
        error,
        outcome.secureConnected ? "after secureConnect" : "handshake",
      );
      finish();
    });
    socket.once("close", finish);
  });
}

describe.skipIf(opensslPeer.path === undefined)("TLS test infrastructure, raw node:tls", () => {
  let certs: Certificates;
  const servers: OpensslServer[] = [];

  async function server(options: Partial<OpensslServerOptions> = {}): Promise<OpensslServer> {
    const started = await startOpensslServer({
      cert: certs.server.certPath,
      key: certs.server.keyPath,
      ...options,
    });
    servers.push(started);
    return started;
  }

  /** Options to reach `s` as host 127.0.0.1, with SNI and identity check on `localhost`. */
  function at(s: OpensslServer, extra: ConnectionOptions = {}): ConnectionOptions {
    return { host: s.host, port: s.port, servername: "localhost", ...extra };
  }

  beforeAll(async () => {
    const started = Date.now();
    certs = await makeCertificates();
    console.log(`certificates generated in ${Date.now() - started} ms into ${certs.dir}`);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await cleanupCertificates();
    const lines = observed.map(
      ({ case: name, error }) =>
        `  ${name}\n    code=${error.code} phase=${error.phase}\n    message=${JSON.stringify(error.message)}` +
        (error.reason === undefined ? "" : `\n    reason=${JSON.stringify(error.reason)}`),
    );
    console.log(`Node ${process.version} TLS errors observed:\n${lines.join("\n")}`);
  });

  describe("certificates", () => {
    it("are cached per file, with the documented names and validity", async () => {
      expect(await makeCertificates()).toBe(certs);
      expect(certs.server.cert).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(certs.server.key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(certs.clientEncryptedKey.key).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      expect(certs.caBundle.pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
      const { X509Certificate } = await import("node:crypto");
      const server = new X509Certificate(certs.server.cert);
      expect(server.subjectAltName).toBe("DNS:localhost");
      expect(server.checkIssued(new X509Certificate(certs.ca.cert))).toBe(true);
      expect(server.fingerprint256).toBe(certs.server.fingerprint256);
      const expired = new X509Certificate(certs.expired.cert);
      expect(new Date(expired.validTo).getTime()).toBe(certs.expiredValidity.notAfter.getTime());
      expect(new X509Certificate(certs.other.cert).subjectAltName).toBe("DNS:other.test");
      const selfSigned = new X509Certificate(certs.selfSigned.cert);
      expect(selfSigned.checkIssued(selfSigned)).toBe(true);
    });
  });

  describe("node:tls client against openssl s_server", () => {
    it.each(["1.2", "1.3"] as const)(
      "(a) the test CA verifies the localhost certificate, TLS %s",
      async (tlsVersion) => {
        const s = await server({ tlsVersion });
        const outcome = await tlsAttempt(at(s, { ca: certs.ca.cert }), "hello sockit\n");
        expect(outcome.error).toBeUndefined();
        expect(outcome.authorized).toBe(true);
        expect(outcome.protocol).toBe(tlsVersion === "1.2" ? "TLSv1.2" : "TLSv1.3");
        expect(outcome.peer?.fingerprint256).toBe(certs.server.fingerprint256);
        expect(outcome.reply).toBe("tikcos olleh\n"); // -rev: each line reversed
      },
    );

    it("(a) a bundle with another CA first still verifies it", async () => {
      const s = await server();
      const outcome = await tlsAttempt(at(s, { ca: certs.caBundle.pem }));
      expect(outcome.error).toBeUndefined();
      expect(outcome.authorized).toBe(true);
    });

    it("(b) the default roots refuse the test CA: leaf only, and leaf + CA chain", async () => {
      const leafOnly = await tlsAttempt(at(await server()));
      const leaf = record(
        "untrusted CA, default roots, server sends its certificate only",
        leafOnly,
      );
      expect(leaf.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
      expect(leaf.phase).toBe("handshake");
      const withChain = await tlsAttempt(at(await server({ chain: certs.ca.certPath })));
      const chain = record("untrusted CA, default roots, server sends leaf + CA", withChain);
      expect(chain.code).toBe("SELF_SIGNED_CERT_IN_CHAIN");
    });

    it("(b) an unrelated CA (`ca` set to another root) refuses it too", async () => {
      const outcome = await tlsAttempt(at(await server(), { ca: certs.otherCa.cert }));
      const error = record("unknown CA (ca = another root), server sends leaf only", outcome);
      expect(error.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    });

    it("(b) a self-signed server certificate is refused, unless it is the `ca`", async () => {
      const s = await server({ cert: certs.selfSigned.certPath, key: certs.selfSigned.keyPath });
      const error = record("self-signed server certificate", await tlsAttempt(at(s)));
      expect(error.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
      const pinned = await tlsAttempt(at(s, { ca: certs.selfSigned.cert }));
      expect(pinned.error).toBeUndefined();
      expect(pinned.authorized).toBe(true);
    });

    it("(c) the expired certificate is refused with CERT_HAS_EXPIRED", async () => {
      const s = await server({ cert: certs.expired.certPath, key: certs.expired.keyPath });
      const error = record("expired", await tlsAttempt(at(s, { ca: certs.ca.cert })));
      expect(error.code).toBe(EXPIRED_REASON);
      expect(error.phase).toBe("handshake");
    });

    it("a certificate for localhost fails the host check on 127.0.0.1 and on another name", async () => {
      const s = await server();
      const byIp = await tlsAttempt({ host: s.host, port: s.port, ca: certs.ca.cert });
      const ip = record("wrong host: 127.0.0.1 (no servername) vs DNS:localhost", byIp);
      expect(ip.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
      const byName = await tlsAttempt(at(s, { ca: certs.ca.cert, servername: "other.test" }));
      const name = record("wrong host: servername other.test vs DNS:localhost", byName);
      expect(name.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    });

    it.each(["1.2", "1.3"] as const)(
      "(d) -Verify refuses a client without a certificate, TLS %s",
      async (tlsVersion) => {
        const s = await server({ verify: "require", CAfile: certs.ca.certPath, tlsVersion });
        const outcome = await tlsAttempt(at(s, { ca: certs.ca.cert }), "hello\n");
        const error = record(`client certificate required, none sent, TLS ${tlsVersion}`, outcome);
        if (tlsVersion === "1.3") {
          // The client finishes its side of a TLS 1.3 handshake before the server has checked
          // its (empty) Certificate: secureConnect fires, the alert comes on the first read.
          // Raw node:tls: Bun's BoringSSL says TLSV1_ALERT (sockit's reason is TLSV13 on both).
          expect(error.code).toMatch(/^ERR_SSL_TLSV13?_ALERT_CERTIFICATE_REQUIRED$/);
          expect(error.phase).toBe("after secureConnect");
        } else {
          // Raw node:tls: OpenSSL 3.5 (Node 22.23, 24.21) spells the alert SSL/TLS_ALERT, 3.0
          // (Node 20) and BoringSSL (Bun) SSLV3_ALERT. sockit's reason is the same on all
          // (tests/tls.test.ts).
          expect(error.code).toMatch(/^ERR_SSL_(SSLV3|SSL\/TLS)_ALERT_HANDSHAKE_FAILURE$/);
          expect(error.phase).toBe("handshake");
        }
      },
    );

    it.each(["1.2", "1.3"] as const)(
      "(d) -Verify refuses a client certificate from an unknown CA, TLS %s",
      async (tlsVersion) => {
        const s = await server({ verify: "require", CAfile: certs.otherCa.certPath, tlsVersion });
        const outcome = await tlsAttempt(
          at(s, { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key }),
          "hello\n",
        );
        const error = record(
          `client certificate from a CA the server does not trust, TLS ${tlsVersion}`,
          outcome,
        );
        expect(error.code).toBe("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA");
        expect(error.phase).toBe(tlsVersion === "1.3" ? "after secureConnect" : "handshake");
      },
    );

    it.each(["1.2", "1.3"] as const)(
      "(d) -Verify accepts the client certificate, TLS %s",
      async (tlsVersion) => {
        const s = await server({ verify: "require", CAfile: certs.ca.certPath, tlsVersion });
        const outcome = await tlsAttempt(
          at(s, { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key }),
          "mutual\n",
        );
        expect(outcome.error).toBeUndefined();
        expect(outcome.authorized).toBe(true);
        expect(outcome.reply).toBe("lautum\n");
      },
    );

    it("(d) the encrypted client key works with its passphrase", async () => {
      const s = await server({ verify: "require", CAfile: certs.ca.certPath });
      const outcome = await tlsAttempt(
        at(s, {
          ca: certs.ca.cert,
          cert: certs.client.cert,
          key: certs.clientEncryptedKey.key,
          passphrase: certs.clientEncryptedKey.passphrase,
        }),
        "pass\n",
      );
      expect(outcome.error).toBeUndefined();
      expect(outcome.reply).toBe("ssap\n");
    });

    it("without rejectUnauthorized the handshake completes and authorizationError keeps the code", async () => {
      const expired = await server({ cert: certs.expired.certPath, key: certs.expired.keyPath });
      const good = await server();
      const cases: [string, ConnectionOptions, string][] = [
        ["expired", at(expired, { ca: certs.ca.cert }), EXPIRED_REASON],
        ["untrusted CA", at(good), "UNABLE_TO_VERIFY_LEAF_SIGNATURE"],
        [
          "wrong host",
          { host: good.host, port: good.port, ca: certs.ca.cert },
          "ERR_TLS_CERT_ALTNAME_INVALID",
        ],
      ];
      const seen: string[] = [];
      for (const [name, options, code] of cases) {
        const outcome = await tlsAttempt({ ...options, rejectUnauthorized: false }, "ok\n");
        expect(outcome.error).toBeUndefined();
        expect(outcome.authorized).toBe(false);
        expect(outcome.authorizationError).toBe(code);
        expect(outcome.reply).toBe("ko\n");
        seen.push(`${name}: authorizationError=${outcome.authorizationError}`);
      }
      console.log(`rejectUnauthorized: false → ${seen.join("; ")}`);
    });

    it("SNI: a ClientHello naming other.test gets the other.test certificate", async () => {
      const s = await server({
        sni: { name: "other.test", cert: certs.other.certPath, key: certs.other.keyPath },
      });
      const other = await tlsAttempt(at(s, { ca: certs.ca.cert, servername: "other.test" }));
      expect(other.error).toBeUndefined();
      expect(other.authorized).toBe(true);
      expect(other.peer?.subject.CN).toBe("other.test");
      const local = await tlsAttempt(at(s, { ca: certs.ca.cert }));
      expect(local.error).toBeUndefined();
      expect(local.peer?.subject.CN).toBe("localhost");
    });

    it("ALPN: the server's first protocol that the client offers is chosen", async () => {
      const s = await server({ alpn: ["h2", "http/1.1"] });
      const offered = await tlsAttempt(
        at(s, { ca: certs.ca.cert, ALPNProtocols: ["sockit/1", "http/1.1"] }),
      );
      expect(offered.error).toBeUndefined();
      expect(offered.alpnProtocol).toBe("http/1.1");
      const none = await tlsAttempt(at(s, { ca: certs.ca.cert }));
      expect(none.alpnProtocol).toBe(false);
    });

    it("a bare TCP connect uses up a -naccept 1 server (why readiness waits for ACCEPT)", async () => {
      const s = await server({ naccept: 1 });
      expect(await canConnect(s.host, s.port)).toBe(true);
      const deadline = Date.now() + WAIT;
      while (!s.process.exited() && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(s.process.exited()).toBe(true);
    });

    it("-www answers GET / with its status page", async () => {
      const s = await server({ mode: "www" });
      const outcome = await tlsAttempt(at(s, { ca: certs.ca.cert }), "GET / HTTP/1.0\r\n\r\n");
      expect(outcome.error).toBeUndefined();
      expect(outcome.reply).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
    });
  });

  describe("(e) openssl s_client against a node:tls server", () => {
    const tlsServers: TlsServer[] = [];
    afterAll(async () => {
      await Promise.all(tlsServers.map((s) => new Promise((resolve) => s.close(resolve))));
    });

    /** An echo server on 127.0.0.1 with the localhost certificate; resolves its port. */
    async function echoServer(options: { requestCert?: boolean } = {}): Promise<{
      port: number;
      peers: { authorized: boolean; cn: unknown; servername: unknown }[];
    }> {
      const peers: { authorized: boolean; cn: unknown; servername: unknown }[] = [];
      const s = createTlsServer({
        cert: certs.server.cert,
        key: certs.server.key,
        // Only to verify client certificates: with `ca` set, Node also sends the CA after
        // the leaf (it builds the chain), which changes what an unverifying client reports.
        ...(options.requestCert === true ? { ca: certs.ca.cert } : {}),
        requestCert: options.requestCert ?? false,
        rejectUnauthorized: options.requestCert ?? false,
      });
      s.on("secureConnection", (socket) => {
        peers.push({
          authorized: socket.authorized,
          cn: socket.getPeerCertificate().subject?.CN,
          servername: socket.servername,
        });
        socket.on("data", (data) => socket.write(data));
        socket.on("end", () => socket.end());
        socket.on("error", () => socket.destroy());
      });
      s.on("tlsClientError", () => {});
      tlsServers.push(s);
      await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
      const address = s.address();
      if (typeof address !== "object" || address === null) throw new Error("no address");
      return { port: address.port, peers };
    }

    it("s_client verifies the node server (CA + host name) and gets its bytes echoed", async () => {
      const { port, peers } = await echoServer();
      const result = await runOpensslClient({
        port,
        servername: "localhost",
        verifyHostname: "localhost",
        CAfile: certs.ca.certPath,
        input: "ping over tls\n",
        until: /ping over tls\n/,
      });
      expect(result.established, result.stderr).toBe(true);
      expect(result.verified, result.stderr).toBe(true);
      expect(result.matched).toBe(true);
      expect(result.protocol).toBe("TLSv1.3");
      expect(peers[0]?.servername).toBe("localhost");
    });

    it("s_client refuses a node server it cannot verify", async () => {
      const { port } = await echoServer();
      const unknownCa = await runOpensslClient({
        port,
        servername: "localhost",
        CAfile: certs.otherCa.certPath,
        input: "x\n",
      });
      expect(unknownCa.established).toBe(false);
      expect(unknownCa.code).not.toBe(0);
      expect(unknownCa.verifyError).toMatch(/^num=(20|21):/);
      const wrongHost = await runOpensslClient({
        port,
        servername: "localhost",
        verifyHostname: "other.test",
        CAfile: certs.ca.certPath,
        input: "x\n",
      });
      expect(wrongHost.code).not.toBe(0);
      expect(wrongHost.verifyError).toMatch(/^num=62:/);
      console.log(
        `s_client verify errors: unknown CA ${JSON.stringify(unknownCa.verifyError)}, wrong host ${JSON.stringify(wrongHost.verifyError)}`,
      );
    });

    it("s_client is stopped at its timeout when the server never closes", async () => {
      const { port } = await echoServer();
      const started = Date.now();
      const result = await runOpensslClient({
        port,
        servername: "localhost",
        CAfile: certs.ca.certPath,
        input: "stay\n",
        timeout: 500,
      });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(result.timedOut).toBe(true);
      expect(result.code).toBeNull();
      expect(result.verified).toBe(true);
      expect(result.stdout).toBe("stay\n");
    });

    it("mutual TLS: the node server sees s_client's certificate", async () => {
      const { port, peers } = await echoServer({ requestCert: true });
      const result = await runOpensslClient({
        port,
        servername: "localhost",
        verifyHostname: "localhost",
        CAfile: certs.ca.certPath,
        cert: certs.client.certPath,
        key: certs.client.keyPath,
        input: "mutual\n",
        until: /mutual\n/,
      });
      expect(result.verified, result.stderr).toBe(true);
      expect(result.matched).toBe(true);
      expect(peers[0]).toMatchObject({ authorized: true, cn: "sockit test client" });
    });
  });

  describe.skipIf(postgresPeer.bindir === undefined)("(f) PostgreSQL SSLRequest (STARTTLS)", () => {
    let postgres: PostgresServer | undefined;
    beforeAll(async () => {
      const started = Date.now();
      postgres = await startPostgres(certs);
      console.log(`postgres ready on 127.0.0.1:${postgres.port} in ${Date.now() - started} ms`);
    }, 60_000);
    afterAll(async () => {
      await postgres?.stop();
    });

    /** Sends the SSLRequest on a fresh TCP connection and resolves the socket once `S` came back. */
    function sslRequest(port: number): Promise<NetSocket> {
      return new Promise<NetSocket>((resolve, reject) => {
        const socket = netConnect({ host: "127.0.0.1", port });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`no answer to the SSLRequest within ${WAIT} ms`));
        }, WAIT);
        socket.once("error", (error) => {
          clearTimeout(timer);
          reject(error);
        });
        socket.once("connect", () => socket.write(SSL_REQUEST));
        socket.once("data", (data: Buffer) => {
          clearTimeout(timer);
          socket.pause();
          socket.removeAllListeners("error");
          if (data.length === 1 && data[0] === 0x53) resolve(socket);
          else {
            socket.destroy();
            reject(new Error(`SSLRequest answered ${data.toString("hex")}, not 53 ("S")`));
          }
        });
      });
    }

    it("answers S, then completes a verified handshake and authenticates over TLS", async () => {
      if (postgres === undefined) throw new Error("postgres did not start");
      const socket = await sslRequest(postgres.port);
      const secure = tlsConnect({ socket, servername: "localhost", ca: certs.ca.cert });
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("no TLS handshake")), WAIT);
          secure.once("secureConnect", () => {
            clearTimeout(timer);
            resolve();
          });
          secure.once("error", (error) => {
            clearTimeout(timer);
            reject(error);
          });
        });
        expect(secure.authorized).toBe(true);
        expect(secure.getProtocol()).toBe("TLSv1.3");
        expect(secure.getPeerCertificate().fingerprint256).toBe(certs.server.fingerprint256);
        // The application protocol runs inside TLS: a StartupMessage gets AuthenticationOk.
        secure.write(startupMessage());
        const first = await new Promise<Buffer>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error("no answer to the StartupMessage")),
            WAIT,
          );
          secure.once("data", (data: Buffer) => {
            clearTimeout(timer);
            resolve(data);
          });
        });
        expect(first.subarray(0, 9).toString("hex")).toBe("520000000800000000");
      } finally {
        secure.destroy();
      }
    });

    it("the STARTTLS handshake refuses an unknown CA", async () => {
      if (postgres === undefined) throw new Error("postgres did not start");
      const socket = await sslRequest(postgres.port);
      const outcome = await tlsAttempt({ socket, servername: "localhost", ca: certs.otherCa.cert });
      const error = record("STARTTLS (PostgreSQL) with an unknown CA", outcome);
      expect(error.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    });
  });
});
