// The floor of the awaited styles: W2 (lines), W3/W3c (ping-pong) and W5 (connections held)
// with an `await` per message over raw node:net and no library (impl/node-net-await.mjs), beside
// raw Node's callbacks (impl/node-net.mjs) and sockit's styles, in alternating sequential
// runs of one process. What the raw awaited style cannot reach, no library's can.
//
//   node bench/await-floor.mjs [--rounds 5]        (needs dist/: npm run build)
//
// Bounded: at most 20 rounds of 4 workloads × at most 6 implementations, each run killed
// after 60 s. Prints each one's median and its ratio to node-net, as bench/RESULTS.md does:
// W2 the server's seconds from first byte to EOF and W3/W3c the client's (higher ratio is
// better), W5 the server's RSS per held connection (KiB, lower is better). GAPS.md quotes
// its runs. About 5 minutes.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const RUN_TIMEOUT_MS = 60_000;
const impl = (file, style) => ({
  name: `${file}${style ? `-${style}` : ""}`,
  argv: ["--expose-gc", path.join(here, `impl/${file}.mjs`), ...(style ? ["--style", style] : [])],
});
const NODE_NET = impl("node-net");
const WORKLOADS = {
  W2: [
    NODE_NET,
    impl("node-net-await", "iter"),
    impl("node-net-await", "promise"),
    impl("sockit", "iter"),
    impl("sockit", "promise"),
  ],
  W3: [NODE_NET, impl("node-net-await", "iter"), impl("sockit", "iter"), impl("sockit", "promise")],
  W5: [
    NODE_NET,
    impl("node-net-await", "iter"),
    impl("node-net-await", "promise"),
    impl("sockit", "iter"),
    impl("sockit", "promise"),
    impl("sockit", "tagged"),
  ],
};
WORKLOADS.W3c = WORKLOADS.W3;

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
function start(run, role, port, workload, onOutput) {
  const child = spawn(process.execPath, [...run.argv, role, String(port), workload], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
    onOutput?.(out);
  });
  child.stderr.on("data", (chunk) => {
    err += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${run.name} ${role} ${workload}: exit ${code}: ${err.slice(-300)}`));
    });
  });
}

const resultOf = (out, who) => {
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) throw new Error(`${who}: no RESULT line`);
  return JSON.parse(line.slice("RESULT ".length));
};

/** One run: the server, READY, the client; the figure (seconds, or KiB per connection). */
async function runOnce(run, workload, port) {
  let ready;
  const isReady = new Promise((resolve) => {
    ready = resolve;
  });
  const server = start(run, "server", port, workload, (out) => {
    if (out.includes("READY\n")) ready();
  });
  await Promise.race([isReady, server]);
  // W2's sender is the same for every style (the harness's rule): node-net's client.
  const sender = workload === "W2" ? NODE_NET : run;
  const [clientOut, serverOut] = await Promise.all([
    start(sender, "client", port, workload),
    server,
  ]);
  if (workload === "W2") return resultOf(serverOut, `${run.name} server`).seconds;
  if (workload !== "W5") return resultOf(clientOut, `${run.name} client`).seconds;
  const { conns, rssBeforeKiB, rssAfterKiB } = resultOf(serverOut, `${run.name} server`);
  return (rssAfterKiB - rssBeforeKiB) / conns;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const figures = new Map();
// Below the ephemeral range (32768–60999), as run.mjs: W5's clients take 5,000 ports there.
let port = 20_000 + Math.floor(Math.random() * 9000);
for (let round = 0; round < rounds; round++) {
  for (const [workload, runs] of Object.entries(WORKLOADS)) {
    for (const run of runs) {
      const key = `${workload} ${run.name}`;
      figures.set(key, [...(figures.get(key) ?? []), await runOnce(run, workload, port++)]);
    }
  }
}

console.log(`| workload | implementation | median (${rounds} runs) | × node-net |`);
console.log("|---|---|---:|---:|");
for (const [workload, runs] of Object.entries(WORKLOADS)) {
  const unit = workload === "W5" ? "KiB/conn" : "s";
  const base = median(figures.get(`${workload} ${NODE_NET.name}`));
  for (const run of runs) {
    const own = median(figures.get(`${workload} ${run.name}`));
    // Seconds: node-net ÷ own (higher is better). KiB: own ÷ node-net (lower is better).
    const ratio = workload === "W5" ? own / base : base / own;
    console.log(`| ${workload} | ${run.name} | ${own.toFixed(3)} ${unit} | ${ratio.toFixed(2)} |`);
  }
}
