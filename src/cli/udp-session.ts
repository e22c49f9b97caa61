/**
 * ncat's `-u` for the single-command form and `connect`/`listen`: each line of stdin is one
 * datagram, and every datagram received is printed (raw, or as `--json`/`--lines`/…).
 * `connect -u` talks to one peer (a connected UDP socket: only its datagrams arrive) and ends
 * at the end of stdin, or with `-i`, once nothing arrived for that long after it. `listen -u`
 * takes the first sender as its peer, as ncat does (with `-k`: every sender, each gets stdin).
 *
 * @module
 */
import { createInterface } from "node:readline";
import {
  type Datagram,
  type DatagramSocket,
  formatAddress,
  openDatagram,
  parseLocal,
  SocketError,
} from "../index.js";
import { CliError, exit, onStopSignal } from "./common.js";
import type { SessionContext } from "./session.js";

/** Sends each line of stdin (its ending kept) with `send`; resolves at the end of stdin. */
async function sendLines(
  context: SessionContext,
  send: (data: Buffer) => Promise<void>,
): Promise<void> {
  if (context.flags.recvOnly) return new Promise(() => {});
  const encoder = context.encoder();
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    const data = encoder.push(Buffer.from(`${line}\n`));
    if (data.length > 0) await send(data);
  }
  const tail = encoder.end();
  if (tail.length > 0) await send(tail);
}

/** Prints datagrams as they arrive until `stop` resolves (then resolves) or a receive fails. */
async function printDatagrams(
  socket: DatagramSocket,
  context: SessionContext,
  accept: (datagram: Datagram) => boolean,
  activity: () => void,
): Promise<void> {
  const printer = context.printer(1);
  for (;;) {
    const datagram = await socket.receive();
    if (!accept(datagram)) continue;
    activity();
    const from = formatAddress(datagram.address, datagram.port);
    context.log(`datagram from ${from} (${datagram.data.length} bytes)`);
    const tap = context.recorder.active ? context.recorder.tap(1) : undefined;
    tap?.received(datagram.data);
    for (const part of printer?.data(datagram.data) ?? [datagram.data]) process.stdout.write(part);
  }
}

/** Resolves once `ms` passed without a call to `touch()`; never when `ms` is undefined. */
function idleWait(ms: number | undefined): { touch(): void; idle: Promise<void> } {
  let touch = (): void => {};
  const idle = new Promise<void>((resolve) => {
    if (ms === undefined) return;
    let timer = setTimeout(resolve, ms);
    touch = () => {
      clearTimeout(timer);
      timer = setTimeout(resolve, ms);
    };
  });
  return { touch: () => touch(), idle };
}

/**
 * `sockit -u HOST PORT`: stdin lines as datagrams to `target`, its datagrams to stdout.
 * @throws (rejects) `ERR_INVALID_ADDRESS`, `ECONNREFUSED` (an ICMP port unreachable), …
 */
export async function runUdpConnect(target: string, context: SessionContext): Promise<void> {
  const { flags } = context;
  const socket = await openDatagram({
    remote: target,
    ...(flags.ipv6 ? { type: "udp6" as const } : flags.ipv4 ? { type: "udp4" as const } : {}),
  });
  const info = socket.info();
  context.log(
    `connected to ${target} from ${formatAddress(info.localAddress, info.localPort)} (udp)`,
  );
  context.json({ event: "connected", conn: 1, peer: target });
  const { touch, idle } = idleWait(flags.idleTimeout);
  const tap = context.recorder.active ? context.recorder.tap(1) : undefined;
  const receiving = flags.sendOnly
    ? new Promise<void>(() => {})
    : printDatagrams(socket, context, () => true, touch);
  try {
    // ncat ends a UDP session at the end of stdin; -i waits that long for late replies.
    const sending = sendLines(context, async (data) => {
      touch();
      await socket.send(data);
      tap?.sent(data);
    }).then(() => (flags.idleTimeout === undefined ? undefined : idle));
    await Promise.race([sending, receiving]);
  } finally {
    await socket.close();
    receiving.catch(() => {});
  }
  context.json({ event: "closed", conn: 1, peer: target });
}

/**
 * `sockit -lu PORT`: every datagram to stdout; stdin lines go to the first sender (with `-k`,
 * to every sender so far). Runs until SIGINT/SIGTERM (exit 0), or `-i` of silence (exit 1).
 */
export async function runUdpListen(local: string, context: SessionContext): Promise<void> {
  const { flags } = context;
  const endpoint = parseLocal(local, "udp");
  if (endpoint.kind !== "tcp")
    throw new SocketError("ERR_INVALID_ADDRESS", "UDP binds to [host:]port");
  const host =
    endpoint.host !== "" ? endpoint.host : flags.ipv6 ? "::" : flags.ipv4 ? "0.0.0.0" : undefined;
  const socket = await openDatagram({
    localPort: endpoint.port,
    ...(host === undefined ? {} : { localAddress: host }),
  });
  const info = socket.info();
  process.stderr.write(`listening on udp ${formatAddress(info.localAddress, info.localPort)}\n`);
  context.json({ event: "listening", address: formatAddress(info.localAddress, info.localPort) });
  const peers = new Map<string, Datagram>();
  const accept = (datagram: Datagram): boolean => {
    const from = formatAddress(datagram.address, datagram.port);
    if (peers.has(from)) return true;
    if (peers.size > 0 && !flags.keepOpen) {
      context.log(`ignored a datagram from ${from}: the peer is the first sender`);
      return false;
    }
    peers.set(from, datagram);
    context.json({ event: "connected", conn: peers.size, peer: from });
    return true;
  };
  const stopped = new Promise<void>((resolve) => onStopSignal(() => resolve()));
  const { touch, idle } = idleWait(flags.idleTimeout);
  const timedOut = idle.then(() => {
    throw new CliError("ERR_IDLE_TIMEOUT", `udp ${local} (no data for ${flags.idleTimeout} ms)`);
  });
  const sending = sendLines(context, async (data) => {
    touch();
    for (const peer of peers.keys()) await socket.send(data, peer);
  }).then(() => new Promise<void>(() => {}));
  const receiving = printDatagrams(socket, context, accept, touch);
  try {
    await Promise.race([stopped, timedOut, sending, receiving]);
  } finally {
    for (const p of [timedOut, sending, receiving]) p.catch(() => {});
    await socket.close();
  }
  await exit(0);
}
