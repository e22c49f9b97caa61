import { describe, expect, it } from "vitest";
import { tlsReason, toTlsError } from "../src/tls.js";

function nodeError(code: string): Error {
  return Object.assign(new Error(`${code} from Node`), { code });
}

describe("TLS error mapping", () => {
  it("spells a peer's alert as Node 20 does, whatever the OpenSSL version (3.5 says SSL/TLS_ALERT)", () => {
    expect(tlsReason("ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE")).toBe(
      "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
    );
    expect(tlsReason("ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE")).toBe(
      "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
    );
    expect(tlsReason("ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")).toBe(
      "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
    );
    expect(tlsReason("CERT_HAS_EXPIRED")).toBe("CERT_HAS_EXPIRED");
  });

  it("spells a TLS 1.3 alert as OpenSSL does when Bun's BoringSSL says TLSV1_ALERT", () => {
    expect(tlsReason("ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED")).toBe(
      "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
    );
    expect(tlsReason("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA")).toBe("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA");
  });

  it("reports an OpenSSL 3.5 handshake alert with the same code and reason as OpenSSL 3.0", () => {
    const alert = nodeError("ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE");
    const error = toTlsError(alert, "127.0.0.1:443");
    expect(error).toMatchObject({
      code: "ERR_TLS_HANDSHAKE",
      reason: "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
      address: "127.0.0.1:443",
    });
    expect(error?.cause).toBe(alert);
  });

  it("tells a certificate failure from another handshake failure", () => {
    expect(toTlsError(nodeError("CERT_HAS_EXPIRED"), undefined)?.code).toBe("ERR_TLS_CERT");
    expect(toTlsError(nodeError("ERR_SSL_WRONG_VERSION_NUMBER"), undefined)?.code).toBe(
      "ERR_TLS_HANDSHAKE",
    );
    expect(toTlsError(nodeError("ECONNRESET"), undefined)).toBeUndefined();
  });
});
