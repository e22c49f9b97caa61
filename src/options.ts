/**
 * Refusing options sockit does not know. A misspelt or misplaced option (`{ timout: 5 }`,
 * `openDatagram({ tls: true })`) must not be quietly ignored: the call would then do
 * something the caller did not ask for. Each entry point lists its option names as a
 * {@link OptionNames} record, which the compiler keeps complete: an option added to an
 * interface and not to its record is a type error, not a refused option at run time.
 *
 * @module
 */
import type { DelimiterOptions } from "./codec/delimiter.js";
import type { LengthPrefixOptions } from "./codec/length.js";
import type { LineOptions } from "./codec/line.js";
import type { VarintOptions } from "./codec/varint.js";
import type { ConnectOptions } from "./connect.js";
import type { DatagramOptions } from "./datagram.js";
import { SocketError } from "./errors.js";
import type { TransientOption } from "./frame-sink.js";
import type { IterateOptions } from "./iterate.js";
import type { LookupNamesOptions } from "./lookup-names.js";
import type { ReadOptions, TaggedReadOptions } from "./read-options.js";
import type { ReconnectOptions } from "./reconnect.js";
import type { SendFromOptions } from "./send-progress.js";
import type { ListenOptions } from "./server.js";
import type { MessageHandlerOptions } from "./sink.js";
import type { TextOptions } from "./text.js";
import type { TlsClientOptions, TlsServerOptions } from "./tls.js";
import type { SendOptions } from "./writer.js";

/** Every option name of `T`, each mapped to `true`: the compiler checks the list is exact. */
export type OptionNames<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Checks that `options` is an object (or `undefined`) whose own keys are all in one of the
 * `known` records.
 * @param where the call, as the message names it (`"connect()"`, `"readLine()"`).
 * @throws SocketError `ERR_INVALID_ARGUMENT` naming the unknown option (and a close known
 * name, when there is one), or saying what the non-object argument was.
 */
export function checkOptionNames(
  where: string,
  options: unknown,
  ...known: readonly OptionNames<object>[]
): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `${where} takes an options object, got ${describeValue(options)}`,
    );
  }
  for (const key in options) {
    if (!Object.hasOwn(options, key)) continue;
    if (known.some((names) => Object.hasOwn(names, key))) continue;
    const near = closest(
      key,
      known.flatMap((names) => Object.keys(names)),
    );
    const hint = near === undefined ? "" : ` (did you mean "${near}"?)`;
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `${where}: unknown option ${JSON.stringify(key)}${hint}`,
    );
  }
}

/** A value as an error message shows it: `7 (a number)`, `"x" (a string)`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "string") return `${JSON.stringify(value)} (a string)`;
  if (typeof value === "object") return "an object";
  return `${String(value)} (a ${typeof value})`;
}

/** The known name nearest to `key` by edit distance, when it is near enough to be a typo. */
function closest(key: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const name of names) {
    const d = distance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (short option names only: quadratic is fine). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(
        Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

// ---- the option names of each entry point (complete: the compiler checks each record) ----

/** `timeout`, `signal`: every read, `receive()`. */
export const READ: OptionNames<ReadOptions> = { timeout: true, signal: true };
/** The tagged `read()`: a read's options and `repeat`. */
export const TAGGED_READ: OptionNames<TaggedReadOptions> = { ...READ, repeat: true };
/** `readUntil()`, `read()`'s delimiter. */
export const DELIMITER: OptionNames<DelimiterOptions> = { maxLength: true, include: true };
/** `readLine()`, `lines()`. */
export const LINE: OptionNames<LineOptions> = { maxLength: true, eol: true };
/** Text reads. */
export const TEXT: OptionNames<TextOptions> = { encoding: true, invalidText: true };
/** `lines()`, `frames()`. */
export const ITERATE: OptionNames<IterateOptions> = { onOverflow: true, signal: true };
/** `onLine()`, `onFrame()`, `onMessage()`: where the handler's end and error go. */
export const MESSAGE_HANDLER: OptionNames<MessageHandlerOptions> = { onError: true, onEnd: true };
/** `onFrame()`'s own option. */
export const TRANSIENT: OptionNames<TransientOption> = { transient: true };
/** A fixed-width length prefix (`frame`, `readFrame()`, `frames()`, `encodeFrame()`). */
export const LENGTH_PREFIX: OptionNames<LengthPrefixOptions> = {
  width: true,
  endian: true,
  offset: true,
  adjustment: true,
  lengthIncludesHeader: true,
  strip: true,
  maxLength: true,
};
/** A varint length prefix (`{ varint: true }`). */
export const VARINT_FRAME: OptionNames<VarintOptions & { varint: true }> = {
  maxLength: true,
  varint: true,
};
/** `send()`. */
export const SEND: OptionNames<SendOptions> = { timeout: true, signal: true };
/** `sendFrom()`, `sendFile()`. */
export const SEND_FROM: OptionNames<SendFromOptions> = { signal: true, total: true };
/** `openDatagram()`. */
export const DATAGRAM: OptionNames<DatagramOptions> = {
  type: true,
  localAddress: true,
  localPort: true,
  remote: true,
  reuseAddress: true,
  broadcast: true,
  ttl: true,
  multicastTtl: true,
  multicastLoopback: true,
  multicastInterface: true,
  receiveQueueLength: true,
  receiveBufferSize: true,
  sendBufferSize: true,
  ipv6Only: true,
};
/** `joinGroup()`, `leaveGroup()`. */
export const MEMBERSHIP: OptionNames<{ iface?: string; source?: string }> = {
  iface: true,
  source: true,
};
/** `connect()`. */
export const CONNECT: OptionNames<ConnectOptions> = {
  frame: true,
  idleTimeout: true,
  timeout: true,
  allowHalfOpen: true,
  noDelay: true,
  keepAlive: true,
  readHighWaterMark: true,
  writeHighWaterMark: true,
  closeTimeout: true,
  localAddress: true,
  localPort: true,
  family: true,
  connectTimeout: true,
  signal: true,
  tls: true,
  maxWriteBuffer: true,
  proxy: true,
  noProxy: true,
  proxyTimeout: true,
  proxyTls: true,
  proxyHeader: true,
  reconnect: true,
  data: true,
  encoding: true,
};
/** `connect()`'s `reconnect`. */
export const RECONNECT: OptionNames<ReconnectOptions> = {
  initialDelay: true,
  maxDelay: true,
  factor: true,
  jitter: true,
  maxAttempts: true,
  writes: true,
  shouldRetry: true,
};
/** `listen()`. */
export const LISTEN: OptionNames<ListenOptions> = {
  frame: true,
  timeout: true,
  allowHalfOpen: true,
  noDelay: true,
  keepAlive: true,
  readHighWaterMark: true,
  writeHighWaterMark: true,
  closeTimeout: true,
  backlog: true,
  ipv6Only: true,
  maxConnections: true,
  tls: true,
  idleTimeout: true,
  firstMessageTimeout: true,
  maxWriteBuffer: true,
  reusePort: true,
  proxyProtocol: true,
  proxyHeaderTimeout: true,
  signal: true,
  data: true,
  encoding: true,
};
/** `connect()`'s `tls`, `startTLS()` as a client. */
export const TLS_CLIENT: OptionNames<TlsClientOptions> = {
  verify: true,
  verifyHost: true,
  ca: true,
  cert: true,
  key: true,
  passphrase: true,
  alpn: true,
  minVersion: true,
  handshakeTimeout: true,
};
/** `listen()`'s `tls`, `startTLS()` as a server. */
export const TLS_SERVER: OptionNames<TlsServerOptions> = {
  cert: true,
  key: true,
  passphrase: true,
  clientCertificate: true,
  ca: true,
  sni: true,
  alpn: true,
  minVersion: true,
  handshakeTimeout: true,
};
/** `startTLS()`'s own option. */
export const STARTTLS_SIDE: OptionNames<{ side?: "client" | "server" }> = { side: true };
/** `resolve()`. */
export const RESOLVE: OptionNames<{ family?: 4 | 6 }> = { family: true };

/** `socket.lookupNames()`. */
export const LOOKUP_NAMES: OptionNames<LookupNamesOptions> = { timeout: true };
