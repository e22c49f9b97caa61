/**
 * Every byte accounted for through a fault proxy (issue 13): sockit clients talk to a sockit
 * echo server through a proxy that splits, delays, stalls, truncates, half-closes and resets
 * both ways, with delimited (lines) and length-prefixed traffic. At each end, what arrived
 * (whole messages, then the `partial` of an `IncompleteReadError`) must be exactly what the
 * proxy forwarded, in order, a prefix of what was sent; whatever is missing is reported by
 * an error on the read. Nothing is silently lost, duplicated or reordered.
 */
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "../../src/connect.js";
import { IncompleteReadError, SocketError } from "../../src/errors.js";
import { listen } from "../../src/listen.js";
import type { Server } from "../../src/server.js";
import type { Socket } from "../../src/socket.js";
import { FAULTS, type FaultProxy, type Leg, prng, startFaultProxy } from "./fault-proxy.js";
import { recordFigures } from "./figures.js";

const SEED = 13;
const CONNECTIONS = 400;
const BATCH = 100;
const MESSAGES = 12;
const READ_TIMEOUT = 5000; // a read still waiting after this is a hang, and fails the test

type Mode = "lines" | "frames";

/** What the server received on one connection. */
interface Seen {
  bytes: number;
  partial: number;
  error: string | undefined;
}

/**
 * What the server received, by its peer port (the proxy's upstream port), in accept order:
 * a port freed by a cut connection can come back for a later one.
 */
const serverSide = new Map<number, Seen[]>();

/** Each leg's server connection, matched by port in order (legs are in connect order). */
function serverSeen(legs: readonly Leg[]): Map<Leg, Seen | undefined> {
  const queues = new Map([...serverSide].map(([port, seen]) => [port, [...seen]]));
  return new Map(
    legs.map((leg) => [
      leg,
      leg.upstreamPort === undefined ? undefined : queues.get(leg.upstreamPort)?.shift(),
    ]),
  );
}

const servers: Server[] = [];
const proxies: FaultProxy[] = [];
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.closeAll()));
});

/** The echo server: a line or a frame back for each one read, until the stream ends. */
async function echo(socket: Socket): Promise<void> {
  const port = socket.info().remotePort ?? 0;
  const seen: Seen = { bytes: 0, partial: 0, error: undefined };
  serverSide.set(port, [...(serverSide.get(port) ?? []), seen]);
  const mode = await socket.readBytes(1); // the client's first byte names the mode
  seen.bytes += 1;
  try {
    for (;;) {
      if (mode.toString() === "L") {
        const line = await socket.readUntil("\n", { timeout: READ_TIMEOUT });
        seen.bytes += line.length;
        socket.write(line);
      } else {
        const payload = await socket.readFrame({ timeout: READ_TIMEOUT });
        seen.bytes += payload.length + 4;
        socket.writeFrame(payload);
      }
    }
  } catch (error) {
    if (error instanceof IncompleteReadError) seen.partial += error.partial.length;
    seen.error = error instanceof SocketError ? error.code : "uncoded";
  }
  await socket.close();
}

/** The messages of one connection, as the bytes on the wire. */
function messages(mode: Mode, rnd: { int(n: number): number }): Buffer[] {
  return Array.from({ length: MESSAGES }, () => {
    if (mode === "lines") return Buffer.from(`${randomText(rnd, 1 + rnd.int(120))}\n`);
    const payload = randomBytes(rnd.int(200));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(payload.length);
    return Buffer.concat([header, payload]);
  });
}

function randomText(rnd: { int(n: number): number }, length: number): string {
  const letters = "abcdefghijklmnopqrstuvwxyz0123456789 ";
  return Array.from({ length }, () => letters[rnd.int(letters.length)]).join("");
}

interface ClientResult {
  port: number | undefined;
  sent: Buffer;
  received: Buffer;
  partial: number;
  error: string | undefined;
}

/** One client: the mode byte, then every message; reads the echoes until done or an error. */
async function client(
  proxyPort: number,
  mode: Mode,
  rnd: { int(n: number): number },
): Promise<ClientResult> {
  const socket = connect(`127.0.0.1:${proxyPort}`);
  const wire = [Buffer.from(mode === "lines" ? "L" : "F"), ...messages(mode, rnd)];
  for (const message of wire) socket.send(message).catch(() => {}); // a cut connection fails them
  const received: Buffer[] = [];
  let port: number | undefined;
  socket.opened.then(
    (info) => {
      port = info.localPort;
    },
    () => {},
  );
  let partial = 0;
  let error: string | undefined;
  try {
    for (let i = 0; i < MESSAGES; i++) {
      if (mode === "lines") received.push(await socket.readUntil("\n", { timeout: READ_TIMEOUT }));
      else {
        const payload = await socket.readFrame({ timeout: READ_TIMEOUT });
        const header = Buffer.alloc(4);
        header.writeUInt32BE(payload.length);
        received.push(header, payload);
      }
    }
  } catch (e) {
    if (e instanceof IncompleteReadError) {
      received.push(e.partial);
      partial = e.partial.length;
    }
    error = e instanceof SocketError ? e.code : "uncoded";
  }
  await socket.destroy();
  port ??= socket.info().localPort;
  return {
    port,
    sent: Buffer.concat(wire.slice(1)),
    received: Buffer.concat(received),
    partial,
    error,
  };
}

describe("a fault proxy between sockit client and server", () => {
  it("accounts for every byte both ways through splits, delays, stalls, truncation, half-close and resets", async () => {
    const server = await listen("127.0.0.1:0", { closeTimeout: 1000 }, echo);
    servers.push(server);
    const proxy = await startFaultProxy(server.port ?? 0, SEED);
    proxies.push(proxy);
    const rnd = prng(SEED);
    const results: ClientResult[] = [];
    for (let start = 0; start < CONNECTIONS; start += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, i) =>
        client(proxy.port, (start + i) % 2 === 0 ? "lines" : "frames", prng(rnd.int(2 ** 31))),
      );
      results.push(...(await Promise.all(batch)));
    }
    await waitForServerSide(proxy.legs);

    const figures = {
      seed: SEED,
      connections: CONNECTIONS,
      messagesPerConnection: MESSAGES,
      faultsInjected: {} as Record<string, number>,
      bytesSent: 0,
      bytesDelivered: 0,
      bytesHandedBackAsPartial: 0,
      bytesMissingWithAnError: 0,
      bytesDroppedByReset: 0,
      bytesLostSilently: 0,
      serverBytesAccounted: 0,
      outOfOrderOrCorrupt: 0,
      hungReads: 0,
      errors: {} as Record<string, number>,
    };
    const bad: string[] = [];
    results.forEach((r, i) => {
      figures.bytesSent += r.sent.length;
      figures.bytesDelivered += r.received.length - r.partial;
      figures.bytesHandedBackAsPartial += r.partial;
      if (r.error !== undefined) figures.errors[r.error] = (figures.errors[r.error] ?? 0) + 1;
      if (r.error === "ERR_READ_TIMEOUT") figures.hungReads++;
      if (!r.sent.subarray(0, r.received.length).equals(r.received)) {
        figures.outOfOrderOrCorrupt++;
        bad.push(`connection ${i}: the echo is not a prefix of what was sent`);
      }
      if (r.received.length < r.sent.length) {
        if (r.error === undefined) {
          figures.bytesLostSilently += r.sent.length - r.received.length;
          bad.push(`connection ${i}: ${r.sent.length - r.received.length} bytes missing, no error`);
        } else figures.bytesMissingWithAnError += r.sent.length - r.received.length;
      }
    });
    // Per leg: the client got exactly what the proxy forwarded to it (fewer only after an
    // abrupt cut), and the server exactly what the proxy forwarded to it.
    // Matched by the client's port, in order: a port freed by a cut connection can come back
    // in a later batch, and legs and results are both in batch order.
    const clients = new Map<number | undefined, ClientResult[]>();
    for (const r of results) clients.set(r.port, [...(clients.get(r.port) ?? []), r]);
    const onServer = serverSeen(proxy.legs);
    for (const leg of proxy.legs) {
      const r = clients.get(leg.clientPort)?.shift();
      if (r === undefined) bad.push(`no client for the proxy's connection from ${leg.clientPort}`);
      else if (
        r.received.length > leg.forwardedDown ||
        (!leg.abrupt && r.received.length !== leg.forwardedDown)
      ) {
        bad.push(
          `client got ${r.received.length} of ${leg.forwardedDown} forwarded bytes (${leg.up}/${leg.down})`,
        );
      }
      figures.faultsInjected[`up ${leg.up}`] = (figures.faultsInjected[`up ${leg.up}`] ?? 0) + 1;
      figures.faultsInjected[`down ${leg.down}`] =
        (figures.faultsInjected[`down ${leg.down}`] ?? 0) + 1;
      const seen = onServer.get(leg);
      if (seen === undefined) {
        // A leg reset before its upstream connected: its bytes never left the proxy (Deno
        // completes a connect later than Node, so a reset fault can come first).
        const cutBeforeConnect = leg.upstreamPort === undefined && leg.abrupt;
        if (leg.forwardedUp > 0 && !cutBeforeConnect)
          bad.push(`a leg forwarded ${leg.forwardedUp} bytes to a server connection never seen`);
        continue;
      }
      const got = seen.bytes + seen.partial;
      figures.serverBytesAccounted += got;
      if (got > leg.forwardedUp || (!leg.abrupt && got !== leg.forwardedUp)) {
        bad.push(`server got ${got} of ${leg.forwardedUp} forwarded bytes (${leg.up}/${leg.down})`);
      }
    }
    const totalDown = proxy.legs.reduce((sum, leg) => sum + leg.forwardedDown, 0);
    const totalReceived = results.reduce((sum, r) => sum + r.received.length, 0);
    figures.bytesDroppedByReset = totalDown - totalReceived;
    const abruptDown = proxy.legs
      .filter((leg) => leg.abrupt)
      .reduce((sum, leg) => sum + leg.forwardedDown, 0);
    recordFigures("fault-proxy", figures);
    expect(bad).toEqual([]);
    expect(figures.hungReads).toBe(0);
    expect(figures.bytesLostSilently).toBe(0);
    expect(totalReceived).toBeLessThanOrEqual(totalDown);
    expect(totalDown - totalReceived).toBeLessThanOrEqual(abruptDown); // only resets drop bytes
    for (const fault of FAULTS) expect(figures.faultsInjected[`up ${fault}`]).toBeGreaterThan(0);
  });
});

/** The server side finishes its connections shortly after the clients: wait, bounded. */
async function waitForServerSide(legs: Leg[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const onServer = serverSeen(legs);
    const done = legs.every((leg) => {
      const seen = onServer.get(leg);
      return leg.upstreamPort === undefined || (seen !== undefined && seen.error !== undefined);
    });
    if (done) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}
