/**
 * A framed-echo server (4-byte big-endian length prefix) for the load test, run with
 * `node --expose-gc`: `load-server.mjs sockit|net [breakdown]`. Prints {"port"}; on each
 * stdin line "measure" prints the memory now against the baseline taken before any
 * connection (after a full GC), and with "breakdown" the heap growth by constructor from
 * two heap snapshots. Exits by itself once stdin ends and its connections are gone.
 */
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { getHeapSnapshot } from "node:v8";
import { listen } from "../../../dist/index.js";

const [impl = "sockit", breakdownArg] = process.argv.slice(2);
const breakdown = breakdownArg === "breakdown";

function collect() {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
}

function memory() {
  collect();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

/** Self sizes summed by node type and name (the constructor, for objects). */
async function heapByConstructor() {
  collect();
  const chunks = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk);
  const snapshot = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const totals = new Map();
  const nodes = snapshot.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const name =
      type === "object" || type === "closure" || type === "native"
        ? snapshot.strings[nodes[i + nameAt]]
        : `(${type})`;
    const key = `${name}`;
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeAt];
    totals.set(key, entry);
  }
  return totals;
}

let server;
let open = 0;
if (impl === "sockit") {
  server = await listen("127.0.0.1:0", { backlog: 4096 }, async (socket) => {
    open++;
    socket.once("close", () => open--);
    try {
      for await (const payload of socket.frames()) socket.writeFrame(payload);
    } catch {
      // the client reset
    }
    await socket.close();
  });
} else {
  server = createServer((socket) => {
    open++;
    socket.once("close", () => open--);
    socket.on("error", () => {});
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const length = buffered.readUInt32BE(0);
        if (buffered.length < 4 + length) break;
        socket.write(buffered.subarray(0, 4 + length));
        buffered = buffered.subarray(4 + length);
      }
    });
  });
  await new Promise((resolve) =>
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve),
  );
}
const port = impl === "sockit" ? server.port : server.address().port;
const baseline = memory();
const baseHeap = breakdown ? await heapByConstructor() : undefined;
process.stdout.write(`${JSON.stringify({ port })}\n`);

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  if (line !== "measure") return;
  const now = memory();
  const result = { open, baseline, now };
  if (baseHeap !== undefined) {
    const heap = await heapByConstructor();
    const growth = [];
    for (const [name, { count, bytes }] of heap) {
      const before = baseHeap.get(name) ?? { count: 0, bytes: 0 };
      growth.push({ name, count: count - before.count, bytes: bytes - before.bytes });
    }
    growth.sort((a, b) => b.bytes - a.bytes);
    result.heapGrowth = growth.slice(0, 15);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
});
lines.on("close", () => {
  void (impl === "sockit" ? server.close() : server.close());
});
