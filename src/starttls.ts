/**
 * The mechanics of `socket.startTLS()` that need no socket state: which `TLSSocket` wraps
 * the live connection on either side, and waiting for its handshake.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { createSecureContext, TLSSocket, connect as tlsConnect } from "node:tls";
import { SocketError } from "./errors.js";
import {
  clientTlsOptions,
  serverTlsOptions,
  type TlsClientOptions,
  TlsError,
  type TlsServerOptions,
} from "./tls.js";

/**
 * Options of `startTLS()`: a client's (verification, `verifyHost`, `ca`, client identity) or
 * a server's (`cert` and `key` required, client certificates). `side` defaults to `"server"`
 * for a socket a server accepted and `"client"` for one made by `connect()`.
 */
export type StartTlsOptions =
  | (TlsClientOptions & {
      /** Which end of the handshake this socket is. */
      side?: "client";
    })
  | (TlsServerOptions & {
      /** Which end of the handshake this socket is. */
      side: "server";
    })
  | (Partial<TlsServerOptions> &
      TlsClientOptions & {
        /** Absent: the server side for an accepted socket, else the client side. */
        side?: undefined;
      });

/**
 * What wraps the plaintext connection. `host` is the target's host: the name verified (and
 * sent as SNI) unless `verifyHost` says another; for an IP address, the IP is checked.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for a server side without `cert` and `key`, or
 * unreadable certificate files, before anything changes.
 */
export function tlsWrapper(
  side: "client" | "server",
  options: StartTlsOptions,
  host: string | undefined,
): (raw: NetSocket) => TLSSocket {
  if (side === "client") {
    const client = clientTlsOptions(options, host);
    // A wrapped socket's `host` defaults to "localhost": give the real one for the check.
    return (raw) => tlsConnect({ ...client, socket: raw, ...(host === undefined ? {} : { host }) });
  }
  const { cert, key } = options as Partial<TlsServerOptions>;
  if (cert === undefined || key === undefined) {
    throw new SocketError("ERR_INVALID_ARGUMENT", "startTLS as a server needs cert and key");
  }
  const server = serverTlsOptions({ ...(options as TlsServerOptions), cert, key });
  const secureContext = createSecureContext(server);
  return (raw) => new TLSSocket(raw, { ...server, isServer: true, secureContext });
}

/**
 * Resolves once `secure` has finished its handshake; rejects with the failure (mapped by
 * `toError`), `ERR_TLS_HANDSHAKE_TIMEOUT` after `timeout` ms, or `ERR_TLS_CERT` when a server
 * that requires a client certificate did not get a valid one. The caller destroys the socket.
 */
export function awaitHandshake(
  secure: TLSSocket,
  side: "client" | "server",
  timeout: number,
  options: StartTlsOptions,
  toError: (error: unknown) => SocketError,
): Promise<void> {
  const requireClient =
    side === "server" && (options as TlsServerOptions).clientCertificate === "require";
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: SocketError): void => {
      clearTimeout(timer);
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => {
      const message = `TLS handshake timed out after ${timeout} ms`;
      settle(new TlsError("ERR_TLS_HANDSHAKE_TIMEOUT", "ERR_TLS_HANDSHAKE_TIMEOUT", message));
    }, timeout);
    secure.once(side === "client" ? "secureConnect" : "secure", () => {
      if (requireClient && !secure.authorized) {
        const reason = String(secure.authorizationError ?? "NO_CLIENT_CERTIFICATE");
        settle(new TlsError("ERR_TLS_CERT", reason, `client certificate refused: ${reason}`));
        return;
      }
      settle();
    });
    secure.once("error", (error) => settle(toError(error)));
    secure.once("close", () => {
      settle(new SocketError("ERR_SOCKET_CLOSED", "closed during the TLS handshake"));
    });
  });
}
