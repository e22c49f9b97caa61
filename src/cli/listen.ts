/**
 * `sockit listen [HOST:]PORT|unix:PATH`: one connection bridged with stdin and stdout, like
 * `nc -l`, or with `--echo` an echo server for any number of connections.
 *
 * @module
 */
import {
  formatAddress,
  listen,
  type ProxyProtocolMode,
  type Server,
  type Socket,
  type SocketInfo,
} from "../index.js";
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
  /**
   * `--proxy-protocol v1|v2|any`: every connection must start with a PROXY header (from
   * HAProxy, nginx, …); `-v` prints the original client and the proxy it came through.
   */
  proxyProtocol?: ProxyProtocolMode;
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
    ...(options.proxyProtocol === undefined ? {} : { proxyProtocol: options.proxyProtocol }),
  });
  // A client whose TLS handshake fails never becomes a connection: say why, and go on.
  server.on("error", (error) => {
    const reason = "reason" in error ? ` ${String(error.reason)}` : "";
    log(`refused a client: ${error.code}${reason}`);
  });
  server.on("proxyError", (error) => {
    const reason = "reason" in error ? ` ${String(error.reason)}` : "";
    log(`refused a client: ${error.code}${reason}${error.address ? ` from ${error.address}` : ""}`);
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
  log(`connection from ${connectionFrom(socket.info())}`);
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
  log(`connection from ${connectionFrom(socket.info())}`);
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

/**
 * The peer as `-v` prints it; behind a PROXY header, the original client, then the proxy:
 * `203.0.113.7:51000 via 127.0.0.1:40312 (PROXY v2 TCP4)`, or for a health check
 * `127.0.0.1:40312 (PROXY v2 LOCAL)`.
 */
function connectionFrom(info: SocketInfo): string {
  const peer = peerOf(info);
  const { proxy } = info;
  if (proxy === undefined) return peer;
  const kind = proxy.command === "LOCAL" ? "LOCAL" : proxy.transport;
  const via = proxy.via;
  const through =
    proxy.source === undefined || via === undefined || via.family === "unix"
      ? ""
      : ` via ${formatAddress(via.address, via.port)}`;
  return `${peer}${through} (PROXY v${proxy.version} ${kind})`;
}
