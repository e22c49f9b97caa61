/**
 * A TCP proxy on loopback that injects faults, seeded: it splits chunks into random pieces,
 * delays and stalls them, truncates a direction (forwards N bytes then ends it, or cuts the
 * connection), half-closes, and resets (RST) — each way. It counts every byte it forwarded
 * each way, so a test can check that every byte is accounted for at both ends.
 */
import { createServer, type Server, Socket } from "node:net";

/** A seeded pseudo-random generator (mulberry32). */
export function prng(seed: number): { next(): number; int(n: number): number } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/** What the proxy does to one direction of one connection. */
export type Fault = "none" | "split" | "delay" | "stall" | "truncate" | "halfClose" | "reset";
export const FAULTS: readonly Fault[] = [
  "none",
  "split",
  "delay",
  "stall",
  "truncate",
  "halfClose",
  "reset",
];

/** One proxied connection: its faults and the bytes forwarded each way. */
export interface Leg {
  up: Fault; // client to server
  down: Fault; // server to client
  /** Bytes the proxy wrote towards the server / the client. */
  forwardedUp: number;
  forwardedDown: number;
  /**
   * Whether the proxy cut the connection abruptly (a reset, or a truncation that destroys):
   * bytes in flight may then be dropped by the kernel, and the reading end sees an error.
   */
  abrupt: boolean;
  /** The proxy's local port towards the server (the server sees it as the remote port). */
  upstreamPort: number | undefined;
  /** The client's port (its local port). */
  clientPort: number | undefined;
}

export interface FaultProxy {
  port: number;
  /** The legs in accept order. */
  legs: Leg[];
  close(): Promise<void>;
}

/** Starts a proxy to `targetPort`; each connection draws its faults from `seed`. */
export async function startFaultProxy(targetPort: number, seed: number): Promise<FaultProxy> {
  const rnd = prng(seed);
  const legs: Leg[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = new Socket({ allowHalfOpen: true });
    const leg: Leg = {
      up: FAULTS[rnd.int(FAULTS.length)] ?? "none",
      down: FAULTS[rnd.int(FAULTS.length)] ?? "none",
      forwardedUp: 0,
      forwardedDown: 0,
      abrupt: false,
      upstreamPort: undefined,
      clientPort: client.remotePort,
    };
    legs.push(leg);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    const kill = (): void => {
      leg.abrupt = true;
      for (const s of [client, upstream]) {
        if (!s.destroyed) s.resetAndDestroy();
      }
    };
    upstream.connect(targetPort, "127.0.0.1", () => {
      leg.upstreamPort = upstream.localPort;
    });
    const abrupt = (): void => {
      leg.abrupt = true;
    };
    const upRnd = prng(rnd.int(2 ** 31));
    const downRnd = prng(rnd.int(2 ** 31));
    pipe(client, upstream, leg.up, upRnd, (n) => (leg.forwardedUp += n), kill, abrupt);
    pipe(upstream, client, leg.down, downRnd, (n) => (leg.forwardedDown += n), kill, abrupt);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    legs,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Forwards `from` to `to` in order, applying `fault`: every write waits for the one before
 * (a chain of promises), so splits and delays never reorder bytes.
 */
function pipe(
  from: Socket,
  to: Socket,
  fault: Fault,
  rnd: { int(n: number): number },
  count: (n: number) => void,
  kill: () => void,
  abrupt: () => void,
): void {
  const limit =
    fault === "truncate" || fault === "halfClose" || fault === "reset" ? rnd.int(400) : -1;
  let sent = 0;
  let cut = false;
  let chain = Promise.resolve();
  const later = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const write = (piece: Buffer): void => {
    if (to.destroyed || to.writableEnded) return;
    to.write(piece);
    count(piece.length);
  };
  const stop = (): void => {
    cut = true;
    if (fault === "reset") kill();
    else if (fault === "truncate") {
      // The rest never comes: end this way, and stop listening to the other side's bytes too.
      to.end();
      abrupt();
      from.destroy();
    } else to.end(); // half-close: this way ends, the other stays open
  };
  from.on("data", (chunk: Buffer) => {
    if (cut) return;
    chain = chain.then(async () => {
      if (cut) return;
      let data = chunk;
      if (limit >= 0 && sent + data.length >= limit) {
        data = data.subarray(0, limit - sent);
        sent = limit;
        if (data.length > 0) write(data);
        stop();
        return;
      }
      sent += data.length;
      if (fault === "split") {
        for (let at = 0; at < data.length; ) {
          const n = 1 + rnd.int(Math.min(64, data.length - at));
          write(data.subarray(at, at + n));
          at += n;
          if (rnd.int(4) === 0) await later(rnd.int(3));
        }
      } else if (fault === "delay") {
        await later(rnd.int(10));
        write(data);
      } else if (fault === "stall" && rnd.int(4) === 0) {
        from.pause();
        await later(50 + rnd.int(150));
        from.resume();
        write(data);
      } else write(data);
    });
  });
  from.on("end", () => {
    chain = chain.then(() => {
      if (!cut && !to.destroyed) to.end();
    });
  });
  from.on("close", () => {
    chain = chain.then(() => {
      // The other end went away abruptly (reset or destroyed): pass that on.
      if (!cut && !from.readableEnded && !to.destroyed) {
        abrupt();
        to.destroy();
      }
    });
  });
}
