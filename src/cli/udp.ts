/**
 * `sockit udp send TARGET [MESSAGE…]` and `sockit udp listen [HOST:]PORT`: UDP from the
 * command line, like `nc -u` (LiveCode `open datagram socket`, hs.socket.udp).
 *
 * @module
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { Command } from "commander";
import {
  type DatagramSocket,
  formatAddress,
  openDatagram,
  parseLocal,
  SocketError,
} from "../index.js";
import { exit, type Log, onStopSignal, STOP_SIGNALS } from "./common.js";
import { collect, count, logOf, milliseconds } from "./options.js";

/** Options of `sockit udp send`. */
export interface UdpSendOptions {
  /** Local `[host:]port` to send from (LiveCode `from`). Default: any address, a free port. */
  bind?: string;
  /** Allow a broadcast destination (`SO_BROADCAST`). */
  broadcast?: boolean;
  /** Milliseconds to go on printing replies after the last datagram is sent. Default 0. */
  wait?: number;
}

/** Options of `sockit udp listen`. */
export interface UdpListenOptions {
  /** Send every datagram back to its sender (an RFC 862 echo service). */
  echo?: boolean;
  /** Stop after this many datagrams (exit 0). Default: until SIGINT/SIGTERM. */
  count?: number;
  /** Multicast groups to join. */
  join?: string[];
  /** The local address of the interface to join the groups on. Default: the system's choice. */
  iface?: string;
}

/** Where the command's I/O goes; the defaults are the process's own streams. */
export interface UdpStreams {
  input?: Readable;
  output?: Writable;
}

/** A bind address as `openDatagram` options: `"port"`, `":port"`, `"host:port"`, `"[v6]:port"`. */
function bindOptions(local: string): { localAddress?: string; localPort: number } {
  const endpoint = parseLocal(local, "udp");
  if (endpoint.kind !== "tcp") {
    throw new SocketError("ERR_INVALID_ADDRESS", "UDP binds to [host:]port, not a unix path");
  }
  return endpoint.host === ""
    ? { localPort: endpoint.port }
    : { localAddress: endpoint.host, localPort: endpoint.port };
}

function describe(socket: DatagramSocket): string {
  const { localAddress, localPort } = socket.info();
  return formatAddress(localAddress, localPort);
}

/**
 * Sends `message` as one datagram, or else every line of stdin (its line ending included) as
 * a datagram of its own, in order; replies are written to stdout as they arrive, until
 * `wait` ms after the last send.
 * @throws (rejects) `ERR_INVALID_ADDRESS` (bad usage), `ERR_DATAGRAM_TOO_LARGE` for a line
 * or message over the UDP limit, or the system's code (`EACCES` for a broadcast address
 * without `--broadcast`).
 */
export async function runUdpSend(
  target: string,
  message: string | undefined,
  options: UdpSendOptions,
  log: Log,
  streams: UdpStreams = {},
): Promise<void> {
  const output = streams.output ?? process.stdout;
  const socket = await openDatagram({
    ...(options.bind === undefined ? {} : bindOptions(options.bind)),
    broadcast: options.broadcast ?? false,
  });
  socket.on("message", (data, from) => {
    log(`datagram from ${formatAddress(from.address, from.port)} (${data.length} bytes)`);
    output.write(data);
  });
  try {
    log(`sending from ${describe(socket)}`);
    const send = async (data: string): Promise<void> => {
      await socket.send(data, target);
      log(`sent ${Buffer.byteLength(data)} bytes to ${target}`);
    };
    if (message !== undefined) await send(message);
    else {
      const lines = createInterface({ input: streams.input ?? process.stdin, crlfDelay: Infinity });
      // readline drops the line ending; a datagram per line keeps it, as nc -u sends it.
      for await (const line of lines) await send(`${line}\n`);
    }
    const wait = options.wait ?? 0;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  } finally {
    await socket.close();
  }
}

/**
 * Binds to `local`, prints `listening on udp HOST:PORT` to stderr (the real port when 0 was
 * asked for), and writes each datagram's bytes to stdout; `--echo` sends each one back.
 * Ends after `count` datagrams (exit 0) or on SIGINT/SIGTERM (130/143).
 * @throws (rejects) `ERR_INVALID_ADDRESS` (bad usage), `EADDRINUSE`, or a join's error.
 */
export async function runUdpListen(
  local: string,
  options: UdpListenOptions,
  log: Log,
  streams: UdpStreams = {},
): Promise<void> {
  const output = streams.output ?? process.stdout;
  const groups = options.join ?? [];
  const socket = await openDatagram({ ...bindOptions(local), reuseAddress: groups.length > 0 });
  try {
    for (const group of groups) {
      socket.joinGroup(group, options.iface === undefined ? {} : { iface: options.iface });
      log(`joined ${group}`);
    }
  } catch (error) {
    await socket.close();
    throw error;
  }
  process.stderr.write(`listening on udp ${describe(socket)}\n`);
  onStopSignal((signal) => {
    log(`stopped by ${signal}`);
    void socket.close().then(() => exit(STOP_SIGNALS[signal]));
  });
  let left = options.count ?? Number.POSITIVE_INFINITY;
  for await (const datagram of socket) {
    const from = formatAddress(datagram.address, datagram.port);
    log(`datagram from ${from} (${datagram.data.length} bytes)`);
    output.write(datagram.data);
    if (options.echo === true) {
      // A lost echo is UDP's normal; the listener goes on.
      await socket.send(datagram.data, from).catch((error: SocketError) => {
        log(`echo to ${from} failed: ${error.code}`);
      });
    }
    if (--left <= 0) break;
  }
  await socket.close();
}

/** Registers `sockit udp send|listen` on `root`. */
export function registerUdp(root: Command): void {
  const udp = root
    .command("udp")
    .description("UDP datagrams: send them, or listen for them (like nc -u)");
  udp
    .command("send")
    .description("send MESSAGE as one datagram, or each line of stdin as its own; print replies")
    .argument("<target>", "host:port or [v6]:port")
    .argument("[message...]", "the datagram's text (words joined by spaces); default: stdin lines")
    .option("--bind <local>", "send from this [host:]port")
    .option("--broadcast", "allow a broadcast destination (SO_BROADCAST)")
    .option(
      "--wait <ms>",
      "print replies for this many milliseconds after the last send",
      milliseconds,
    )
    .action((target: string, words: string[], options: UdpSendOptions, command: Command) =>
      runUdpSend(target, words.length === 0 ? undefined : words.join(" "), options, logOf(command)),
    );
  udp
    .command("listen")
    .description("print every datagram received on [HOST:]PORT to stdout")
    .argument("<local>", "[host:]port (0: any free port)")
    .option("--echo", "send every datagram back to its sender")
    .option("--count <n>", "exit after N datagrams", count)
    .option("--join <group>", "join a multicast group (repeatable)", collect, [])
    .option("--iface <address>", "join groups on the interface with this local address")
    .action((local: string, options: UdpListenOptions, command: Command) =>
      runUdpListen(local, options, logOf(command)),
    );
}
