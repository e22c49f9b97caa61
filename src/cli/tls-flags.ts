/**
 * The TLS flags of `connect`, `send` and `listen`: `--tls`, `--insecure`, `--verify-host NAME`,
 * `--ca PATH`, `--cert PATH --key PATH`, mapped to the library's TLS options.
 *
 * @module
 */
import {
  type ConnectOptions,
  SocketError,
  type SocketInfo,
  type TlsClientOptions,
  type TlsServerOptions,
} from "../index.js";

/**
 * The TLS flags as commander parses them. Flags that do not fit together are bad usage:
 * `ERR_INVALID_ARGUMENT`, which the command reports with exit code 2.
 */
export interface TlsFlags {
  tls?: boolean;
  insecure?: boolean;
  verifyHost?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * Client TLS options, or undefined for plaintext. `--insecure`, `--verify-host`, `--ca` and
 * `--cert` each imply `--tls`.
 */
export function clientTls(flags: TlsFlags): TlsClientOptions | undefined {
  const wanted = flags.tls || flags.insecure || flags.verifyHost || flags.ca || flags.cert;
  if (!wanted) return undefined;
  if ((flags.cert === undefined) !== (flags.key === undefined)) {
    throw new SocketError("ERR_INVALID_ARGUMENT", "--cert and --key go together");
  }
  const options: TlsClientOptions = {};
  if (flags.insecure) options.verify = false;
  if (flags.verifyHost !== undefined) options.verifyHost = flags.verifyHost;
  if (flags.ca !== undefined) options.ca = flags.ca;
  if (flags.cert !== undefined) options.cert = flags.cert;
  if (flags.key !== undefined) options.key = flags.key;
  return options;
}

/**
 * The connect options of a client command: `--timeout` (milliseconds, absent or 0: none) and
 * the TLS flags (see {@link clientTls}).
 */
export function clientConnectOptions(flags: TlsFlags & { timeout?: number }): ConnectOptions {
  const options: ConnectOptions = {};
  if (flags.timeout !== undefined) options.connectTimeout = flags.timeout;
  const tls = clientTls(flags);
  if (tls !== undefined) options.tls = tls;
  return options;
}

/**
 * Server TLS options, or undefined for plaintext: `--tls` needs `--cert` and `--key`;
 * `--ca` then requires clients to present a certificate from that CA.
 */
export function serverTls(flags: TlsFlags): TlsServerOptions | undefined {
  if (!flags.tls && flags.cert === undefined) return undefined;
  if (flags.cert === undefined || flags.key === undefined) {
    throw new SocketError("ERR_INVALID_ARGUMENT", "listen --tls needs --cert and --key");
  }
  const options: TlsServerOptions = { cert: flags.cert, key: flags.key };
  if (flags.ca !== undefined) {
    options.ca = flags.ca;
    options.clientCertificate = "require";
  }
  return options;
}

/** One line for `-v`: `TLSv1.3 TLS_AES_256_GCM_SHA384, certificate CN=localhost (verified)`. */
export function describeTls(info: SocketInfo): string | undefined {
  const tls = info.tls;
  if (tls === undefined) return undefined;
  const subject = tls.peerCertificate?.subject.CN;
  const peer =
    subject === undefined
      ? "no peer certificate"
      : `certificate CN=${String(subject)} (${tls.authorized ? "verified" : "NOT verified"})`;
  return `${tls.protocol ?? "TLS"} ${tls.cipher ?? ""}, ${peer}`;
}
