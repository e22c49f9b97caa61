// The floor of the awaited styles in W3/W3c: ping-pong with `for await` per message over raw
// node:net and no library (impl/node-net-await.mjs), beside raw Node's callbacks
// (impl/node-net.mjs) and sockit's `iter` and `promise` styles, in alternating sequential runs
// of one process. If the raw awaited style cannot reach a ratio, no library's can.
//
//   node bench/w3-floor.mjs [--rounds 5]        (needs dist/: npm run build)
//
// Bounded: at most 20 rounds of 2 workloads × 4 implementations, each run killed after 60 s.
// Prints the median seconds of each and its ratio to node-net (higher is better), as
// bench/RESULTS.md does; GAPS.md quotes a run.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const RUN_TIMEOUT_MS = 60_000;
const WORKLOADS = ["W3", "W3c"];
const IMPLS = [
  { name: "node-net", argv: [path.join(here, "impl/node-net.mjs")] },
  { name: "node-net-await", argv: [path.join(here, "impl/node-net-await.mjs")] },
  { name: "sockit-iter", argv: [path.join(here, "impl/sockit.mjs"), "--style", "iter"] },
  { name: "sockit-promise", argv: [path.join(here, "impl/sockit.mjs"), "--style", "promise"] },
];

const args = process.argv.slice(2);
const roundsAt = args.indexOf("--rounds");
const rounds = roundsAt < 0 ? 5 : Number(args[roundsAt + 1]);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
  console.error("--rounds takes an integer from 1 to 20");
  process.exit(2);
}
if (!existsSync(path.join(here, "../dist/index.js"))) {
  console.error("dist/ is missing: run npm run build first");
  process.exit(2);
}

/** Starts one end; resolves with its stdout once it exits (rejects on failure or time-out). */
function start(impl, role, port, workload, onLine) {
  const child = spawn(process.execPath, [...impl.argv, role, String(port), workload], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
    onLine?.(out);
  });
  child.stderr.on("data", (chunk) => {
    err += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const exited = new Promise((resolve, reject) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${impl.name} ${role} ${workload}: exit ${code}: ${err.slice(-300)}`));
    });
  });
  return { child, exited };
}

/** One run: the server, READY, the client; the client's seconds. */
async function runOnce(impl, workload, port) {
  let ready;
  const isReady = new Promise((resolve) => {
    ready = resolve;
  });
  const server = start(impl, "server", port, workload, (out) => {
    if (out.includes("READY\n")) ready();
  });
  await Promise.race([isReady, server.exited]);
  const client = start(impl, "client", port, workload);
  const [clientOut] = await Promise.all([client.exited, server.exited]);
  const line = clientOut.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) throw new Error(`${impl.name} client ${workload}: no RESULT line`);
  return JSON.parse(line.slice("RESULT ".length)).seconds;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const seconds = new Map();
let port = 46_000 + Math.floor(Math.random() * 1000);
for (let round = 0; round < rounds; round++) {
  for (const workload of WORKLOADS) {
    for (const impl of IMPLS) {
      const key = `${workload} ${impl.name}`;
      const value = await runOnce(impl, workload, port++);
      seconds.set(key, [...(seconds.get(key) ?? []), value]);
    }
  }
}

console.log(`| workload | implementation | median s (${rounds} runs) | × node-net |`);
console.log("|---|---|---:|---:|");
for (const workload of WORKLOADS) {
  const base = median(seconds.get(`${workload} node-net`));
  for (const impl of IMPLS) {
    const own = median(seconds.get(`${workload} ${impl.name}`));
    console.log(`| ${workload} | ${impl.name} | ${own.toFixed(3)} | ${(base / own).toFixed(2)} |`);
  }
}
