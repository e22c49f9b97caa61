// A throwaway certificate for the TLS examples: a self-signed certificate for the name
// "localhost" (no IP address in it), made with the openssl command into a temporary folder.
// Not an example of its own; the secure-socket example imports it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** `{ cert, key }` as PEM text, for "localhost" only, valid for a day. Needs `openssl`. */
export function localhostCertificate() {
  const dir = mkdtempSync(join(tmpdir(), "sockit-example-"));
  try {
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
        ...["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
        ...["-addext", "subjectAltName=DNS:localhost"],
      ],
      { stdio: "ignore" },
    );
    return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
