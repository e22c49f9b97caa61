/**
 * Load (issue 13): 2,000 concurrent framed-echo connections against a sockit server and,
 * measured the same way, a raw `node:net` one: zero loss, and the server's memory per
 * connection (heap, RSS, buffers; with the heap growth by constructor) beside raw Node.
 * Server and clients each run in a child process (their descriptor limit raised to the hard
 * limit). `SOCKIT_SOAK_CONNECTIONS` and `SOCKIT_SOAK_MESSAGES` make it a longer soak run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DIST } from "./child.js";
import { recordFigures } from "./figures.js";

const CONNECTIONS = Number(process.env.SOCKIT_SOAK_CONNECTIONS ?? 2000);
const MESSAGES = Number(process.env.SOCKIT_SOAK_MESSAGES ?? 3);
const SEED = 2000;
const BOUND_MS = Math.max(60_000, CONNECTIONS * 30);
/** How long a child may take to exit by itself once told to finish. */
const EXIT_BOUND_MS = 30_000;
void DIST;

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

/** A scenario under `sh` with `ulimit -n` raised to the hard limit. */
function start(script: string, args: readonly string[], nodeArgs: readonly string[] = []) {
  const path = fileURLToPath(new URL(`./scenarios/${script}`, import.meta.url));
  const child = spawn(
    "sh",
    [
      "-c",
      'ulimit -n "$(ulimit -Hn)"; exec "$@"',
      "sh",
      process.execPath,
      ...nodeArgs,
      path,
      ...args,
    ],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  children.add(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exitedAt = new Promise<void>((resolve) =>
    child.once("exit", () => {
      children.delete(child);
      resolve();
    }),
  );
  /** Ends its stdin (the signal to finish); resolves whether it exited by itself within the bound. */
  const stop = (): Promise<boolean> => {
    child.stdin?.end();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(false);
      }, EXIT_BOUND_MS);
      void exitedAt.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  };
  return { child, next: nextLine(lines), stop };
}

function nextLine(lines: Interface): <T>() => Promise<T> {
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on("line", (line) => {
    const wake = waiting.shift();
    if (wake === undefined) queue.push(line);
    else wake(line);
  });
  return <T>() =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("a load child printed nothing in time")),
        BOUND_MS,
      );
      const take = (line: string) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as T);
      };
      const line = queue.shift();
      if (line === undefined) waiting.push(take);
      else take(line);
    });
}

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
interface Measured {
  open: number;
  baseline: Memory;
  now: Memory;
  heapGrowth?: { name: string; count: number; bytes: number }[];
}
interface Clients {
  connections: number;
  messages: number;
  bytes: number;
  mismatches: number;
  errors: Record<string, number>;
  ms: number;
}

async function measure(impl: "sockit" | "net") {
  const server = start("load-server.mjs", [impl, "breakdown"], ["--expose-gc"]);
  const { port } = await server.next<{ port: number }>();
  const clients = start("load-clients.mjs", [
    String(port),
    String(CONNECTIONS),
    String(MESSAGES),
    String(SEED),
  ]);
  const traffic = await clients.next<Clients>();
  server.child.stdin?.write("measure\n");
  const memory = await server.next<Measured>();
  const clientsExited = clients.stop();
  const exited = (await clientsExited) && (await server.stop());
  const per = (field: keyof Memory) =>
    Math.round((memory.now[field] - memory.baseline[field]) / CONNECTIONS);
  return {
    traffic,
    open: memory.open,
    exited,
    perConnection: {
      heapUsed: per("heapUsed"),
      rss: per("rss"),
      external: per("external"),
      arrayBuffers: per("arrayBuffers"),
    },
    heapGrowth: (memory.heapGrowth ?? []).map((g) => ({
      name: g.name,
      count: g.count,
      bytesPerConnection: Math.round(g.bytes / CONNECTIONS),
    })),
  };
}

describe("load: concurrent framed-echo connections", () => {
  it(`echoes every frame of ${CONNECTIONS} concurrent connections byte-exact, and measures memory per connection beside raw node:net`, {
    timeout: BOUND_MS * 2,
  }, async () => {
    const sockit = await measure("sockit");
    const net = await measure("net");
    const ratio = (field: "heapUsed" | "rss") =>
      Math.round((sockit.perConnection[field] / Math.max(1, net.perConnection[field])) * 100) / 100;
    recordFigures("load", {
      connections: CONNECTIONS,
      messagesPerConnection: MESSAGES,
      soak: process.env.SOCKIT_SOAK_CONNECTIONS !== undefined,
      sockit: {
        ...sockit.traffic,
        open: sockit.open,
        perConnection: sockit.perConnection,
        heapGrowth: sockit.heapGrowth,
      },
      net: {
        ...net.traffic,
        open: net.open,
        perConnection: net.perConnection,
        heapGrowth: net.heapGrowth,
      },
      ratio: { heapUsed: ratio("heapUsed"), rss: ratio("rss") },
    });
    for (const run of [sockit, net]) {
      expect(run.traffic.errors).toEqual({});
      expect(run.traffic.connections).toBe(CONNECTIONS);
      expect(run.traffic.messages).toBe(CONNECTIONS * MESSAGES);
      expect(run.traffic.mismatches).toBe(0);
      expect(run.open).toBe(CONNECTIONS); // every connection was held at once
      expect(run.exited).toBe(true);
    }
  });
});
