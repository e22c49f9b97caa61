/**
 * What every subcommand shares: the exit codes, turning an error into its one line, the
 * verbose log, how peers are named, and a clean exit that does not lose buffered output.
 *
 * @module
 */
import { isIPv4 } from "node:net";
import type { Writable } from "node:stream";
import { formatAddress, ProxyError, SocketError, type SocketInfo } from "../index.js";

/** Exit codes (DESIGN.md "The command line"): done, a network error, bad usage. */
export const EXIT_OK = 0;
/** A network error: the one line on stderr names the code and the peer. */
export const EXIT_NETWORK = 1;
/** Bad usage: an unknown command or option, a missing argument, a malformed address. */
export const EXIT_USAGE = 2;

/** Codes the library raises for what the user typed, before any I/O: bad usage, not the network. */
const USAGE_CODES = new Set(["ERR_INVALID_ADDRESS", "ERR_INVALID_ARGUMENT"]);

/** Prints a line on stderr when verbose; a no-op otherwise. */
export type Log = (line: string) => void;

/**
 * Makes the `-v` logger: connection events go to stderr so that stdout stays the byte
 * stream alone.
 */
export function createLog(verbose: boolean): Log {
  return verbose ? (line) => process.stderr.write(`${line}\n`) : () => {};
}

/**
 * An error of the command itself, not of the library (`ERR_IDLE_TIMEOUT` for `-i`): printed
 * like a network error, `sockit: CODE message`, exit 1.
 */
export class CliError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CliError";
    this.code = code;
  }
}

/** A system error as Node raises it outside sockit (dns, stdio). */
interface CodedError {
  code?: unknown;
  message?: unknown;
}

/** Collapses whitespace so a message can never take more than the one line it is given. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Turns anything a subcommand threw into the line to print on stderr and the exit code:
 * `sockit: ECONNREFUSED 127.0.0.1:1` (code, then the peer) for a network error, the
 * library's message for a malformed address or option.
 */
export function describeError(error: unknown): { line: string; exitCode: number } {
  if (error instanceof SocketError) {
    if (USAGE_CODES.has(error.code)) {
      return { line: `sockit: ${oneLine(error.message)}`, exitCode: EXIT_USAGE };
    }
    if (error instanceof ProxyError) {
      // The proxy's answer (a CONNECT status, a SOCKS reply) and the proxy, not the target.
      const { status, socksReply } = error;
      const answer =
        status !== undefined
          ? ` ${status}`
          : socksReply !== undefined
            ? ` SOCKS ${socksReply}`
            : "";
      return {
        line: `sockit: ${error.code}${answer} proxy ${error.proxy}`,
        exitCode: EXIT_NETWORK,
      };
    }
    const where = error.address ?? error.message;
    // A TLS error's reason says which check failed (CERT_HAS_EXPIRED, …).
    const reason = "reason" in error && typeof error.reason === "string" ? ` ${error.reason}` : "";
    return { line: `sockit: ${error.code}${reason} ${oneLine(where)}`, exitCode: EXIT_NETWORK };
  }
  const coded = (typeof error === "object" && error !== null ? error : {}) as CodedError;
  const message = oneLine(typeof coded.message === "string" ? coded.message : String(error));
  const prefix = typeof coded.code === "string" && !message.includes(coded.code) ? coded.code : "";
  return { line: `sockit: ${oneLine(`${prefix} ${message}`)}`, exitCode: EXIT_NETWORK };
}

/** A dual-stack server sees IPv4 peers as `::ffff:a.b.c.d`; people know them as `a.b.c.d`. */
function unmapped(address: string): string {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : "";
  return isIPv4(v4) ? v4 : address;
}

/**
 * Names the other end of a socket: `127.0.0.1:5000`, `[::1]:5000`, or `unix:/path`;
 * `fallback` when the system no longer knows (a peer that reset at once).
 */
export function peerOf(info: SocketInfo, fallback = "unknown peer"): string {
  const peer =
    info.remoteAddress !== undefined
      ? formatAddress(unmapped(info.remoteAddress), info.remotePort ?? 0)
      : info.path === undefined
        ? fallback
        : `unix:${info.path}`;
  return info.proxy === undefined ? peer : `${peer}${behindProxy(info.proxy)}`;
}

/**
 * What follows the peer behind a PROXY header: the proxy and the header,
 * ` via 127.0.0.1:40312 (PROXY v2 TCP4)`, or for a health check ` (PROXY v2 LOCAL)`.
 */
function behindProxy(proxy: NonNullable<SocketInfo["proxy"]>): string {
  const kind = proxy.command === "LOCAL" ? "LOCAL" : proxy.transport;
  const via = proxy.via;
  const through =
    proxy.source === undefined || via === undefined || via.family === "unix"
      ? ""
      : ` via ${formatAddress(via.address, via.port)}`;
  return `${through} (PROXY v${proxy.version} ${kind})`;
}

/** Names our end of a TCP socket, or undefined for a Unix-domain one (it has no name). */
export function localOf(info: SocketInfo): string | undefined {
  return info.localAddress === undefined
    ? undefined
    : formatAddress(info.localAddress, info.localPort ?? 0);
}

/** The verbose line for a closed socket: `closed`, or `closed (ECONNRESET)` after an error. */
export function closedLine(error: SocketError | undefined, who?: string): string {
  const name = who === undefined ? "closed" : `closed ${who}`;
  return error === undefined ? name : `${name} (${error.code})`;
}

/** Resolves once everything written to `stream` so far has been handed to the system. */
function flush(stream: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stream.destroyed || !stream.writable) {
      resolve();
      return;
    }
    // A reader that went away (EPIPE) must not turn the exit into a crash.
    stream.on("error", () => resolve());
    // The callback of an empty write runs after every earlier write, or on error.
    stream.write("", () => resolve());
  });
}

/**
 * Exits with `code` once stdout and stderr are flushed. `process.exit` makes the end final
 * even while a handle (stdin, a socket in its close timeout) would keep the process alive;
 * flushing first makes sure the last bytes of a bridge reach the pipe.
 */
export async function exit(code: number): Promise<never> {
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}

/** The signals that stop a listener, with the exit code a shell reports for each (128 + n). */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
/** `SIGINT` or `SIGTERM`. */
export type StopSignal = keyof typeof STOP_SIGNALS;

/** Calls `handler` on SIGINT or SIGTERM; a second one of the same kind ends the process as usual. */
export function onStopSignal(handler: (signal: StopSignal) => void): void {
  for (const signal of Object.keys(STOP_SIGNALS) as StopSignal[]) {
    process.once(signal, () => handler(signal));
  }
}
