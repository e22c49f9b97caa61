// Which end sets W4's rate: the W4 receivers (raw Node, sockit's styles, C) against the same
// two senders (raw Node's client and C's), and W4r's client receiving with a copy per read
// (onFrame's default) and without (`transient`), in alternating sequential runs.
// If a receiver is idle half the time and the best receiver there is (C) gains little over
// raw Node with the same sender, no receive path can move W4 much: the sender and the
// loopback copy set it (GAPS.md).
//
//   node bench/sender-floor.mjs [--rounds 5] [--pin]      (needs dist/: npm run build)
//
// --pin runs each server on CPU 0 and each client on CPU 1 (taskset), so that the two ends
// never share a core. The C column needs gcc and the shared anchors (as npm run bench); without
// them it is left out, with a line saying so. Bounded: at most 20 rounds of 13 runs, each
// killed after 60 s. Prints each receiver's median seconds (first byte to EOF) and its
// ratio to raw Node's receiver with the same sender. About 2 minutes for 5 rounds.

import {
  impl,
  median,
  requireDist,
  resultOf,
  roundsArg,
  start,
  startServer,
  tasksetIfAny,
} from "./lib/floor-runs.mjs";
import { ANCHORS, buildC, C_LIMIT_BIN } from "./lib/implementations.mjs";

const args = process.argv.slice(2);
const rounds = roundsArg(args, 5);
const pin = args.includes("--pin") ? tasksetIfAny() : undefined;
if (args.includes("--pin") && pin === undefined) console.log("--pin: taskset cannot pin here");
requireDist();

let c;
try {
  buildC(C_LIMIT_BIN);
  c = { name: "c-limit", argv: [C_LIMIT_BIN] };
} catch (error) {
  console.log(`no C column (${ANCHORS}/impl/c_limit.c, gcc): ${error.message.split("\n")[0]}`);
}

const NODE_NET = impl("node-net");
const SENDERS = [NODE_NET, ...(c ? [c] : [])];
const RECEIVERS = [
  NODE_NET,
  impl("sockit", "online"),
  impl("sockit", "batch"),
  impl("sockit", "iter"),
  ...(c ? [c] : []),
];
// W4r: impl/reverse.mjs; its server (the sender) is raw Node's for every receiver.
const REVERSE = [
  impl("reverse", "node-net"),
  impl("reverse", "online"),
  impl("reverse", "online", { env: { SOCKIT_BENCH_COPY: "1" }, suffix: "-copy" }),
];

/** One run: the receiver's seconds, first byte to EOF. */
async function runOnce(server, client, workload, port, receiver) {
  const cpus = pin ? [0, 1] : [undefined, undefined];
  const { exited: serverDone } = await startServer(server, port, workload, { cpu: cpus[0] });
  const [clientOut, serverOut] = await Promise.all([
    start(client, "client", port, workload, { cpu: cpus[1] }),
    serverDone,
  ]);
  const out = receiver === "server" ? serverOut : clientOut;
  return resultOf(out, `${receiver === "server" ? server.name : client.name} ${receiver}`).seconds;
}

const figures = new Map();
const add = (key, value) => figures.set(key, [...(figures.get(key) ?? []), value]);
// Below the ephemeral range (32768–60999), as run.mjs.
let port = 20_000 + Math.floor(Math.random() * 9000);
for (let round = 0; round < rounds; round++) {
  for (const sender of SENDERS) {
    for (const receiver of RECEIVERS) {
      add(
        `W4 ${sender.name} ${receiver.name}`,
        await runOnce(receiver, sender, "W4", port++, "server"),
      );
    }
  }
  const sender = REVERSE[0];
  for (const receiver of REVERSE) {
    add(
      `W4r ${sender.name} ${receiver.name}`,
      await runOnce(sender, receiver, "W4r", port++, "client"),
    );
  }
}

console.log(`${rounds} rounds${pin ? ", pinned (server CPU 0, client CPU 1)" : ""}`);
console.log(`| workload | sender | receiver | median s (min–max) | × raw Node's receiver |`);
console.log("|---|---|---|---:|---:|");
const rows = [...SENDERS.map((s) => ["W4", s, RECEIVERS]), ["W4r", REVERSE[0], REVERSE]];
for (const [workload, sender, receivers] of rows) {
  const base = median(figures.get(`${workload} ${sender.name} ${receivers[0].name}`));
  for (const receiver of receivers) {
    const runs = figures.get(`${workload} ${sender.name} ${receiver.name}`);
    const own = median(runs);
    const spread = `${Math.min(...runs).toFixed(3)}–${Math.max(...runs).toFixed(3)}`;
    console.log(
      `| ${workload} | ${sender.name} | ${receiver.name} | ${own.toFixed(3)} (${spread}) | ${(base / own).toFixed(2)} |`,
    );
  }
}
