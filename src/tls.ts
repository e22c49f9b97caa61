/**
 * TLS option mapping: sockit's options (LiveCode's "with/without verification", "for host",
 * `sslCertificates` files or folders, "using certificate and key"; hs.socket's `startTLS`)
 * to `node:tls`, the errors of a handshake to codes, and what `info().tls` reports.
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type ConnectionOptions,
  createSecureContext,
  type TlsOptions as NodeTlsServerOptions,
  type SecureContext,
  type TLSSocket,
} from "node:tls";
import { SocketError, TlsError } from "./errors.js";

/** Defined with every other error in `errors.ts`; re-exported for older imports. */
export { TlsError } from "./errors.js";

/**
 * PEM text (a string holding a `-----BEGIN …-----` line anywhere, so the human-readable
 * preamble that `openssl ca` and `openssl x509 -text` write before it is fine), or the path
 * of a PEM file or folder (any other string).
 */
export type PemSource = string | Buffer;

/** Options of a TLS client: `connect(target, { tls })` and `socket.startTLS()` on a client. */
export interface TlsClientOptions {
  /**
   * Verify the server's certificate chain and host name. `false` is LiveCode's "without
   * verification": any certificate is accepted, and sockit warns once per process.
   * @default true
   */
  verify?: boolean;
  /**
   * The name to send as SNI and to check the certificate against, instead of the host
   * connected to (LiveCode "with verification for host", hs.socket `peerName`): for a
   * connection through a proxy or to an IP address.
   * Default: the target's host name (none for an IP address, whose certificate must then
   * name the IP).
   */
  verifyHost?: string;
  /**
   * Trusted CAs: PEM text, or paths of PEM files and of folders of them (every `.pem`, `.crt`
   * and `.cer` file; LiveCode `sslCertificates`). They REPLACE Node's default roots; to
   * extend them, pass `[...tls.rootCertificates, mine]`. Files (here and in `cert`, `key`)
   * are read once per options object: reuse the object for many connections, pass a new
   * one to pick up rotated files.
   * Default: Node's bundled root store.
   */
  ca?: PemSource | readonly PemSource[];
  /** A client certificate (PEM text or path), for servers that ask for one. */
  cert?: PemSource;
  /** The certificate's private key (PEM text or path). */
  key?: PemSource;
  /** The key's passphrase. */
  passphrase?: string;
  /** ALPN protocols to offer, most preferred first (`["h2", "http/1.1"]`). */
  alpn?: readonly string[];
  /** The lowest TLS version accepted. @default "TLSv1.2" */
  minVersion?: "TLSv1.2" | "TLSv1.3";
  /** Milliseconds for the handshake, then `ERR_TLS_HANDSHAKE_TIMEOUT`. @default 10000 */
  handshakeTimeout?: number;
}

/** A certificate and key for one server name (SNI). */
export interface TlsIdentity {
  /** The certificate chain, leaf first (PEM text or a file). */
  cert: PemSource;
  /** The private key of `cert` (PEM text or a file). */
  key: PemSource;
  /** The passphrase of an encrypted `key`. */
  passphrase?: string;
}

/** Options of a TLS server: `listen(target, { tls })` and `socket.startTLS()` on a server side. */
export interface TlsServerOptions extends TlsIdentity {
  /**
   * Client certificates: `"none"`; `"request"` one (the connection goes on without or with an
   * unverified one: check `info().tls.authorized`); `"require"` a valid one, verified
   * against `ca`. @default "none"
   */
  clientCertificate?: "none" | "request" | "require";
  /** CAs that client certificates must chain to (PEM text, files or folders). */
  ca?: PemSource | readonly PemSource[];
  /** More identities by server name (SNI): a map, or a function that may return none. */
  sni?: Readonly<Record<string, TlsIdentity>> | ((servername: string) => TlsIdentity | undefined);
  /** ALPN protocols the server accepts, most preferred first. */
  alpn?: readonly string[];
  /** The lowest TLS version accepted. @default "TLSv1.2" */
  minVersion?: "TLSv1.2" | "TLSv1.3";
  /** Milliseconds for a client's handshake before it is dropped. @default 10000 */
  handshakeTimeout?: number;
}

/** What `info().tls` reports about an established TLS connection. */
export interface TlsInfo {
  /** The negotiated protocol version (`"TLSv1.3"`). */
  protocol: string | undefined;
  /** The cipher suite's standard name. */
  cipher: string | undefined;
  /** The ALPN protocol agreed on, or undefined. */
  alpn: string | undefined;
  /** Whether the peer's certificate was verified. */
  authorized: boolean;
  /** Why it was not, when it was not (an OpenSSL code such as `DEPTH_ZERO_SELF_SIGNED_CERT`). */
  authorizationError: string | undefined;
  /** The peer's certificate, when it sent one. */
  peerCertificate: PeerCertificate | undefined;
}

/** The parts of a peer certificate a program checks. */
export interface PeerCertificate {
  /** Subject fields, e.g. `{ CN: "localhost" }`. */
  subject: Readonly<Record<string, string | string[] | undefined>>;
  /** Issuer fields. */
  issuer: Readonly<Record<string, string | string[] | undefined>>;
  /** Subject alternative names as OpenSSL prints them (`"DNS:localhost"`). */
  subjectAltName: string | undefined;
  /** Start of validity. */
  validFrom: Date;
  /** End of validity. */
  validTo: Date;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
}

/** The default `handshakeTimeout` of TLS clients, servers and `startTLS()`: 10,000 ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** A PEM boundary line: what tells PEM text from a path. */
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]+-----/;

/**
 * Reads PEM text or a path; a folder yields every certificate file in it. Error messages
 * name a path only when the string could be one: key or certificate material never
 * reaches a message.
 */
function loadPem(source: PemSource, what: string): Buffer[] {
  if (Buffer.isBuffer(source)) return [source];
  if (typeof source !== "string") {
    throw new SocketError("ERR_INVALID_ARGUMENT", `${what}: PEM text, a path or a Buffer`);
  }
  if (PEM_BEGIN.test(source)) return [Buffer.from(source)];
  try {
    if (statSync(source).isDirectory()) {
      const files = readdirSync(source)
        .filter((f) => /\.(pem|crt|cer)$/i.test(f))
        .sort();
      return files.map((f) => readFileSync(join(source, f)));
    }
    return [readFileSync(source)];
  } catch (cause) {
    if (!couldBePath(source)) {
      // Not PEM and not a path: the cause (Node's ENOENT) would repeat the text, so it goes.
      throw new SocketError("ERR_INVALID_ARGUMENT", `${what}: neither PEM text nor a file path`);
    }
    throw new SocketError("ERR_INVALID_ARGUMENT", `cannot read ${what} from ${source}`, { cause });
  }
}

/** Whether a string that is not PEM may be shown as a path (one line, path-sized). */
function couldBePath(source: string): boolean {
  return source.length <= 4096 && !/[\r\n]/.test(source);
}

function loadOne(source: PemSource, what: string): Buffer {
  const [pem] = loadPem(source, what);
  if (pem === undefined) {
    const where = typeof source === "string" && couldBePath(source) ? ` in ${source}` : "";
    throw new SocketError("ERR_INVALID_ARGUMENT", `no ${what} found${where}`);
  }
  return pem;
}

function loadCa(ca: PemSource | readonly PemSource[] | undefined): Buffer[] | undefined {
  if (ca === undefined) return undefined;
  const list = Array.isArray(ca) ? (ca as readonly PemSource[]) : [ca as PemSource];
  return list.flatMap((source) => loadPem(source, "CA certificates"));
}

let warnedNoVerify = false;

/** LiveCode's "without verification" is allowed, but said out loud once per process. */
function warnNoVerify(): void {
  if (warnedNoVerify) return;
  warnedNoVerify = true;
  process.emitWarning(
    "TLS certificate verification is disabled (verify: false): any server is accepted",
    { code: "SOCKIT_TLS_NO_VERIFY" },
  );
}

/**
 * `node:tls` options for a client. `host` is the target's host: the SNI and identity name
 * unless `verifyHost` is given.
 */
export function clientTlsOptions(
  options: TlsClientOptions,
  host: string | undefined,
): ConnectionOptions {
  const verify = options.verify ?? true;
  if (!verify) warnNoVerify();
  const servername =
    options.verifyHost ?? (host !== undefined && !isIpLiteral(host) ? host : undefined);
  const out: ConnectionOptions = {
    rejectUnauthorized: verify,
    secureContext: clientContext(options),
  };
  if (servername !== undefined) out.servername = servername;
  if (options.alpn !== undefined) out.ALPNProtocols = [...options.alpn];
  return out;
}

/** One context per options object: CA and identity files are read, and parsed, once. */
const clientContexts = new WeakMap<TlsClientOptions, SecureContext>();

/**
 * The CA roots, client identity and minimum version of `options` as a `SecureContext`,
 * made once per options object and reused by every connection given the same object (as
 * Node's HTTPS agent does): a full handshake no longer pays for reading and parsing them.
 * A new options object reads the files again (after a certificate rotation, say).
 */
function clientContext(options: TlsClientOptions): SecureContext {
  let context = clientContexts.get(options);
  if (context === undefined) {
    const settings: Parameters<typeof createSecureContext>[0] = {
      minVersion: options.minVersion ?? "TLSv1.2",
    };
    const ca = loadCa(options.ca);
    if (ca !== undefined) settings.ca = ca;
    if (options.cert !== undefined) settings.cert = loadOne(options.cert, "certificate");
    if (options.key !== undefined) settings.key = loadOne(options.key, "private key");
    if (options.passphrase !== undefined) settings.passphrase = options.passphrase;
    try {
      context = createSecureContext(settings);
    } catch (cause) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `bad TLS certificate or key: ${String(cause)}`,
        { cause },
      );
    }
    clientContexts.set(options, context);
  }
  return context;
}

function identityContext(identity: TlsIdentity): SecureContext {
  const context: Parameters<typeof createSecureContext>[0] = {
    cert: loadOne(identity.cert, "certificate"),
    key: loadOne(identity.key, "private key"),
  };
  if (identity.passphrase !== undefined) context.passphrase = identity.passphrase;
  return createSecureContext(context);
}

/** `node:tls` options for a server (or the server side of a STARTTLS upgrade). */
export function serverTlsOptions(options: TlsServerOptions): NodeTlsServerOptions {
  const mode = options.clientCertificate ?? "none";
  const out: NodeTlsServerOptions = {
    cert: loadOne(options.cert, "certificate"),
    key: loadOne(options.key, "private key"),
    requestCert: mode !== "none",
    rejectUnauthorized: mode === "require",
    minVersion: options.minVersion ?? "TLSv1.2",
    handshakeTimeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
  };
  if (options.passphrase !== undefined) out.passphrase = options.passphrase;
  const ca = loadCa(options.ca);
  if (ca !== undefined) out.ca = ca;
  if (options.alpn !== undefined) out.ALPNProtocols = [...options.alpn];
  const sni = options.sni;
  if (sni !== undefined) {
    const contexts = new Map<string, SecureContext>();
    const lookup = (name: string): SecureContext | undefined => {
      if (!contexts.has(name)) {
        const identity = typeof sni === "function" ? sni(name) : sni[name];
        if (identity !== undefined) contexts.set(name, identityContext(identity));
      }
      return contexts.get(name);
    };
    out.SNICallback = (name, done) => {
      try {
        done(null, lookup(name)); // undefined: the default identity
      } catch (error) {
        done(error as Error, undefined);
      }
    };
  }
  return out;
}

function isIpLiteral(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(":");
}

/** OpenSSL verification results and peer alerts that are about certificates. */
const CERTIFICATE = /CERT|UNKNOWN_CA|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|HOSTNAME/;

/**
 * A TLS failure as a {@link TlsError}: `ERR_TLS_CERT` for a certificate problem (self-signed,
 * unknown CA, expired, wrong host name, a client certificate required or refused), else
 * `ERR_TLS_HANDSHAKE`; Node's code is kept as `reason`, the original as `cause`.
 */
export function toTlsError(error: unknown, address: string | undefined): SocketError | undefined {
  const code = tlsCode(error);
  if (code === undefined) return undefined;
  const tlsish =
    CERTIFICATE.test(code) || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_");
  if (!tlsish) return undefined;
  const kind =
    code === "ERR_TLS_HANDSHAKE_TIMEOUT"
      ? "ERR_TLS_HANDSHAKE_TIMEOUT"
      : CERTIFICATE.test(code)
        ? "ERR_TLS_CERT"
        : "ERR_TLS_HANDSHAKE";
  const message = `${(error as Error).message ?? code}${address === undefined ? "" : ` (${address})`}`;
  return new TlsError(kind, tlsReason(code), message, error, address);
}

/**
 * The error's code, or Node's code for Deno's server handshake timeout, which comes without
 * one (an `Error` whose message is Node's, "TLS handshake timeout").
 */
function tlsCode(error: unknown): string | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string") return code;
  return message === "TLS handshake timeout" ? "ERR_TLS_HANDSHAKE_TIMEOUT" : undefined;
}

/**
 * Node's TLS code as a `reason` that does not depend on the TLS library under the runtime:
 * OpenSSL 3.5 (in Node 22.23 and 24.21, say) names a peer's alert `ERR_SSL_SSL/TLS_ALERT_…`
 * where OpenSSL 3.0 (Node 20) says `ERR_SSL_SSLV3_ALERT_…`, and BoringSSL (Bun) names the
 * TLS 1.3 alerts `ERR_SSL_TLSV1_ALERT_…` where OpenSSL says `ERR_SSL_TLSV13_ALERT_…`. sockit
 * reports OpenSSL 3.0's names.
 */
export function tlsReason(code: string): string {
  if (code.startsWith(OPENSSL_35_ALERT)) {
    return `ERR_SSL_SSLV3_ALERT_${code.slice(OPENSSL_35_ALERT.length)}`;
  }
  return BORINGSSL_TLS13_ALERTS[code] ?? code;
}

const OPENSSL_35_ALERT = "ERR_SSL_SSL/TLS_ALERT_";
const BORINGSSL_TLS13_ALERTS: Readonly<Record<string, string>> = {
  ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
  ERR_SSL_TLSV1_ALERT_MISSING_EXTENSION: "ERR_SSL_TLSV13_ALERT_MISSING_EXTENSION",
};

/** Reads `info().tls` off an established TLS socket. */
export function tlsInfo(socket: TLSSocket): TlsInfo {
  const peer = socket.getPeerCertificate();
  const hasPeer = peer !== null && typeof peer === "object" && Object.keys(peer).length > 0;
  const error = socket.authorizationError as unknown;
  return {
    protocol: socket.getProtocol() ?? undefined,
    cipher: socket.getCipher()?.standardName,
    alpn: typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : undefined,
    authorized: socket.authorized,
    authorizationError:
      error === null || error === undefined ? undefined : String((error as Error).message ?? error),
    peerCertificate: hasPeer
      ? {
          subject: { ...peer.subject },
          issuer: { ...peer.issuer },
          subjectAltName: peer.subjectaltname,
          validFrom: new Date(peer.valid_from),
          validTo: new Date(peer.valid_to),
          fingerprint256: peer.fingerprint256,
        }
      : undefined,
  };
}
