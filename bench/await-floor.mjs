// The floor of the awaited styles: W2 (lines), W3/W3c (ping-pong), W5 (connections held) and
// W6 (TLS bulk) with an `await` per message over raw node:net or node:tls and no library
// (impl/node-net-await.mjs; impl/node-tls.mjs --style await: for await over the socket), beside
// raw Node's callbacks (impl/node-net.mjs) and sockit's styles, in alternating sequential
// runs of one process. What the raw awaited style cannot reach, no library's can.
//
//   node bench/await-floor.mjs [--rounds 5] [--workloads W3,W3c]   (needs dist/: npm run build)
//
// Bounded: at most 20 rounds of 5 workloads × at most 7 implementations, each run killed
// after 60 s. Prints each one's median and its ratio to node-net, as bench/RESULTS.md does:
// W2 the server's seconds from first byte to EOF and W3/W3c the client's (higher ratio is
// better), W5 the server's RSS per held connection (KiB, lower is better); W6 against
// node:tls's callbacks, each server receiving from node:tls's client. GAPS.md quotes its
// runs. About 9 minutes (W3 and W3c alone: about 6).

import { tempCerts, tlsEnv } from "./lib/certs.mjs";
import {
  impl,
  median,
  requireDist,
  resultOf,
  roundsArg,
  start,
  startServer,
} from "./lib/floor-runs.mjs";

const NODE_NET = impl("node-net");
const WORKLOADS = {
  W2: [
    NODE_NET,
    impl("node-net-await", "iter"),
    impl("node-net-await", "promise"),
    impl("sockit", "iter"),
    impl("sockit", "promise"),
    impl("sockit", "online"),
    impl("sockit", "batch"),
  ],
  // Every sockit style in ping-pong: the awaited ones (iter, promise, batch) beside the raw
  // awaited floor, the callback ones (tagged, online) beside raw Node's callbacks.
  W3: [
    NODE_NET,
    impl("node-net-await", "iter"),
    ...["iter", "promise", "batch", "tagged", "online"].map((style) => impl("sockit", style)),
  ],
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
// W6 (TLS bulk): node:tls's callbacks, `for await` over the TLS socket written by hand, and
// sockit's styles, each receiving from node:tls's client (the same sender for all).
const NODE_TLS = impl("node-tls");
WORKLOADS.W6 = [
  NODE_TLS,
  impl("node-tls", "await"),
  ...["iter", "promise", "tagged"].map((style) => impl("sockit", style)),
];

const args = process.argv.slice(2);
const rounds = roundsArg(args, 5);
const only = args.includes("--workloads") ? args[args.indexOf("--workloads") + 1] : undefined;
if (only !== undefined) {
  const names = only.split(",");
  const unknown = names.filter((name) => !(name in WORKLOADS));
  if (unknown.length > 0) {
    console.error(`--workloads takes names from ${Object.keys(WORKLOADS).join(", ")}`);
    process.exit(2);
  }
  for (const name of Object.keys(WORKLOADS)) if (!names.includes(name)) delete WORKLOADS[name];
}
requireDist();

if (WORKLOADS.W6 !== undefined) {
  const env = tlsEnv(tempCerts()); // a CA and a server certificate for this run, removed at exit
  for (const run of WORKLOADS.W6) run.env = env;
}

/** One run: the server, READY, the client; the figure (seconds, or KiB per connection). */
async function runOnce(run, workload, port) {
  const { exited: server } = await startServer(run, port, workload);
  // W2's and W6's senders are the same for every style: raw Node's client.
  const sender = workload === "W2" ? NODE_NET : workload === "W6" ? NODE_TLS : run;
  const [clientOut, serverOut] = await Promise.all([
    start(sender, "client", port, workload),
    server,
  ]);
  if (workload === "W2" || workload === "W6")
    return resultOf(serverOut, `${run.name} server`).seconds;
  if (workload !== "W5") return resultOf(clientOut, `${run.name} client`).seconds;
  const { conns, rssBeforeKiB, rssAfterKiB } = resultOf(serverOut, `${run.name} server`);
  return (rssAfterKiB - rssBeforeKiB) / conns;
}

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

console.log(
  `| workload | implementation | median (${rounds} runs) | × raw Node (node-net; W6 node-tls) |`,
);
console.log("|---|---|---:|---:|");
for (const [workload, runs] of Object.entries(WORKLOADS)) {
  const unit = workload === "W5" ? "KiB/conn" : "s";
  const base = median(figures.get(`${workload} ${runs[0].name}`)); // raw Node's callbacks
  for (const run of runs) {
    const own = median(figures.get(`${workload} ${run.name}`));
    // Seconds: node-net ÷ own (higher is better). KiB: own ÷ node-net (lower is better).
    const ratio = workload === "W5" ? own / base : base / own;
    console.log(`| ${workload} | ${run.name} | ${own.toFixed(3)} ${unit} | ${ratio.toFixed(2)} |`);
  }
}
