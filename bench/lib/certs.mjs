// W6/W7 certificates: a CA and a server certificate for "localhost", made with the openssl CLI.

import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { which } from "./environment.mjs";

// A CA and a server certificate for "localhost", EC P-256, made with the openssl CLI into a
// temporary folder at the start of a run that has W6 or W7 (removed at exit). The processes
// get the folder as SOCKIT_BENCH_TLS: the servers load server.pem/server.key, the clients
// trust only ca.pem and check the name "localhost" while they connect to 127.0.0.1.
// OPENSSL_CONF points both sides (sockit and node-tls alike) at openssl.cnf, which sets
// NumTickets = 0: servers send no TLS 1.3 session ticket, so no client could resume, and no
// client offers a session (neither tls.connect() nor sockit's connect() is given one): every
// W7 handshake is a full one (ECDHE + certificate + signature). node-tls's client counts the
// tickets it receives and the resumed handshakes, and the runner checks both are 0.
const OPENSSL_CNF = `# sockit bench: no TLS session tickets (Node reads the nodejs_conf section of OPENSSL_CONF)
nodejs_conf = nodejs_init
[nodejs_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = tls_defaults
[tls_defaults]
NumTickets = 0
`;

export const tlsEnv = (dir) => ({
  SOCKIT_BENCH_TLS: dir,
  OPENSSL_CONF: path.join(dir, "openssl.cnf"),
});

export function makeCerts(dir) {
  if (!which("openssl")) throw new Error("W6/W7 need the openssl command-line tool");
  const ssl = (...args) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  ssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-sha256",
    "-subj",
    "/CN=sockit bench CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  ssl(
    "req",
    "-new",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  fs.writeFileSync(
    path.join(dir, "server.ext"),
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n",
  );
  ssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-set_serial",
    `0x${crypto.randomBytes(8).toString("hex")}`,
    "-days",
    "2",
    "-sha256",
    "-extfile",
    "server.ext",
    "-out",
    "server.pem",
  );
  ssl("verify", "-CAfile", "ca.pem", "-verify_hostname", "localhost", "server.pem");
  fs.writeFileSync(path.join(dir, "openssl.cnf"), OPENSSL_CNF);
}

export function tempCerts() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sockit-bench-tls-"));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  makeCerts(dir);
  return dir;
}
