/**
 * The server side of the PROXY protocol: each accepted connection's header is read off the
 * raw TCP socket, within a timeout, before TLS (if any) and before the application sees the
 * connection. The bytes after the header stay on the socket for what comes next.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import type { TLSSocket } from "node:tls";
import { checkInteger } from "../arguments.js";
import { SocketError, toSocketError } from "../errors.js";
import { awaitHandshake, tlsWrapper } from "../starttls.js";
import { DEFAULT_HANDSHAKE_TIMEOUT, type TlsServerOptions, toTlsError } from "../tls.js";
import { parseProxyHeader } from "./parse.js";
import {
  DEFAULT_PROXY_HEADER_TIMEOUT,
  type ProxyEndpoint,
  type ProxyHeader,
  ProxyHeaderError,
  type ProxyInfo,
  type ProxyProtocolMode,
} from "./types.js";

/** The options of `listen()` for servers behind a proxy. */
export interface ProxyListenOptions {
  /**
   * Require a PROXY protocol header (HAProxy's spec) at the start of every connection:
   * `"v1"` (text), `"v2"` (binary) or `"any"` of the two. A connection without one, or with
   * a bad one, is closed before the application sees it (`'proxyError'` on the server, with
   * `ERR_PROXY_HEADER`). With `tls`, the header is read before the TLS handshake, as HAProxy
   * and nginx send it. Only for connections from trusted proxies: anyone who can connect can
   * claim any address.
   * Default: none (no header is expected).
   */
  proxyProtocol?: ProxyProtocolMode;
  /**
   * Milliseconds a connection has to send its whole PROXY header; then it is closed with
   * `ERR_PROXY_HEADER_TIMEOUT`. The spec asks for at least 3 seconds (a TCP retransmit).
   * @default 5000
   */
  proxyHeaderTimeout?: number;
}

/** What a server needs to admit connections through PROXY headers; made once per server. */
export interface ProxyGate {
  readonly mode: ProxyProtocolMode;
  readonly timeout: number;
  /** For a TLS server: wraps the raw socket once its header is read. */
  readonly tls: { wrap: (raw: NetSocket) => TLSSocket; options: TlsServerOptions } | undefined;
  /**
   * Connections whose header (or handshake) is still awaited. `closeAll()` takes them out
   * and destroys them: one missing from the set when it fails was dropped, not refused.
   */
  readonly pending: Set<NetSocket>;
}

/** Where an admitted connection goes, and where its failures go. */
export interface AdmitCallbacks {
  /** The header is read (and the TLS handshake done): make the application's socket. */
  ready(transport: NetSocket, proxy: ProxyInfo, secure: boolean): void;
  /** The header was refused, incomplete or late (`ERR_PROXY_HEADER*`), or the socket failed first. */
  proxyError(error: SocketError): void;
  /** The TLS handshake after the header failed (`ERR_TLS_*`). */
  tlsError(error: SocketError): void;
}

const MODES: readonly ProxyProtocolMode[] = ["v1", "v2", "any"];

/**
 * Checks the PROXY options of `listen()`; undefined when no header is expected.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for an unknown mode or a bad timeout.
 */
export function proxyGate(
  options: ProxyListenOptions & { tls?: TlsServerOptions },
): ProxyGate | undefined {
  const { proxyProtocol: mode } = options;
  if (mode === undefined) {
    if (options.proxyHeaderTimeout !== undefined) {
      checkInteger("proxyHeaderTimeout", options.proxyHeaderTimeout, 1, 2 ** 31 - 1);
    }
    return undefined;
  }
  if (!MODES.includes(mode)) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `proxyProtocol must be "v1", "v2" or "any", got ${String(mode)}`,
    );
  }
  const timeout = checkInteger(
    "proxyHeaderTimeout",
    options.proxyHeaderTimeout ?? DEFAULT_PROXY_HEADER_TIMEOUT,
    1,
    2 ** 31 - 1,
  );
  const tls =
    options.tls === undefined
      ? undefined
      : {
          wrap: tlsWrapper("server", { ...options.tls, side: "server" }, undefined),
          options: options.tls,
        };
  return { mode, timeout, tls, pending: new Set() };
}

/** Reads the header of a freshly accepted connection, then hands it on (see {@link AdmitCallbacks}). */
export function admit(raw: NetSocket, gate: ProxyGate, callbacks: AdmitCallbacks): void {
  gate.pending.add(raw);
  const via = endpointOf(raw);
  const peer =
    via === undefined || via.family === "unix" ? undefined : `${via.address}:${via.port}`;
  readHeader(raw, gate, peer).then(
    (header) => {
      const proxy: ProxyInfo = { ...header, via };
      if (gate.tls === undefined) {
        gate.pending.delete(raw);
        callbacks.ready(raw, proxy, false);
        raw.resume(); // the header reader paused it; the application's socket reads on
        return;
      }
      const secure = gate.tls.wrap(raw);
      gate.pending.add(secure);
      const timeout = gate.tls.options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
      const toError = (error: unknown): SocketError =>
        toTlsError(error, peer) ?? toSocketError(error, peer);
      const side = { ...gate.tls.options, side: "server" as const };
      awaitHandshake(secure, "server", timeout, side, toError).then(
        () => {
          gate.pending.delete(raw);
          gate.pending.delete(secure);
          callbacks.ready(secure, proxy, true);
        },
        (error: SocketError) => {
          gate.pending.delete(raw);
          const dropped = !gate.pending.delete(secure); // closeAll() dropped it: not a failure
          secure.destroy();
          if (!dropped) callbacks.tlsError(error);
        },
      );
    },
    (error: SocketError) => {
      const dropped = !gate.pending.delete(raw); // closeAll() dropped it: not a failure
      raw.destroy();
      if (!dropped) callbacks.proxyError(error);
    },
  );
}

/** The TCP peer of a raw connection: the proxy. */
function endpointOf(raw: NetSocket): ProxyEndpoint | undefined {
  const { remoteAddress: address, remotePort: port, remoteFamily: family } = raw;
  if (address === undefined || port === undefined) return undefined;
  return { family: family === "IPv6" ? "IPv6" : "IPv4", address, port };
}

/**
 * Collects bytes until the parser has a header; then pauses the socket and puts back what
 * followed the header (`unshift`), so that the next reader, the application's or TLS's,
 * gets it first. Rejects with `ERR_PROXY_HEADER` (`reason`), `ERR_PROXY_HEADER_TIMEOUT`, or
 * the socket's own error.
 */
function readHeader(
  raw: NetSocket,
  gate: ProxyGate,
  peer: string | undefined,
): Promise<ProxyHeader> {
  return new Promise<ProxyHeader>((resolve, reject) => {
    let bytes: Buffer = Buffer.alloc(0);
    let length = 0;
    const fail = (error: SocketError): void => {
      stop();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      bytes = appendChunk(bytes, length, chunk);
      length += chunk.length;
      const result = parseProxyHeader(bytes.subarray(0, length), gate.mode);
      if (result.status === "more") return;
      if (result.status === "error") {
        fail(headerError(result.error.reason, result.error.message, peer));
        return;
      }
      stop();
      raw.pause();
      if (result.consumed < length)
        raw.unshift(Buffer.from(bytes.subarray(result.consumed, length)));
      resolve(result.header);
    };
    const onEnd = (): void => {
      const message = `the connection ended after ${length} bytes, before a complete PROXY header`;
      fail(headerError("TRUNCATED", message, peer));
    };
    const onError = (error: Error): void => fail(toSocketError(error, peer));
    const timer = setTimeout(() => {
      fail(headerError("TIMEOUT", `no complete PROXY header within ${gate.timeout} ms`, peer));
    }, gate.timeout);
    const detach = listenForHeader(raw, onData, onEnd, onError);
    const stop = (): void => {
      clearTimeout(timer);
      detach();
    };
  });
}

/**
 * `chunk` copied after the first `length` bytes of `bytes`, in `bytes` or, when it is full,
 * in a new buffer at least twice its size: a header that trickles in byte by byte costs
 * linear time, not quadratic.
 */
function appendChunk(bytes: Buffer, length: number, chunk: Buffer): Buffer {
  let target = bytes;
  if (length + chunk.length > bytes.length) {
    target = Buffer.alloc(Math.max(256, 2 * bytes.length, length + chunk.length));
    bytes.copy(target, 0, 0, length);
  }
  chunk.copy(target, length);
  return target;
}

/**
 * Listens on `raw` until its header is read (`onEnd` for both `'end'` and `'close'`); the
 * function returned removes the listeners.
 */
function listenForHeader(
  raw: NetSocket,
  onData: (chunk: Buffer) => void,
  onEnd: () => void,
  onError: (error: Error) => void,
): () => void {
  raw.on("data", onData);
  raw.on("end", onEnd);
  raw.on("error", onError);
  raw.on("close", onEnd);
  return () => {
    raw.off("data", onData);
    raw.off("end", onEnd);
    raw.off("error", onError);
    raw.off("close", onEnd);
  };
}

/** An `ERR_PROXY_HEADER*` error, its message naming the peer when there is one. */
function headerError(
  reason: ProxyHeaderError["reason"],
  message: string,
  peer: string | undefined,
): ProxyHeaderError {
  return new ProxyHeaderError(reason, withPeer(message, peer), peer);
}

function withPeer(message: string, peer: string | undefined): string {
  return peer === undefined ? message : `${message} (from ${peer})`;
}
