/**
 * STARTTLS against a real server: PostgreSQL's SSLRequest (8 bytes, then the server's `S`,
 * then the TLS handshake on the same connection), on a throwaway cluster made with initdb.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type TlsError } from "../../src/index.js";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
} from "../helpers/certs.js";
import {
  type PostgresServer,
  postgresPeer,
  SSL_REQUEST,
  startPostgres,
  startupMessage,
} from "../helpers/postgres.js";

const skip = opensslPeer.path === undefined || postgresPeer.skipReason !== undefined;

describe.skipIf(skip)("STARTTLS with PostgreSQL's SSLRequest", () => {
  let certs: Certificates;
  let postgres: PostgresServer;

  beforeAll(async () => {
    certs = await makeCertificates();
    postgres = await startPostgres(certs);
  }, 30_000);

  afterAll(async () => {
    await postgres?.stop();
    await cleanupCertificates();
  });

  it("upgrades after the server's S and speaks the protocol over verified TLS", async () => {
    const socket = connect(`localhost:${postgres.port}`);
    socket.write(SSL_REQUEST);
    expect((await socket.readBytes(1, { timeout: 5000 })).toString()).toBe("S");
    const info = await socket.startTLS({ ca: certs.ca.cert });
    expect(info.tls).toMatchObject({ authorized: true });
    expect(info.tls?.peerCertificate?.fingerprint256).toBe(certs.server.fingerprint256);
    socket.write(startupMessage());
    const auth = await socket.readBytes(9, { timeout: 5000 }); // 'R', length 8, AuthenticationOk 0
    expect(auth.toString("hex")).toBe("520000000800000000");
    await socket.destroy();
  });

  it("refuses the server's certificate when its CA is not trusted", async () => {
    const socket = connect(`localhost:${postgres.port}`);
    socket.write(SSL_REQUEST);
    await socket.readBytes(1, { timeout: 5000 });
    const failure = await socket.startTLS({ ca: certs.otherCa.cert }).then(
      () => "secure",
      (e: TlsError) => `${e.code} ${e.reason}`,
    );
    expect(failure).toBe("ERR_TLS_CERT UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect((await socket.closed).hadError).toBe(true);
  });
});
