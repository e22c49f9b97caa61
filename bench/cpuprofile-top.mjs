// Top self-time functions of V8 .cpuprofile files (node --cpu-prof), aggregated by
// function name + url:line, across every file given (or every .cpuprofile in a folder).
//
//   node bench/cpuprofile-top.mjs /tmp/prof [--top 25] [--filter sockit]
//
// Self time of a node = its sample count x the mean sampling interval of its profile. The
// percentages are of the time not idle: a server profile also covers its wait for the
// client (which builds its data before it connects), and that is idle time.

import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
let top = 25;
let filter = null;
const inputs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--top") top = Number(args[++i]);
  else if (args[i] === "--filter") filter = args[++i];
  else inputs.push(args[i]);
}
if (inputs.length === 0) {
  console.error(
    "usage: node bench/cpuprofile-top.mjs FILE.cpuprofile|DIR ... [--top N] [--filter TEXT]",
  );
  process.exit(2);
}
const files = inputs.flatMap((p) =>
  fs.statSync(p).isDirectory()
    ? fs
        .readdirSync(p)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => path.join(p, f))
    : [p],
);

const byKey = new Map();
let totalMs = 0;
for (const file of files) {
  const prof = JSON.parse(fs.readFileSync(file, "utf8"));
  const samples = prof.samples?.length ?? 0;
  if (samples === 0) continue;
  const msPerSample = (prof.endTime - prof.startTime) / 1000 / samples;
  const counts = new Map();
  for (const id of prof.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const node of prof.nodes) {
    const n = counts.get(node.id) ?? 0;
    if (n === 0) continue;
    const cf = node.callFrame;
    const url = cf.url ? cf.url.replace(/^file:\/\//, "").replace(`${process.cwd()}/`, "") : "";
    const where = url ? `${url}:${cf.lineNumber + 1}` : "(native)";
    const key = `${cf.functionName || "(anonymous)"}  ${where}`;
    const ms = n * msPerSample;
    byKey.set(key, (byKey.get(key) ?? 0) + ms);
    totalMs += ms;
  }
}

const idleMs = byKey.get("(idle)  (native)") ?? 0;
const busyMs = totalMs - idleMs;
const rows = [...byKey.entries()]
  .filter(([k]) => k !== "(idle)  (native)" && (filter === null || k.includes(filter)))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top);
console.log(
  `${files.length} profile(s), ${totalMs.toFixed(0)} ms sampled, ${busyMs.toFixed(0)} ms not idle (% below: of not idle)`,
);
console.log("   self ms  self %  function  url:line");
for (const [key, ms] of rows) {
  console.log(
    `${ms.toFixed(1).padStart(10)}  ${((100 * ms) / busyMs).toFixed(1).padStart(5)}%  ${key}`,
  );
}
