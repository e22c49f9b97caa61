/**
 * HTTP `CONNECT` tunnels (RFC 9110 §9.3.6) with Basic proxy authentication (RFC 7617,
 * RFC 9110 §11.7.1): the request, a bounded parser of the proxy's reply, and the exchange
 * over a connected socket.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import { formatAddress } from "../address.js";
import { codeOf, type SocketErrorCode } from "../errors.js";
import { ProxyError } from "./error.js";
import type { ProxySpec } from "./url.js";

/** The most bytes a proxy's reply head may take, status line and headers: 16 KiB. */
export const MAX_CONNECT_RESPONSE_HEAD = 16 * 1024;

/** The `CONNECT` request for `host:port`, with `Proxy-Authorization` when a user is given. */
export function connectRequest(
  host: string,
  port: number,
  username: string | undefined,
  password: string | undefined,
): Buffer {
  const authority = formatAddress(host, port); // [v6]:port, as the request target needs
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (username !== undefined || password !== undefined) {
    const credentials = Buffer.from(`${username ?? ""}:${password ?? ""}`, "utf8");
    lines.push(`Proxy-Authorization: Basic ${credentials.toString("base64")}`);
  }
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

/** What {@link parseConnectResponse} made of the bytes so far. */
export type ConnectResponse =
  | { readonly kind: "more" }
  | { readonly kind: "bad"; readonly why: string }
  | {
      readonly kind: "done";
      readonly status: number;
      readonly reason: string;
      /** Header fields in order, names lower-cased. */
      readonly headers: readonly (readonly [string, string])[];
      /** Bytes of the head, blank line included: what follows is the tunnel's. */
      readonly length: number;
    };

const STATUS_LINE = /^HTTP\/1\.[0-9] ([0-9]{3})(?: ([^\r\n]*))?$/;
const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/**
 * Parses the proxy's reply to `CONNECT` from the start of `bytes`. Lines may end in CRLF or
 * a bare LF (RFC 9112 §2.2 lets a recipient accept both). Interim 1xx replies are skipped.
 * A head that has not ended within {@link MAX_CONNECT_RESPONSE_HEAD} bytes is `bad`.
 * Pure: bytes in, a verdict out.
 */
export function parseConnectResponse(bytes: Buffer): ConnectResponse {
  let start = 0;
  for (;;) {
    const head = parseHead(bytes, start);
    if (head.kind !== "done" || head.status >= 200) return head;
    start = head.length; // an interim reply (100 Continue): the real one follows
  }
}

function parseHead(bytes: Buffer, start: number): ConnectResponse {
  const head = headLines(bytes, start);
  if ("kind" in head) return head;
  const [statusLine = "", ...fields] = head.lines;
  const status = STATUS_LINE.exec(statusLine);
  if (status === null) {
    return {
      kind: "bad",
      why: `not an HTTP status line: ${JSON.stringify(statusLine.slice(0, 80))}`,
    };
  }
  const headers = parseFields(fields);
  if ("kind" in headers) return headers;
  return {
    kind: "done",
    status: Number(status[1]),
    reason: status[2] ?? "",
    headers,
    length: head.end,
  };
}

/** A reply head that is not whole yet, or not HTTP. */
type Unfinished = Extract<ConnectResponse, { kind: "more" | "bad" }>;

/**
 * The lines of the head from `start` to its blank line (CRLF or LF endings, empty lines
 * before the status line skipped) and where the head ends; `more` while the blank line has
 * not come, `bad` past {@link MAX_CONNECT_RESPONSE_HEAD} bytes.
 */
function headLines(bytes: Buffer, start: number): { lines: string[]; end: number } | Unfinished {
  const lines: string[] = [];
  let position = start;
  for (;;) {
    const newline = bytes.indexOf(0x0a, position);
    const limit = start + MAX_CONNECT_RESPONSE_HEAD;
    if (newline < 0 || newline >= limit) {
      if (bytes.length >= limit || newline >= limit) {
        return { kind: "bad", why: `the reply head is over ${MAX_CONNECT_RESPONSE_HEAD} bytes` };
      }
      return { kind: "more" };
    }
    const end = newline > position && bytes[newline - 1] === 0x0d ? newline - 1 : newline;
    const line = bytes.toString("latin1", position, end);
    position = newline + 1;
    if (line === "") {
      if (lines.length === 0) continue; // RFC 9112 §2.2: ignore empty lines before the status
      break;
    }
    lines.push(line);
  }
  return { lines, end: position };
}

/** Header lines as `[name, value]` pairs, names lower-cased; `bad` at a malformed line. */
function parseFields(fields: readonly string[]): (readonly [string, string])[] | Unfinished {
  const headers: (readonly [string, string])[] = [];
  for (const field of fields) {
    const header = HEADER.exec(field);
    if (header === null) {
      return { kind: "bad", why: `a malformed header line: ${JSON.stringify(field.slice(0, 80))}` };
    }
    headers.push([(header[1] ?? "").toLowerCase(), header[2] ?? ""]);
  }
  return headers;
}

/** A whole CONNECT reply judged: the tunnel is open (after `length` bytes), or refused. */
type Verdict =
  | { readonly open: true; readonly length: number }
  | { readonly open: false; code: SocketErrorCode; message: string; status?: number };

/**
 * What a whole CONNECT reply means: open on a 2xx, else refused with `ERR_PROXY_RESPONSE`
 * (a malformed reply), `ERR_PROXY_AUTH` (407, or 401) or `ERR_PROXY_REFUSED` (any other).
 */
function judge(
  reply: Exclude<ConnectResponse, { kind: "more" }>,
  spec: ProxySpec,
  host: string,
  port: number,
): Verdict {
  if (reply.kind === "bad") {
    const message = `proxy ${spec.display} sent a bad reply to CONNECT: ${reply.why}`;
    return { open: false, code: "ERR_PROXY_RESPONSE", message };
  }
  const { status, reason } = reply;
  const said = `proxy ${spec.display} answered CONNECT ${formatAddress(host, port)} with ${status}${reason === "" ? "" : ` ${reason}`}`;
  // 401 cannot come from the target (no tunnel yet): tinyproxy answers it to bad credentials.
  if (status === 407 || status === 401)
    return {
      open: false,
      code: "ERR_PROXY_AUTH",
      message: authMessage(said, spec, reply.headers),
      status,
    };
  if (status < 200 || status > 299)
    return { open: false, code: "ERR_PROXY_REFUSED", message: said, status };
  return { open: true, length: reply.length };
}

/**
 * Asks the proxy on `raw` (connected) for a tunnel to `host:port` and resolves once it is
 * open. Bytes the proxy sent after its reply (the target's first bytes) are put back into
 * `raw`, which is left paused, with no listener of this function's.
 * @throws (rejects) {@link ProxyError}: `ERR_PROXY_AUTH` for 407 (and 401, which only the
 * proxy can have sent: tinyproxy's answer to wrong credentials), `ERR_PROXY_REFUSED` for
 * any other non-2xx status (`status` set), `ERR_PROXY_RESPONSE` for a malformed or
 * truncated reply; the socket's own error (`ECONNRESET`, …) when it fails.
 */
export function httpConnect(
  raw: NetSocket,
  spec: ProxySpec,
  host: string,
  port: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const fail = (error: ProxyError): void => {
      stop();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks, received);
      const reply = parseConnectResponse(bytes);
      if (reply.kind === "more") return;
      const verdict = judge(reply, spec, host, port);
      if (!verdict.open) {
        fail(refusalError(spec, verdict));
        return;
      }
      stop();
      raw.pause();
      if (bytes.length > verdict.length) raw.unshift(bytes.subarray(verdict.length));
      resolve();
    };
    const onEnd = (): void => fail(closedError(spec, received));
    const onError = (error: Error & { code?: unknown }): void => fail(socketFailure(spec, error));
    const stop = listenForReply(raw, onData, onEnd, onError);
    raw.write(connectRequest(host, port, spec.username, spec.password));
  });
}

/**
 * Listens on `raw` for the proxy's reply (`onEnd` for both `'end'` and `'close'`); the
 * function returned removes the listeners.
 */
function listenForReply(
  raw: NetSocket,
  onData: (chunk: Buffer) => void,
  onEnd: () => void,
  onError: (error: Error & { code?: unknown }) => void,
): () => void {
  raw.on("data", onData);
  raw.once("end", onEnd);
  raw.once("close", onEnd);
  raw.once("error", onError);
  return () => {
    raw.off("data", onData);
    raw.off("end", onEnd);
    raw.off("close", onEnd);
    raw.off("error", onError);
  };
}

/** A {@link ProxyError} from the HTTP proxy `spec`, its `address` the proxy's. */
function proxyError(
  spec: ProxySpec,
  code: SocketErrorCode,
  message: string,
  extra: { status?: number; cause?: unknown } = {},
): ProxyError {
  const address = formatAddress(spec.host, spec.port);
  return new ProxyError(code, message, { proxy: spec.display, address, ...extra });
}

/** The error for a reply that refused the tunnel (a bad reply, or a non-2xx status). */
function refusalError(spec: ProxySpec, verdict: Extract<Verdict, { open: false }>): ProxyError {
  const extra = verdict.status === undefined ? {} : { status: verdict.status };
  return proxyError(spec, verdict.code, verdict.message, extra);
}

/** The error for a proxy that closed the connection before its reply was whole. */
function closedError(spec: ProxySpec, received: number): ProxyError {
  const when = received === 0 ? "before replying" : "in the middle of its reply";
  return proxyError(
    spec,
    "ERR_PROXY_RESPONSE",
    `proxy ${spec.display} closed the connection ${when} to CONNECT`,
  );
}

/** The error for the socket to the proxy failing during the exchange. */
function socketFailure(spec: ProxySpec, error: Error & { code?: unknown }): ProxyError {
  return proxyError(
    spec,
    codeOf(error, "ERR_PROXY_RESPONSE"),
    `proxy ${spec.display}: ${error.message}`,
    { cause: error },
  );
}

function authMessage(
  said: string,
  spec: ProxySpec,
  headers: readonly (readonly [string, string])[],
): string {
  const challenge = headers.find(
    ([name]) => name === "proxy-authenticate" || name === "www-authenticate",
  )?.[1];
  const sent =
    spec.username === undefined ? "no credentials were given" : "the credentials were refused";
  return `${said}: ${sent}${challenge === undefined ? "" : ` (it asks for ${challenge})`}`;
}
