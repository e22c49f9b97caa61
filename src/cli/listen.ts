/**
 * `sockit listen [HOST:]PORT|unix:PATH`: one connection bridged with stdin and stdout, like
 * `nc -l`, or with `--echo` an echo server for any number of connections.
 *
 * @module
 */

import { type Command, Option } from "commander";
import { formatAddress, listen, type Server, type Socket } from "../index.js";
import { bridgeAndClose } from "./bridge.js";
import {
  closedLine,
  exit,
  type Log,
  onStopSignal,
  peerOf,
  STOP_SIGNALS,
  type StopSignal,
} from "./common.js";
import { CRLF_HELP, logOf, tlsFlags } from "./options.js";
import { serverTls, type TlsFlags } from "./tls-flags.js";

/** Options of `sockit listen`. */
export interface ListenCommandOptions extends TlsFlags {
  /** Echo every connection's bytes back, until SIGINT or SIGTERM. */
  echo?: boolean;
  /**
   * Send stdin's line endings (LF, CR or CRLF) as CRLF (`--crlf`, like `nc -C`). Bridge mode
   * only: the command line refuses it with `--echo`, where stdin is not used.
   */
  crlf?: boolean;
}

/** How long closing waits for a peer to close its side before dropping it. */
const CLOSE_TIMEOUT_MS = 2000;

/** Where a server listens, as `listening on` prints it: `[::]:8080`, `127.0.0.1:8080`, `unix:/p`. */
function whereListening(server: Server): string {
  if (server.path !== undefined) return `unix:${server.path}`;
  return formatAddress(server.host ?? "*", server.port ?? 0);
}

/**
 * Listens on `local` and prints `listening on …` to stderr (with the real port when 0 was
 * asked for), then serves: see {@link ListenCommandOptions}.
 * @throws (rejects) `ERR_INVALID_ADDRESS` for a malformed address (bad usage), or the
 * listen or socket error (`EADDRINUSE`, `EACCES`, `ECONNRESET`, …).
 */
export async function runListen(
  local: string,
  options: ListenCommandOptions,
  log: Log,
): Promise<void> {
  const echo = options.echo ?? false;
  // An echo server must go on writing after the peer's FIN, or the tail of its bytes is lost.
  const tls = serverTls(options);
  const server = await listen(local, {
    allowHalfOpen: echo,
    closeTimeout: CLOSE_TIMEOUT_MS,
    ...(tls === undefined ? {} : { tls }),
  });
  // A client whose TLS handshake fails never becomes a connection: say why, and go on.
  server.on("error", (error) => {
    const reason = "reason" in error ? ` ${String(error.reason)}` : "";
    log(`refused a client: ${error.code}${reason}`);
  });
  process.stderr.write(`listening on ${whereListening(server)}\n`);
  if (echo) await serveEcho(server, log);
  else await serveOne(server, log, options.crlf ?? false);
}

/**
 * Bridges the first connection with stdin/stdout; connections arriving meanwhile are dropped.
 * A stop signal interrupts the session (exit 130 or 143, as for any interrupted command), but
 * closes the server first so that a Unix socket file is not left behind.
 */
async function serveOne(server: Server, log: Log, crlf: boolean): Promise<void> {
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
  log(`connection from ${peerOf(socket.info())}`);
  try {
    await bridgeAndClose(socket, log, { crlf });
  } finally {
    await server.close();
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

/** Registers `sockit listen LOCAL` on `root`. */
export function registerListen(root: Command): void {
  tlsFlags(
    root
      .command("listen")
      .description("accept one connection and bridge it with stdin/stdout, or --echo for many")
      .argument("<local>", "[host:]port (0: any free port) or unix:/path")
      .option("--echo", "echo every connection's bytes back until SIGINT/SIGTERM")
      // --echo does not read stdin: --crlf there would be silently ignored, so it is bad usage.
      .addOption(new Option("--crlf", `${CRLF_HELP} (not with --echo)`).conflicts("echo")),
    "server",
  ).action((local: string, options: ListenCommandOptions, command: Command) =>
    runListen(local, options, logOf(command)),
  );
}
