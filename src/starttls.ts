/**
 * STARTTLS, the whole upgrade of a live connection to TLS (`socket.startTLS()`): the
 * checks, holding reads and writes, flushing the plaintext, handing the transport and the
 * bytes already received over to the TLS layer, the handshake and its deadline, and which
 * `TLSSocket` wraps the connection on either side.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { createSecureContext, TLSSocket, connect as tlsConnect } from "node:tls";
import { type Deadline, startDeadline } from "./deadline.js";
import { SocketError, socketClosedError, TlsError } from "./errors.js";
import type { Lifecycle } from "./lifecycle.js";
import {
  clientTlsOptions,
  DEFAULT_HANDSHAKE_TIMEOUT,
  serverTlsOptions,
  type TlsClientOptions,
  type TlsServerOptions,
  tlsInfo,
} from "./tls.js";
import { attach, detach, isSecure } from "./transport.js";

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
 * Upgrades `life`'s connection to TLS in place: the whole of `socket.startTLS()`.
 *
 * 1. Checks, before anything changes: the socket is not closing, not secure or upgrading
 *    already, and the options are good.
 * 2. Holds reads and writes from this call on: reads are served again, and writes made
 *    meanwhile go out, only once the TLS layer is in; on a socket still connecting too, so
 *    nothing written after the call leaves in clear text. Then waits for the connect.
 * 3. Flushes the plaintext already queued: it reaches the peer before the handshake.
 * 4. Hands the transport over: stops listening to the plain socket, pauses it, and gives
 *    back to it the bytes received and not read (a ClientHello that came with the
 *    command): they are the handshake's, not a read's.
 * 5. Wraps it, moves the idle timer to the TLS layer, listens to that, and waits for the
 *    handshake (`handshakeTimeout`). A failure destroys the socket with its error.
 *
 * @param defaultSide the side when `options.side` is absent (a server's sockets: "server").
 */
export async function upgradeToTls<Tag>(
  life: Lifecycle<Tag>,
  options: StartTlsOptions,
  defaultSide: "client" | "server",
): Promise<void> {
  if (life.state === "closing" || life.state === "closed") throw socketClosedError("start TLS");
  if (life.reconnect !== undefined) {
    const message =
      "a reconnecting socket cannot start TLS: its next connection would be clear text (use the tls option)";
    throw new SocketError("ERR_INVALID_STATE", message);
  }
  if (isSecure(life.ns) || life.upgrading)
    throw new SocketError("ERR_INVALID_STATE", "the socket is already secure");
  const side = options.side ?? defaultSide;
  const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  const host = life.target?.kind === "tcp" ? life.target.host : undefined;
  const wrap = tlsWrapper(side, options, host); // bad options fail here, before any change
  // Held from this call on, whatever the state: a write made after startTLS() on a socket
  // still connecting must wait for the handshake, never leave in clear text.
  life.upgrading = true;
  life.reader.hold();
  life.writer.hold();
  try {
    if (life.state === "connecting") await life.opened(); // the connect comes first
    if (life.state !== "open") throw life.error ?? socketClosedError("start TLS");
    await life.writer.flushed(); // the plaintext before the upgrade goes out first
    if (life.state !== "open") throw life.error ?? socketClosedError("start TLS");
    const secure = handOver(life, wrap);
    await awaitHandshake(secure, side, timeout, options, (e) => life.toError(e)).catch(
      (error: SocketError) => {
        const cause = life.error ?? error; // a TLS alert recorded just before the close
        void life.destroy(cause);
        throw cause;
      },
    );
    life.tls = tlsInfo(secure);
  } finally {
    life.upgrading = false;
    // Reads are served again either way: after a failed upgrade they see its error.
    life.reader.release(life.ns);
  }
}

/**
 * Replaces the plain transport with the TLS layer `wrap` makes over it. The bytes received
 * and not read go back to the plain socket, ahead of what it reads next, for the handshake.
 */
function handOver<Tag>(life: Lifecycle<Tag>, wrap: (raw: NetSocket) => TLSSocket): TLSSocket {
  const raw = life.ns;
  detach(raw);
  raw.pause();
  const early = life.reader.buffer.takeAll();
  if (early.length > 0) raw.unshift(early); // the peer's first handshake bytes
  const secure = wrap(raw);
  // The idle timer follows the connection: on the raw socket it would fire unheard.
  if ((raw.timeout ?? 0) > 0) {
    secure.setTimeout(raw.timeout ?? 0);
    raw.setTimeout(0);
  }
  life.ns = secure;
  attach(secure, life);
  life.writer.setTransport(secure);
  return secure;
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
    let deadline: Deadline | undefined;
    const settle = (error?: SocketError): void => {
      deadline?.clear();
      if (error === undefined) resolve();
      else reject(error);
    };
    deadline = startDeadline("handshake", timeout, undefined, settle);
    secure.once(side === "client" ? "secureConnect" : "secure", () => {
      if (requireClient && !secure.authorized) {
        const reason = String(secure.authorizationError ?? "NO_CLIENT_CERTIFICATE");
        settle(new TlsError("ERR_TLS_CERT", reason, `client certificate refused: ${reason}`));
        return;
      }
      settle();
    });
    secure.once("error", (error) => settle(toError(error)));
    secure.once("close", () => settle(socketClosedError("finish the TLS handshake")));
  });
}
