/**
 * `sockit listen [HOST:]PORT|unix:PATH` (or ncat's `sockit -l [HOST] PORT`): one connection
 * bridged with stdin and stdout, like `nc -l`; with `-k` many (see keep-open.ts); with
 * `--echo` an echo server; with `-u` UDP.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { formatAddress, listen, type Server, type Socket, SocketError } from "../index.js";
import {
  closedLine,
  exit,
  type Log,
  onStopSignal,
  peerOf,
  STOP_SIGNALS,
  type StopSignal,
} from "./common.js";
import { addListenFlags, addSessionFlags, normalize, type SessionFlags } from "./flags.js";
import { serveMany } from "./keep-open.js";
import { CRLF_HELP, logOf, tlsFlags } from "./options.js";
import { runSession, SessionContext } from "./session.js";
import { serverTls, type TlsFlags } from "./tls-flags.js";
import { runUdpListen } from "./udp-session.js";

/** Options of `sockit listen`. */
export interface ListenCommandOptions extends TlsFlags, SessionFlags {
  /** Echo every connection's bytes back, until SIGINT or SIGTERM. */
  echo?: boolean;
}

/** How long closing waits for a peer to close its side before dropping it. */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * Where a server listens, as `listening on` prints it: `[::]:8080`, `127.0.0.1:8080`,
 * `unix:/p`; every address of a name with several: `127.0.0.1:8080, [::1]:8080`.
 */
function whereListening(server: Server): string {
  if (server.path !== undefined) return `unix:${server.path}`;
  if (server.addresses.length > 1) {
    return server.addresses.map((bound) => formatAddress(bound.address, bound.port)).join(", ");
  }
  return formatAddress(server.host ?? "*", server.port ?? 0);
}

/**
 * The local address from sockit's one word (`[host:]port`, `unix:/path`) or ncat's forms:
 * `HOST PORT`, `-p PORT`, `-U PATH`; `-4`/`-6` pick the wildcard address when no host is given.
 */
export function localAddress(
  first: string | undefined,
  second: string | undefined,
  flags: SessionFlags,
): string {
  if (flags.unixsock) {
    if (first === undefined || second !== undefined) {
      throw new SocketError("ERR_INVALID_ADDRESS", "invalid address: -U takes one path");
    }
    return first.startsWith("unix:") ? first : `unix:${first}`;
  }
  let host: string | undefined;
  let port: string | undefined;
  if (second !== undefined) [host, port] = [first, second];
  else if (flags.sourcePort !== undefined) [host, port] = [first, String(flags.sourcePort)];
  else if (first === undefined)
    throw new SocketError("ERR_INVALID_ADDRESS", "invalid address: no port to listen on");
  else if (flags.ipv4 || flags.ipv6 || /^\d+$/.test(first)) port = first;
  else return first;
  host ??= flags.ipv6 ? "::" : flags.ipv4 ? "0.0.0.0" : undefined;
  if (host === undefined) return port;
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Listens and prints `listening on …` to stderr (with the real port when 0 was asked for),
 * then serves: see {@link ListenCommandOptions}.
 * @throws (rejects) `ERR_INVALID_ADDRESS` for a malformed address (bad usage), or the
 * listen or socket error (`EADDRINUSE`, `EACCES`, `ECONNRESET`, …).
 */
export async function runListen(
  first: string | undefined,
  second: string | undefined,
  options: ListenCommandOptions,
  log: Log,
): Promise<void> {
  const flags = normalize(options);
  const local = localAddress(first, second, flags);
  if (flags.udp) {
    await runUdpListen(local, new SessionContext(flags, log));
    return;
  }
  const tls = serverTls(flags);
  // Every mode goes on writing after the peer's FIN (the tail of an echo, the rest of stdin).
  const server = await listen(local, {
    allowHalfOpen: true,
    closeTimeout: CLOSE_TIMEOUT_MS,
    ...(tls === undefined ? {} : { tls }),
    ...(flags.proxyProtocol === undefined ? {} : { proxyProtocol: flags.proxyProtocol }),
  });
  server.on("proxyError", (error) => {
    const reason = "reason" in error ? ` ${String(error.reason)}` : "";
    log(`refused a client: ${error.code}${reason}${error.address ? ` from ${error.address}` : ""}`);
  });
  // A client whose TLS handshake fails never becomes a connection: say why, and go on.
  server.on("error", (error) => {
    const reason = "reason" in error ? ` ${String(error.reason)}` : "";
    log(`refused a client: ${error.code}${reason}`);
  });
  const where = whereListening(server);
  process.stderr.write(`listening on ${where}\n`);
  if (flags.json)
    process.stdout.write(`${JSON.stringify({ event: "listening", address: where })}\n`);
  if (options.echo) await serveEcho(server, log);
  else if (flags.keepOpen) await serveMany(server, flags, log);
  else await serveOne(server, flags, log);
}

/**
 * Serves the first connection; connections arriving meanwhile are dropped. A stop signal
 * interrupts the session (exit 130 or 143, as for any interrupted command), but closes the
 * server first so that a Unix socket file is not left behind.
 */
async function serveOne(server: Server, flags: SessionFlags, log: Log): Promise<void> {
  onStopSignal((signal) => {
    log(`stopped by ${signal}`);
    void server.close().then(() => exit(STOP_SIGNALS[signal]));
  });
  const first = new Promise<Socket>((resolve) => {
    let bridged = false;
    server.on("connection", (socket) => {
      if (!bridged) {
        bridged = true;
        resolve(socket);
        return;
      }
      // stdin can feed one peer only; a second one would get an arbitrary share of it.
      log(`refused ${peerOf(socket.info())}: already bridging a connection`);
      void socket.destroy();
    });
  });
  const socket = await first;
  const context = new SessionContext(flags, log);
  try {
    await context.recorder.opened();
    await runSession(socket, context, "connection from");
  } finally {
    await Promise.all([server.close(), context.recorder.close()]);
  }
}

/** Echoes every connection until SIGINT or SIGTERM (its normal end: exit 0), then closes them all. */
async function serveEcho(server: Server, log: Log): Promise<void> {
  server.on("connection", (socket) => void echo(socket, log));
  const signal = await new Promise<StopSignal>(onStopSignal);
  log(`stopping on ${signal}`);
  await server.closeAll();
}

/** Sends back what arrives until the peer's end of stream; never rejects. */
async function echo(socket: Socket, log: Log): Promise<void> {
  const peer = peerOf(socket.info());
  log(`connection from ${peer}`);
  try {
    for (;;) {
      const data = await socket.readAvailable();
      if (data.length === 0) break;
      // Awaiting the send stops reading while the peer is slow to take its echo.
      await socket.send(data);
    }
    await socket.close();
  } catch {
    await socket.destroy();
  }
  const closed = await socket.closed;
  log(closedLine(closed.error, peer));
}

/** Registers `sockit listen [LOCAL] [PORT]` with ncat's flags, `--echo` and `-k`. */
export function registerListen(root: Command): void {
  const command = root
    .command("listen")
    .description("accept one connection and bridge it with stdin/stdout; -k for many, --echo")
    .argument("[local]", "[host:]port (0: any free port) or unix:/path; or HOST PORT")
    .argument("[port]", "the port, when LOCAL is a host alone (ncat's form)")
    .option("--echo", "echo every connection's bytes back until SIGINT/SIGTERM")
    // --echo does not read stdin: --crlf there would be silently ignored, so it is bad usage.
    .addOption(new Option("-C, --crlf", `${CRLF_HELP} (not with --echo)`).conflicts("echo"));
  addListenFlags(addSessionFlags(tlsFlags(command, "server"))).action(
    (
      local: string | undefined,
      port: string | undefined,
      options: ListenCommandOptions,
      self: Command,
    ) => runListen(local, port, options, logOf(self)),
  );
}
