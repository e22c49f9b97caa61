/**
 * Errors. Every error sockit produces is a {@link SocketError} with a stable `code`: either
 * Node's system code as it is (`ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`, `EADDRINUSE`, …)
 * or one of sockit's own `ERR_*` codes listed in {@link ERROR_CODES}. Tell errors apart by
 * `code`, never by message text. `docs/errors.md` lists every code.
 *
 * @module
 */
import { SYSTEM_ERROR_CODES, type SystemErrorCode, toErrorCode } from "./system-codes.js";

export { SYSTEM_ERROR_CODES, type SystemErrorCode };

const CODES = {
  ERR_INVALID_ADDRESS:
    "A target or bind address is malformed (missing or bad port, bad brackets, empty host).",
  ERR_INVALID_ARGUMENT: "An argument is out of range or of the wrong kind.",
  ERR_INVALID_STATE:
    "The operation does not fit the socket's state (for example: listening twice).",
  ERR_SOCKET_CLOSED: "The socket is closed or closing; the write or read was refused.",
  ERR_CONNECT_TIMEOUT: "The connection was not established within `connectTimeout`.",
  ERR_READ_TIMEOUT: "A read did not complete within its `timeout`; nothing was consumed.",
  ERR_WRITE_TIMEOUT: "A `send()` did not reach the kernel within its `timeout`.",
  ERR_ABORTED: "A read or send was aborted through its `AbortSignal`.",
  ERR_FRAME_TOO_LONG: "A frame is longer than `maxLength`; the bytes stay in the buffer.",
  ERR_FRAME_CORRUPT:
    "A frame header cannot be valid (a varint over 10 bytes, a length below the header).",
  ERR_INVALID_TEXT: 'Bytes are not valid in the text encoding asked for (`invalidText: "error"`).',
  ERR_INCOMPLETE_READ: "The stream ended in the middle of a read; `partial` holds the bytes.",
  ERR_END_OF_STREAM: "The stream ended before a read received any byte.",
  ERR_TLS_CERT:
    "A certificate check failed (self-signed, unknown CA, expired, wrong host, a client certificate required); `reason` says which.",
  ERR_TLS_HANDSHAKE:
    "The TLS handshake failed for a reason other than a certificate (version, cipher, a plaintext peer); `reason` has Node's code.",
  ERR_TLS_HANDSHAKE_TIMEOUT: "The TLS handshake did not finish within `handshakeTimeout`.",
  ERR_DATAGRAM_TOO_LARGE:
    "A datagram is over the UDP payload limit (65,507 bytes over IPv4, 65,527 over IPv6); nothing was sent.",
  ERR_WRITE_BUFFER_FULL:
    "A `write()` would take the bytes queued for the peer over `maxWriteBuffer`; nothing was queued, the socket stays usable.",
  ERR_IDLE_TIMEOUT:
    "A server dropped a connection that sent and received nothing for its `idleTimeout`.",
  ERR_FIRST_MESSAGE_TIMEOUT:
    "A server dropped a connection whose first message was not read within `firstMessageTimeout`.",
  ERR_HANDLER_FAILED:
    "A server's connection handler threw or rejected (that connection was destroyed), or a message handler (`onLine`, `onFrame`, `onMessage`) threw (it was removed).",
  ERR_PROXY_AUTH:
    "The proxy refused the credentials, or wants some and none were given (HTTP 407, SOCKS authentication).",
  ERR_PROXY_REFUSED:
    "The proxy would not open the tunnel (a CONNECT status other than 2xx, a SOCKS reply other than success); `status` or `socksReply` says which.",
  ERR_PROXY_RESPONSE:
    "The proxy's reply is not valid HTTP or SOCKS (a malformed status line, a header over 16 KiB, the connection closed mid-reply).",
  ERR_PROXY_TIMEOUT: "The proxy did not open the tunnel within `proxyTimeout`.",
  ERR_PROXY_HEADER:
    "A connection to a `proxyProtocol` server did not start with a valid PROXY header (`reason` says why); it was closed.",
  ERR_PROXY_HEADER_TIMEOUT:
    "A connection to a `proxyProtocol` server sent no complete PROXY header within `proxyHeaderTimeout`; it was closed.",
  ERR_CONNECTION_LOST:
    "A reconnecting socket's connection dropped: reads and tracked writes pending on it failed; `partial` holds the bytes it had received and nobody had read; `cause` is the transport's error, if any.",
  ERR_NOT_CONNECTED:
    'A reconnecting socket with `writes: "fail"` is between connections: the write was refused.',
  ERR_UNSUPPORTED:
    "The running Node.js or operating system lacks what the option needs (`reusePort`).",
  ERR_UNKNOWN_SERVICE:
    "A port is a service name the services database (`/etc/services`, or the built-in table where it is absent) does not list for the protocol.",
  ERR_UNKNOWN_INTERFACE:
    "A local address names no interface of this host and no host name that resolves, or none with an address of the family needed.",
} as const;

/** One of sockit's own `ERR_*` codes: a key of {@link ERROR_CODES}. */
export type SockitErrorCode = keyof typeof CODES;

/**
 * sockit's own error codes, each with the one-line meaning that `docs/errors.md` repeats.
 * The table is the single source: {@link SocketError} takes its codes from here.
 */
export const ERROR_CODES: Readonly<Record<SockitErrorCode, string>> = CODES;

/**
 * A code on a {@link SocketError}: sockit's own `ERR_*` codes ({@link ERROR_CODES}), or a
 * system code from Node (`ECONNREFUSED`, `ETIMEDOUT`, …; {@link SYSTEM_ERROR_CODES}) passed
 * through unchanged. A closed union: comparing `error.code` with a misspelt code is a
 * compile error.
 */
export type SocketErrorCode = SockitErrorCode | SystemErrorCode;

/**
 * Where an error came from and whom it concerns, for `new SocketError(code, message, details)`;
 * every field is optional.
 */
export interface SocketErrorDetails {
  /** The error that caused this one (a Node system error, an abort reason). */
  cause?: unknown;
  /** The system call that failed (`connect`, `read`, `write`, `listen`, …). */
  syscall?: string;
  /** The peer or local address concerned, as text (`127.0.0.1:80`, `unix:/tmp/s`). */
  address?: string;
  /** The errno number of a system error. */
  errno?: number;
}

/**
 * The base of every error sockit raises. `code` is stable; `message` is for people.
 *
 * @example
 * ```ts
 * import { connect, SocketError } from "sockit";
 * const socket = connect("127.0.0.1:1");
 * try {
 *   await socket.opened;
 * } catch (error) {
 *   if (error instanceof SocketError && error.code === "ECONNREFUSED") console.log("nobody there");
 * }
 * ```
 */
export class SocketError extends Error {
  /** `"SocketError"` (subclasses give their own name). */
  override name = "SocketError";
  /** The stable code: one of {@link ERROR_CODES} or a Node system code. */
  readonly code: SocketErrorCode;
  /** The system call that failed, when the error came from the operating system. */
  readonly syscall: string | undefined;
  /** The address concerned, as `host:port` or `unix:/path`, when known. */
  readonly address: string | undefined;
  /** The errno number of a system error, when known. */
  readonly errno: number | undefined;

  constructor(code: SocketErrorCode, message: string, details: SocketErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.syscall = details.syscall;
    this.address = details.address;
    this.errno = details.errno;
  }
}

/**
 * The stream ended (the peer's FIN, or an error) in the middle of a read.
 * `partial` holds the bytes that had arrived: they are handed back here, not dropped, and are
 * no longer in the receive buffer. `expected` is the byte count a `readBytes(n)` waited for.
 * `cause` is the socket error when the stream ended by an error rather than a FIN.
 * (asyncio's `IncompleteReadError` has the same shape.)
 *
 * @example
 * ```ts
 * try {
 *   await socket.readBytes(1024);
 * } catch (error) {
 *   if (error instanceof IncompleteReadError) save(error.partial); // the last bytes, not lost
 * }
 * ```
 */
export class IncompleteReadError extends SocketError {
  /** `"IncompleteReadError"`. */
  override name = "IncompleteReadError";
  declare readonly code: "ERR_INCOMPLETE_READ";
  /** The bytes received before the stream ended (at least one). */
  readonly partial: Buffer;
  /** How many bytes the read needed in all, when that is known (`readBytes`). */
  readonly expected: number | undefined;

  constructor(partial: Buffer, expected: number | undefined, cause?: unknown) {
    const wanted = expected === undefined ? "the rest of the frame" : `${expected} bytes`;
    super(
      "ERR_INCOMPLETE_READ",
      `stream ended after ${partial.length} bytes while waiting for ${wanted}`,
      cause === undefined ? {} : { cause },
    );
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * A frame is longer than the read's `maxLength`. The bytes stay in the receive buffer, so
 * the caller decides: read them another way, `purge()` them, or close.
 *
 * @example
 * ```ts
 * const line = await socket.readLine({ maxLength: 512 }).catch(async (error) => {
 *   if (error instanceof FrameTooLongError) socket.purge(); // drop the flood, keep the socket
 *   throw error;
 * });
 * ```
 */
export class FrameTooLongError extends SocketError {
  /** `"FrameTooLongError"`. */
  override name = "FrameTooLongError";
  declare readonly code: "ERR_FRAME_TOO_LONG";
  /** The limit that was exceeded, in bytes. */
  readonly maxLength: number;
  /**
   * The whole frame's size in bytes (header included) when a length prefix declared it, so
   * that it can be skipped; undefined for delimited frames, whose end is not known yet.
   */
  readonly frameLength: number | undefined;

  constructor(maxLength: number, frameLength?: number) {
    const declared = frameLength === undefined ? "" : ` (the frame declares ${frameLength} bytes)`;
    super("ERR_FRAME_TOO_LONG", `frame exceeds maxLength of ${maxLength} bytes${declared}`);
    this.maxLength = maxLength;
    this.frameLength = frameLength;
  }
}

/** Fields of a Node system error that sockit keeps. */
interface SystemErrorLike {
  code?: unknown;
  syscall?: unknown;
  errno?: unknown;
  message?: unknown;
}

/**
 * Wraps anything thrown or emitted by Node (a system error, a TypeError, a string) into a
 * {@link SocketError}, keeping Node's system `code` as it is (see `toErrorCode()` for the
 * few it renames) and the original on `cause`. A {@link SocketError} passes through unchanged.
 */
export function toSocketError(error: unknown, address?: string): SocketError {
  if (error instanceof SocketError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as SystemErrorLike;
  const code = toErrorCode(e.code, ERROR_CODES);
  const syscall = typeof e.syscall === "string" ? e.syscall : undefined;
  const base = typeof e.message === "string" ? e.message : String(error);
  const message = address !== undefined && !base.includes(address) ? `${base} (${address})` : base;
  const details: SocketErrorDetails = { cause: error };
  if (syscall !== undefined) details.syscall = syscall;
  if (address !== undefined) details.address = address;
  if (typeof e.errno === "number") details.errno = e.errno;
  return new SocketError(code, message, details);
}

/**
 * The code for an error Node threw or emitted: its `code` as {@link toSocketError} would keep
 * or rename it, or `fallback` when it has no code.
 */
export function codeOf(error: unknown, fallback: SocketErrorCode): SocketErrorCode {
  const code =
    typeof error === "object" && error !== null ? (error as SystemErrorLike).code : undefined;
  return typeof code === "string" ? toErrorCode(code, ERROR_CODES) : fallback;
}

/**
 * A reconnecting socket's connection dropped (`connect(target, { reconnect })`). The reads
 * waiting on that connection and its writes not known to have reached the kernel fail with
 * it; the socket then reconnects. No read mixes bytes of two connections: the bytes the lost
 * connection had delivered and nobody had read are handed back here, on `partial` (empty
 * when there were none). `cause` is the transport's error (`ECONNRESET`, a TLS alert), or
 * absent when the peer closed cleanly.
 *
 * @example
 * ```ts
 * socket.on("reconnecting", ({ attempt, error }) => {
 *   if (attempt === 1 && error instanceof ConnectionLostError) save(error.partial);
 * });
 * ```
 */
export class ConnectionLostError extends SocketError {
  /** `"ConnectionLostError"`. */
  override name = "ConnectionLostError";
  declare readonly code: "ERR_CONNECTION_LOST";
  /** The lost connection's unread bytes (possibly empty): no later read will see them. */
  readonly partial: Buffer;

  constructor(peer: string, partial: Buffer, cause?: SocketError) {
    const why = cause === undefined ? "closed by the peer" : cause.code;
    const unread = partial.length === 0 ? "" : `, ${partial.length} unread bytes handed back`;
    super(
      "ERR_CONNECTION_LOST",
      `the connection to ${peer} was lost (${why})${unread}`,
      cause === undefined ? { address: peer } : { cause, address: peer },
    );
    this.partial = partial;
  }
}

/** `ERR_NOT_CONNECTED`: a write refused between connections (`writes: "fail"`). */
export function notConnectedError(peer: string): SocketError {
  return new SocketError(
    "ERR_NOT_CONNECTED",
    `cannot write: the socket to ${peer} is reconnecting (writes: "fail")`,
    { address: peer },
  );
}

/** A failed TLS handshake or certificate check; `reason` is Node's or OpenSSL's code. */
export class TlsError extends SocketError {
  /** `"TlsError"`. */
  override name = "TlsError";
  /** Node's or OpenSSL's code, e.g. `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`. */
  readonly reason: string;

  constructor(
    code: "ERR_TLS_CERT" | "ERR_TLS_HANDSHAKE" | "ERR_TLS_HANDSHAKE_TIMEOUT",
    reason: string,
    message: string,
    cause?: unknown,
    address?: string,
  ) {
    super(code, message, address === undefined ? { cause } : { cause, address });
    this.reason = reason;
  }
}

// ---- one constructor per phase: a code always carries the same kind of message ----

/** `ERR_READ_TIMEOUT`: a read (or a datagram `receive()`) waited `ms` milliseconds. */
export function readTimeoutError(ms: number, what = "read"): SocketError {
  return new SocketError("ERR_READ_TIMEOUT", `${what} timed out after ${ms} ms`);
}

/** `ERR_WRITE_TIMEOUT`: a `send()` did not reach the kernel within `ms` milliseconds. */
export function writeTimeoutError(ms: number): SocketError {
  return new SocketError("ERR_WRITE_TIMEOUT", `send timed out after ${ms} ms`);
}

/** `ERR_CONNECT_TIMEOUT`: the connection to `address` was not made within `ms` milliseconds. */
export function connectTimeoutError(ms: number, address: string): SocketError {
  return new SocketError("ERR_CONNECT_TIMEOUT", `connect to ${address} timed out after ${ms} ms`, {
    address,
  });
}

/** `ERR_TLS_HANDSHAKE_TIMEOUT` (a {@link TlsError}): the handshake took over `ms` milliseconds. */
export function handshakeTimeoutError(ms: number, address?: string): TlsError {
  const code = "ERR_TLS_HANDSHAKE_TIMEOUT";
  return new TlsError(code, code, `TLS handshake timed out after ${ms} ms`, undefined, address);
}

/** `ERR_ABORTED`: `what` ("read", "send", …) was aborted; the signal's reason is the `cause`. */
export function abortedError(what: string, reason: unknown): SocketError {
  return new SocketError("ERR_ABORTED", `the ${what} was aborted`, { cause: reason });
}

/** How a socket came to be closed, for {@link socketClosedError}. */
export type ClosedHow = "closed" | "destroyed" | "reset";

/**
 * `ERR_SOCKET_CLOSED`: `action` ("write", "start TLS", …) is refused, or a pending operation
 * fails, because the socket is closed (or was destroyed, or reset). `peer` names the socket.
 */
export function socketClosedError(
  action?: string,
  how: ClosedHow = "closed",
  peer?: string,
): SocketError {
  const socket = peer === undefined ? "the socket" : `the socket to ${peer}`;
  const state = how === "closed" ? "is closed" : `was ${how}`;
  const prefix = action === undefined ? "" : `cannot ${action}: `;
  return new SocketError("ERR_SOCKET_CLOSED", `${prefix}${socket} ${state}`);
}

/** A read that the end of the stream left with no byte at all (`ERR_END_OF_STREAM`). */
export function endOfStreamError(): SocketError {
  return new SocketError("ERR_END_OF_STREAM", "the stream ended before the read received any byte");
}

/**
 * What a decoder threw, as a read's failure: a {@link SocketError} as it is (a frame too
 * long, corrupt, cut short), anything else as `ERR_INVALID_STATE` with the original as `cause`.
 */
export function toDecoderError(error: unknown): SocketError {
  if (error instanceof SocketError) return error;
  return new SocketError("ERR_INVALID_STATE", `a decoder failed: ${String(error)}`, {
    cause: error,
  });
}
