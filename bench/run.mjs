// sockit benchmark runner: sockit (each style) against raw node:net (and node:readline for
// lines) on the socket anchors workloads W1-W5, and against raw node:tls on the TLS workloads
// W6 (bulk) and W7 (handshakes), in ONE invocation, interleaved rep by rep.
//
//   npm run bench                                   full run, 3 reps -> bench/RESULTS.md, bench/results.json
//   node bench/run.mjs --workload W2,W4 --impl sockit-iter,node-net --reps 5
//   node bench/run.mjs --quick                      1 rep (same counts) -> bench/results-partial.*
//   node bench/run.mjs --extras none|auto|c-limit,python-asyncio,bun,deno
//   node bench/run.mjs --render bench/results.json  re-write the .md from a .json (no runs)
//   node bench/run.mjs --certs DIR                  make W6/W7's certificates in DIR (for runs by hand)
//
// Every run: start the server (PORT WORKLOAD appended), wait for "READY" on its stdout,
// start the client, wait for both to exit 0, read their "RESULT {json}" lines, check the
// counts against the constants below, derive the metric. A run is killed after 60 s.
// The protocol and the method come from ../shared/bench/anchors (README.md, run.mjs); nothing
// is imported from outside this repository. The optional extra columns (C, Python, Bun,
// Deno) run the shared harness's own implementation files when that folder is present.
// W6/W7 get a CA and a server certificate made with the openssl CLI into a temporary folder
// at the start (SOCKIT_BENCH_TLS), and an OpenSSL config that turns session tickets off
// (OPENSSL_CONF), so that every handshake is a full one; the folder is removed at the end.

import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// ---- workload parameters (must match the constants in every bench/impl/ file) -------
const HOST = "127.0.0.1";
const W1_TOTAL_BYTES = 1024 * 1024 * 1024;
const W1_CHUNK_BYTES = 64 * 1024;
const W2_LINES = 2_000_000;
const W2_LINE_CONTENT = 63;
const W2_BATCH_BYTES = 1024 * 1024;
const W3_ROUNDTRIPS = 100_000;
const W3_MSG_BYTES = 32;
const W3C_CONNS = 16;
const W3C_ROUNDTRIPS_PER_CONN = 10_000;
const W4_FRAMES = 1_000_000;
const W4_MIN_PAYLOAD = 16;
const W4_MAX_PAYLOAD = 1024;
const W4_SEED = 0x2545f491;
const W4_BATCH_BYTES = 1024 * 1024;
const W5_CONNS = 5000;
const W5_CONNECT_WINDOW = 256;
const W6_TOTAL_BYTES = 256 * 1024 * 1024;
const W6_CHUNK_BYTES = 64 * 1024;
const W7_HANDSHAKES = 1500;
const CONSTANTS = {
  HOST,
  W1_TOTAL_BYTES,
  W1_CHUNK_BYTES,
  W2_LINES,
  W2_LINE_CONTENT,
  W2_BATCH_BYTES,
  W3_ROUNDTRIPS,
  W3_MSG_BYTES,
  W3C_CONNS,
  W3C_ROUNDTRIPS_PER_CONN,
  W4_FRAMES,
  W4_MIN_PAYLOAD,
  W4_MAX_PAYLOAD,
  W4_SEED,
  W4_BATCH_BYTES,
  W5_CONNS,
  W5_CONNECT_WINDOW,
  W6_TOTAL_BYTES,
  W6_CHUNK_BYTES,
  W7_HANDSHAKES,
};
// ---- runner parameters ----------------------------------------------------------------
const REPS_DEFAULT = 3;
const READY_TIMEOUT_MS = 20_000; // server start -> "READY"
const RUN_TIMEOUT_MS = 60_000; // server start -> both processes exited; then both are killed
const PAUSE_BETWEEN_RUNS_MS = 300;
const NOISY_SPREAD = 0.2; // flag a cell when (max - min) / median exceeds this
// Quiet gate (before each run) and interference check (during it), as in the shared harness,
// with smaller budgets so that the whole run stays under 10 minutes on 2 cores.
const QUIET_BUSY = 0.1;
const QUIET_SAMPLE_MS = 250;
const QUIET_WAIT_PER_RUN_MS = 5_000;
const QUIET_WAIT_TOTAL_MS = 45_000;
const DISTURB_FRACTION = 0.05;
const DISTURB_MIN_TICKS = 3;
const MAX_REDOS_PER_RUN = 1;
const MAX_REDOS_TOTAL = 12;
const MAX_REDO_SECONDS_TOTAL = 45;
const SOFT_DEADLINE_S = 480; // past this, no more quiet waits or repeats
// ---------------------------------------------------------------------------------------

const BENCH = path.dirname(new URL(import.meta.url).pathname);
const REPO = path.dirname(BENCH);
const ANCHORS = process.env.SOCKIT_ANCHORS || path.resolve(REPO, "../shared/bench/anchors");
const PLAIN = ["W1", "W2", "W3", "W3c", "W4", "W5"];
const TLS = ["W6", "W7"];
const ALL = [...PLAIN, ...TLS];
const TLS_SKIP = { W6: "TLS: compared with node-tls", W7: "TLS: compared with node-tls" };
const NOT_LINES = {
  W1: "not a line workload",
  W4: "not a line workload",
  W5: "not a line workload",
  ...TLS_SKIP,
};
// The raw Node reference of each workload: sockit's ratios are to it.
const baselineOf = (w) => (TLS.includes(w) ? "node-tls" : "node-net");
const BASELINES = ["node-net", "node-tls", "node-readline"];

// ---- implementations --------------------------------------------------------------------
// server/client: argv prefix (the runner appends PORT WORKLOAD); cwd: where they run.
const sockit = (style) => ({
  name: `sockit-${style}`,
  sockit: true,
  server: ["node", "--expose-gc", "bench/impl/sockit.mjs", "--style", style, "server"],
  client: ["node", "--expose-gc", "bench/impl/sockit.mjs", "--style", style, "client"],
  workloads: ALL,
  cwd: REPO,
});
// The message-rate styles (onLine/onFrame, a batch per read) on the per-message workloads.
const MESSAGE_RATE = ["W2", "W3", "W3c", "W4"];
const messageRate = (style) => ({
  ...sockit(style),
  workloads: MESSAGE_RATE,
  skip: Object.fromEntries(
    ALL.filter((w) => !MESSAGE_RATE.includes(w)).map((w) => [w, "reads as sockit-iter does"]),
  ),
});
const IMPLEMENTATIONS = [
  sockit("iter"),
  sockit("promise"),
  sockit("tagged"),
  messageRate("online"),
  messageRate("batch"),
  {
    name: "node-net",
    server: ["node", "--expose-gc", "bench/impl/node-net.mjs", "server"],
    client: ["node", "--expose-gc", "bench/impl/node-net.mjs", "client"],
    workloads: PLAIN,
    skip: TLS_SKIP,
    cwd: REPO,
  },
  {
    name: "node-tls",
    server: ["node", "--expose-gc", "bench/impl/node-tls.mjs", "server"],
    client: ["node", "--expose-gc", "bench/impl/node-tls.mjs", "client"],
    workloads: TLS,
    skip: Object.fromEntries(PLAIN.map((w) => [w, "TLS workloads only"])),
    cwd: REPO,
  },
  {
    name: "node-readline",
    server: ["node", "bench/impl/node-readline.mjs", "server"],
    client: ["node", "bench/impl/node-readline.mjs", "client"],
    workloads: ["W2", "W3", "W3c"],
    skip: NOT_LINES,
    cwd: REPO,
  },
];

// Other runtimes, from the shared anchors harness when it is there (run in its folder).
function extraImplementations() {
  const bun = process.env.BUN || path.join(ANCHORS, ".runtimes/node_modules/.bin/bun");
  const deno = process.env.DENO || path.join(ANCHORS, ".runtimes/node_modules/.bin/deno");
  const cBin = path.join(os.tmpdir(), "sockit-bench", "c_limit");
  const w14 = ["W1", "W2", "W3", "W3c", "W4"];
  const noTls = { W6: "no TLS implementation", W7: "no TLS implementation" };
  return [
    {
      name: "c-limit",
      server: [cBin, "server"],
      client: [cBin, "client"],
      workloads: w14,
      skip: { W5: "W1-W4 only by design", ...noTls },
      file: "impl/c_limit.c",
      needs: "gcc",
      prepare: () => buildC(cBin),
      cost: 12,
    },
    {
      name: "bun",
      server: [bun, "impl/bun.ts", "server"],
      client: [bun, "impl/bun.ts", "client"],
      workloads: PLAIN,
      skip: noTls,
      file: "impl/bun.ts",
      needs: bun,
      cost: 20,
    },
    {
      name: "deno",
      server: [
        deno,
        "run",
        "--allow-net=127.0.0.1",
        "--v8-flags=--expose-gc",
        "impl/deno.ts",
        "server",
      ],
      client: [
        deno,
        "run",
        "--allow-net=127.0.0.1",
        "--v8-flags=--expose-gc",
        "impl/deno.ts",
        "client",
      ],
      workloads: PLAIN,
      skip: noTls,
      file: "impl/deno.ts",
      needs: deno,
      cost: 25,
    },
    {
      name: "python-asyncio",
      server: ["python3", "impl/python_asyncio.py", "server"],
      client: ["python3", "impl/python_asyncio.py", "client"],
      workloads: w14,
      skip: { W5: "W1-W4 only by design", ...noTls },
      file: "impl/python_asyncio.py",
      needs: "python3",
      cost: 40,
    },
  ].map((x) => ({ ...x, cwd: ANCHORS, extra: true }));
}

function buildC(bin) {
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const src = path.join(ANCHORS, "impl/c_limit.c");
  const fresh = fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs;
  if (!fresh)
    execFileSync("gcc", ["-O2", "-Wall", "-Wextra", "-o", bin, src], { stdio: "inherit" });
}

// ---- workloads: checks and metrics -------------------------------------------------------

function w4ExpectedPayload() {
  const span = W4_MAX_PAYLOAD - W4_MIN_PAYLOAD + 1;
  let x = W4_SEED >>> 0,
    sum = 0;
  for (let i = 0; i < W4_FRAMES; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    sum += W4_MIN_PAYLOAD + ((x >>> 8) % span);
  }
  return sum;
}
const W4_PAYLOAD = w4ExpectedPayload();

const eq = (what, got, want) => (got === want ? null : `${what} = ${got}, expected ${want}`);
const firstErr = (...errs) => errs.find((e) => e) || null;
// node-tls's client counts the session tickets it received and the handshakes that resumed a
// session (sockit's API shows neither; it never offers a session, and OPENSSL_CONF stops tickets).
const noResumption = (c) =>
  firstErr(
    c.tickets === undefined ? null : eq("client session tickets", c.tickets, 0),
    c.resumed === undefined ? null : eq("client resumed handshakes", c.resumed, 0),
  );
const num = (what, v) =>
  typeof v === "number" && Number.isFinite(v) && v > 0
    ? null
    : `${what} missing or not positive (${v})`;

// target: the issue 5 target for sockit / node-net (and / readline for W2; / node-tls for
// W6/W7), on the median.
const WORKLOADS = {
  W1: {
    title: "W1 bulk: 1 GiB in 64 KiB writes",
    check: (s, c) =>
      firstErr(
        eq("server bytes", s.bytes, W1_TOTAL_BYTES),
        eq("client bytes", c.bytes, W1_TOTAL_BYTES),
        num("server seconds", s.seconds),
      ),
    metrics: [
      {
        id: "W1",
        label: "W1 bulk (GB/s, server rx)",
        digits: 2,
        value: (s) => s.bytes / s.seconds / 1e9,
        target: { "node-net": 0.95 },
      },
    ],
  },
  W2: {
    title: `W2 lines: ${W2_LINES} x (${W2_LINE_CONTENT} B + \\n)`,
    check: (s, c) =>
      firstErr(
        eq("server lines", s.lines, W2_LINES),
        eq("server lineBytes", s.lineBytes, W2_LINES * W2_LINE_CONTENT),
        eq("client lines", c.lines, W2_LINES),
        num("server seconds", s.seconds),
      ),
    metrics: [
      {
        id: "W2",
        label: "W2 lines (M lines/s, server)",
        digits: 2,
        value: (s) => s.lines / s.seconds / 1e6,
        target: { "node-net": 1.0, "node-readline": 2.0 },
      },
    ],
  },
  W3: {
    title: `W3 ping-pong: 1 conn x ${W3_ROUNDTRIPS} round trips of ${W3_MSG_BYTES} B lines`,
    check: (s, c) =>
      firstErr(
        eq("client roundtrips", c.roundtrips, W3_ROUNDTRIPS),
        eq("server echoed lines", s.lines, W3_ROUNDTRIPS),
        num("client seconds", c.seconds),
      ),
    metrics: [
      {
        id: "W3",
        label: "W3 ping-pong 1 conn (k round trips/s)",
        digits: 1,
        value: (_s, c) => c.roundtrips / c.seconds / 1e3,
        target: { "node-net": 0.95, "node-readline": null },
      },
    ],
  },
  W3c: {
    title: `W3c ping-pong: ${W3C_CONNS} conns x ${W3C_ROUNDTRIPS_PER_CONN} round trips`,
    check: (s, c) => {
      const n = W3C_CONNS * W3C_ROUNDTRIPS_PER_CONN;
      return firstErr(
        eq("client roundtrips", c.roundtrips, n),
        eq("server echoed lines", s.lines, n),
        num("client seconds", c.seconds),
      );
    },
    metrics: [
      {
        id: "W3c",
        label: `W3c ping-pong ${W3C_CONNS} conns (k round trips/s, total)`,
        digits: 1,
        value: (_s, c) => c.roundtrips / c.seconds / 1e3,
        target: { "node-net": 0.95, "node-readline": null },
      },
    ],
  },
  W4: {
    title: `W4 length-prefixed: ${W4_FRAMES} frames, payload ${W4_MIN_PAYLOAD}-${W4_MAX_PAYLOAD} B`,
    check: (s, c) =>
      firstErr(
        eq("server frames", s.frames, W4_FRAMES),
        eq("server payloadBytes", s.payloadBytes, W4_PAYLOAD),
        eq("client frames", c.frames, W4_FRAMES),
        eq("client payloadBytes", c.payloadBytes, W4_PAYLOAD),
        num("server seconds", s.seconds),
      ),
    metrics: [
      {
        id: "W4-frames",
        label: "W4 frames (M frames/s, server)",
        digits: 2,
        value: (s) => s.frames / s.seconds / 1e6,
        target: { "node-net": 1.0 },
      },
      {
        id: "W4-MBps",
        label: "W4 payload (MB/s, server)",
        digits: 0,
        value: (s) => s.payloadBytes / s.seconds / 1e6,
      },
    ],
  },
  W5: {
    title: `W5 connections: ${W5_CONNS} concurrent, 1 byte each way, all held open`,
    check: (s, c) =>
      firstErr(
        eq("server conns", s.conns, W5_CONNS),
        eq("client conns", c.conns, W5_CONNS),
        num("client establishSeconds", c.establishSeconds),
        num("server rssAfterKiB", s.rssAfterKiB),
      ),
    metrics: [
      {
        id: "W5-rss",
        label: `W5 server RSS delta (KiB/conn, ${W5_CONNS} conns)`,
        digits: 2,
        value: (s) => (s.rssAfterKiB - s.rssBeforeKiB) / s.conns,
        lowerIsBetter: true,
        target: { "node-net": 1.15 },
      },
      {
        id: "W5-ms",
        label: `W5 time to establish ${W5_CONNS} (ms, client)`,
        digits: 0,
        value: (_s, c) => c.establishSeconds * 1e3,
        lowerIsBetter: true,
        target: { "node-net": 1.1 },
      },
    ],
  },
  W6: {
    title: `W6 TLS bulk: ${W6_TOTAL_BYTES / 2 ** 20} MiB in ${W6_CHUNK_BYTES / 1024} KiB writes over TLS 1.3, verified (CA + name)`,
    check: (s, c) =>
      firstErr(
        eq("server bytes", s.bytes, W6_TOTAL_BYTES),
        eq("client bytes", c.bytes, W6_TOTAL_BYTES),
        eq("server protocol", s.protocol, "TLSv1.3"),
        eq("client protocol", c.protocol, "TLSv1.3"),
        eq("client authorized", c.authorized, true),
        noResumption(c),
        num("server seconds", s.seconds),
      ),
    metrics: [
      {
        id: "W6",
        label: "W6 TLS bulk (GB/s, server rx)",
        digits: 3,
        value: (s) => s.bytes / s.seconds / 1e9,
        target: { "node-tls": 0.95 },
      },
    ],
  },
  W7: {
    title: `W7 TLS handshakes: ${W7_HANDSHAKES} sequential connections, each a full TLS 1.3 handshake (no tickets, no resumption), 1 byte each way, close`,
    check: (s, c) =>
      firstErr(
        eq("client handshakes", c.handshakes, W7_HANDSHAKES),
        eq("server conns", s.conns, W7_HANDSHAKES),
        eq("server replies", s.replies, W7_HANDSHAKES),
        eq("client protocol", c.protocol, "TLSv1.3"),
        eq("client authorized", c.authorized, true),
        noResumption(c),
        num("client seconds", c.seconds),
      ),
    metrics: [
      {
        id: "W7",
        label: "W7 TLS handshakes (handshakes/s, client)",
        digits: 0,
        value: (_s, c) => c.handshakes / c.seconds,
        target: { "node-tls": 0.95 },
      },
    ],
  },
};

// ---- constants check: every bench/impl file must use the runner's parameters ---------------

function checkConstants() {
  const problems = [];
  for (const file of [
    "impl/sockit.mjs",
    "impl/node-net.mjs",
    "impl/node-readline.mjs",
    "impl/node-tls.mjs",
  ]) {
    const text = fs.readFileSync(path.join(BENCH, file), "utf8");
    for (const m of text.matchAll(/^const (HOST|W\d[A-Z0-9_]*) = ([^;]+);/gm)) {
      const [, name, expr] = m;
      if (!(name in CONSTANTS)) continue;
      const value =
        name === "HOST"
          ? expr.trim().replace(/^['"]|['"]$/g, "")
          : Number(Function(`"use strict"; return (${expr});`)());
      if (value !== CONSTANTS[name])
        problems.push(`${file}: ${name} = ${value}, the runner has ${CONSTANTS[name]}`);
    }
  }
  if (problems.length) throw new Error(`workload constants differ:\n  ${problems.join("\n  ")}`);
}

// ---- command line -------------------------------------------------------------------------

function parseArgs(argv) {
  const o = {
    impls: null,
    workloads: null,
    reps: REPS_DEFAULT,
    out: null,
    extras: "auto",
    render: null,
    certs: null,
    quick: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i],
      v = () => {
        if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
        return argv[++i];
      };
    if (a === "--impl") o.impls = v().split(",");
    else if (a === "--workload") o.workloads = v().split(",");
    else if (a === "--reps") o.reps = Number(v());
    else if (a === "--quick") {
      o.quick = true;
      o.reps = 1;
    } else if (a === "--out") o.out = v();
    else if (a === "--extras") o.extras = v();
    else if (a === "--render") o.render = v();
    else if (a === "--certs") o.certs = v();
    else if (a === "-h" || a === "--help") {
      console.log(
        fs
          .readFileSync(new URL(import.meta.url), "utf8")
          .split("\n")
          .slice(0, 13)
          .join("\n"),
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.reps) || o.reps < 1 || o.reps > 20)
    throw new Error("--reps must be an integer from 1 to 20");
  return o;
}

// ---- one run ---------------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// W5 holds 5,000 sockets per process: raise the open-files limit for the child (to the hard
// limit if 65536 is refused), as the shared run.sh does.
const ULIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';

function start(impl, argv, port, workload, logFile) {
  const child = spawn("/bin/sh", ["-c", ULIMIT, "sh", ...argv, String(port), workload], {
    cwd: impl.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: {
      ...process.env,
      ...(impl.sockit && DIST.entry ? { SOCKIT_DIST: DIST.entry } : {}),
      ...(TLS.includes(workload) && CERTS.dir ? tlsEnv(CERTS.dir) : {}),
      PYTHONDONTWRITEBYTECODE: "1",
      DENO_NO_UPDATE_CHECK: "1",
      DENO_NO_PROMPT: "1",
    },
  });
  const p = {
    child,
    out: "",
    err: "",
    exited: false,
    code: null,
    signal: null,
    results: [],
    ready: false,
  };
  const log = fs.createWriteStream(logFile);
  let lineBuf = "";
  child.stdout.on("data", (d) => {
    const s = d.toString();
    p.out += s;
    log.write(s);
    lineBuf += s;
    for (let nl = lineBuf.indexOf("\n"); nl !== -1; nl = lineBuf.indexOf("\n")) {
      const line = lineBuf.slice(0, nl).trim();
      lineBuf = lineBuf.slice(nl + 1);
      if (line === "READY") p.ready = true;
      else if (line.startsWith("RESULT ")) p.results.push(line.slice(7));
    }
  });
  child.stderr.on("data", (d) => {
    p.err += d.toString();
    log.write(d);
  });
  LIVE.add(p);
  p.done = new Promise((resolve) => {
    child.on("error", (e) => {
      p.err += `spawn error: ${e.message}\n`;
      p.exited = true;
      p.code = -1;
      LIVE.delete(p);
      log.end();
      resolve();
    });
    child.on("close", (code, signal) => {
      p.exited = true;
      p.code = code;
      p.signal = signal;
      LIVE.delete(p);
      log.end();
      resolve();
    });
  });
  return p;
}

// Children run in their own process groups (so a timeout kills a whole run): on Ctrl-C or
// SIGTERM the runner kills the groups still running, then exits.
const LIVE = new Set();
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    for (const p of LIVE) killGroup(p);
    console.error(`bench: ${sig}, stopped`);
    process.exit(130);
  });
}

function killGroup(p) {
  if (p && !p.exited && p.child.pid) {
    try {
      process.kill(-p.child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

async function waitFor(cond, deadline) {
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

function parseResults(p, who) {
  if (p.results.length !== 1) throw new Error(`${who} printed ${p.results.length} RESULT lines`);
  return JSON.parse(p.results[0]);
}

async function runOnce(impl, workload, port, logBase) {
  const m0 = cpuTimes(),
    o0 = ownTicks();
  const r = await runOnceInner(impl, workload, port, logBase);
  const m1 = cpuTimes(),
    o1 = ownTicks();
  const capacity = m1.total - m0.total;
  const own = o1 - o0,
    steal = m1.steal - m0.steal;
  const other = Math.max(0, m1.busy - m0.busy - steal - own);
  const frac = (x) => (capacity > 0 ? +(x / capacity).toFixed(3) : 0);
  r.cpu = {
    capacityTicks: capacity,
    ownTicks: own,
    stealTicks: steal,
    otherTicks: other,
    steal: frac(steal),
    other: frac(other),
  };
  r.disturbed = steal + other > Math.max(DISTURB_MIN_TICKS, DISTURB_FRACTION * capacity);
  return r;
}

async function runOnceInner(impl, workload, port, logBase) {
  const t0 = Date.now();
  const deadline = t0 + RUN_TIMEOUT_MS;
  const server = start(impl, impl.server, port, workload, `${logBase}.server.log`);
  let client = null;
  try {
    const ok = await waitFor(
      () => server.ready || server.exited,
      Math.min(deadline, t0 + READY_TIMEOUT_MS),
    );
    if (!server.ready)
      throw new Error(
        ok
          ? `server exited before READY (code ${server.code}): ${server.err.trim().slice(-500)}`
          : "server not READY in time",
      );
    client = start(impl, impl.client, port, workload, `${logBase}.client.log`);
    if (!(await waitFor(() => client.exited, deadline)))
      throw new Error(`timeout: killed after ${RUN_TIMEOUT_MS / 1000} s (client still running)`);
    if (client.code !== 0)
      throw new Error(
        `client exit ${client.code}${client.signal ? ` ${client.signal}` : ""}: ${client.err.trim().slice(-500)}`,
      );
    if (!(await waitFor(() => server.exited, deadline)))
      throw new Error(
        `timeout: killed after ${RUN_TIMEOUT_MS / 1000} s (server did not exit after the client finished)`,
      );
    if (server.code !== 0)
      throw new Error(`server exit ${server.code}: ${server.err.trim().slice(-500)}`);
    const s = parseResults(server, "server"),
      c = parseResults(client, "client");
    const err = WORKLOADS[workload].check(s, c);
    if (err) throw new Error(`verification failed: ${err}`);
    const values = {};
    for (const m of WORKLOADS[workload].metrics) values[m.id] = m.value(s, c);
    return { ok: true, values, server: s, client: c, wallSeconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    return { ok: false, error: e.message, wallSeconds: (Date.now() - t0) / 1000 };
  } finally {
    killGroup(client);
    killGroup(server);
    await Promise.all([server.done, client?.done]);
  }
}

// ---- quiet gate and interference check (/proc/stat; skipped where there is none) -------------

const HAVE_PROC = fs.existsSync("/proc/stat") && fs.existsSync("/proc/self/stat");

function cpuTimes() {
  if (!HAVE_PROC) return { idle: 0, total: 0, busy: 0, steal: 0 };
  const f = fs
    .readFileSync("/proc/stat", "utf8")
    .split("\n")[0]
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const idle = f[3] + f[4];
  const total = f.reduce((a, b) => a + b, 0);
  return { idle, total, busy: total - idle, steal: f[7] || 0 };
}

// CPU ticks of this runner plus its reaped children: utime stime cutime cstime.
function ownTicks() {
  if (!HAVE_PROC) return 0;
  const st = fs.readFileSync("/proc/self/stat", "utf8");
  const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

async function cpuBusy(ms) {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
}

async function waitQuiet(budget, pastDeadline) {
  const t0 = Date.now();
  let busy = await cpuBusy(QUIET_SAMPLE_MS);
  while (
    busy > QUIET_BUSY &&
    !pastDeadline() &&
    Date.now() - t0 < QUIET_WAIT_PER_RUN_MS &&
    budget.leftMs > 0
  ) {
    busy = await cpuBusy(QUIET_SAMPLE_MS);
    budget.leftMs -= QUIET_SAMPLE_MS;
  }
  return { preBusy: +busy.toFixed(3), quiet: busy <= QUIET_BUSY, waitedMs: Date.now() - t0 };
}

// ---- environment ------------------------------------------------------------------------------

function version(argv) {
  try {
    return execFileSync(argv[0], argv.slice(1), {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    })
      .split("\n")[0]
      .trim();
  } catch {
    return "n/a";
  }
}

function which(cmd) {
  if (cmd.includes("/")) return fs.existsSync(cmd);
  try {
    execFileSync("sh", ["-c", `command -v "${cmd}"`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// The commit the run measured, and whether src/ had uncommitted changes (dist/ is built from src/).
function gitState() {
  const commit = version(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]);
  const changed = version(["sh", "-c", `git -C "${REPO}" status --porcelain -- src | wc -l`]);
  return { commit, srcFilesChanged: Number(changed) || 0 };
}

// A copy of dist/ for the whole invocation (bench/.dist-snapshot/, removed at the end): the
// sockit processes import it through SOCKIT_DIST, so a rebuild of dist/ while the runs go on
// (someone editing src/ and running the tests) cannot mix two builds in one table.
const SNAPSHOT = path.join(BENCH, ".dist-snapshot", String(process.pid));
const DIST = { entry: null };

function snapshotDist() {
  const dist = path.join(REPO, "dist");
  if (!fs.existsSync(path.join(dist, "index.js")))
    throw new Error("dist/index.js is missing: run `npm run build` first");
  fs.cpSync(dist, SNAPSHOT, { recursive: true });
  const hash = crypto.createHash("sha1");
  const files = fs.readdirSync(SNAPSHOT, { recursive: true }).filter((f) => f.endsWith(".js"));
  for (const f of files.sort()) hash.update(f).update(fs.readFileSync(path.join(SNAPSHOT, f)));
  const built = fs.statSync(path.join(dist, "index.js")).mtime.toISOString();
  return {
    sha1: hash.digest("hex").slice(0, 12),
    builtAt: built,
    entry: path.join(SNAPSHOT, "index.js"),
  };
}

// ---- W6/W7 certificates ---------------------------------------------------------------------
// A CA and a server certificate for "localhost", EC P-256, made with the openssl CLI into a
// temporary folder at the start of a run that has W6 or W7 (removed at exit). The processes
// get the folder as SOCKIT_BENCH_TLS: the servers load server.pem/server.key, the clients
// trust only ca.pem and check the name "localhost" while they connect to 127.0.0.1.
// OPENSSL_CONF points both sides (sockit and node-tls alike) at openssl.cnf, which sets
// NumTickets = 0: servers send no TLS 1.3 session ticket, so no client could resume, and no
// client offers a session (neither tls.connect() nor sockit's connect() is given one): every
// W7 handshake is a full one (ECDHE + certificate + signature). node-tls's client counts the
// tickets it receives and the resumed handshakes, and the runner checks both are 0.
const CERTS = { dir: null };
const OPENSSL_CNF = `# sockit bench: no TLS session tickets (Node reads the nodejs_conf section of OPENSSL_CONF)
nodejs_conf = nodejs_init
[nodejs_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = tls_defaults
[tls_defaults]
NumTickets = 0
`;

const tlsEnv = (dir) => ({
  SOCKIT_BENCH_TLS: dir,
  OPENSSL_CONF: path.join(dir, "openssl.cnf"),
});

function makeCerts(dir) {
  if (!which("openssl")) throw new Error("W6/W7 need the openssl command-line tool");
  const ssl = (...args) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  ssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-sha256",
    "-subj",
    "/CN=sockit bench CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  ssl(
    "req",
    "-new",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  fs.writeFileSync(
    path.join(dir, "server.ext"),
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n",
  );
  ssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-set_serial",
    `0x${crypto.randomBytes(8).toString("hex")}`,
    "-days",
    "2",
    "-sha256",
    "-extfile",
    "server.ext",
    "-out",
    "server.pem",
  );
  ssl("verify", "-CAfile", "ca.pem", "-verify_hostname", "localhost", "server.pem");
  fs.writeFileSync(path.join(dir, "openssl.cnf"), OPENSSL_CNF);
}

function tempCerts() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sockit-bench-tls-"));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  makeCerts(dir);
  return dir;
}

// One runner at a time: two would measure each other (and share bench/logs/).
const LOCK = path.join(BENCH, ".bench.lock");

function takeLock() {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(LOCK, `${process.pid}\n`, { flag: "wx" });
      process.on("exit", () => {
        try {
          if (fs.readFileSync(LOCK, "utf8").trim() === String(process.pid)) fs.rmSync(LOCK);
        } catch {}
      });
      return;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      const pid = Number(fs.readFileSync(LOCK, "utf8").trim());
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {}
      if (alive)
        throw new Error(
          `another bench run (pid ${pid}) is in progress; wait for it, or remove ${LOCK} if it is stale`,
        );
      fs.rmSync(LOCK, { force: true }); // stale
    }
  }
  throw new Error(`cannot take ${LOCK}`);
}

function command(argv) {
  const direct = `node bench/run.mjs${argv.length ? ` ${argv.join(" ")}` : ""}`;
  return process.env.npm_lifecycle_event === "bench"
    ? `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`
    : direct;
}

function environment(argv, extras, tls) {
  const cpus = os.cpus();
  const v = { node: process.version };
  if (tls) {
    v.openssl = version(["openssl", "version"]);
    v["node's OpenSSL"] = process.versions.openssl;
  }
  for (const x of extras)
    v[x.name] =
      x.name === "c-limit" ? version(["gcc", "--version"]) : version([x.needs, "--version"]);
  return {
    date: new Date().toISOString(),
    cpu: cpus.length ? cpus[0].model.trim() : "unknown",
    cores: cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavgAtStart: os.loadavg().map((x) => +x.toFixed(2)),
    nofile: version(["sh", "-c", ULIMIT.replace('exec "$@"', "ulimit -n")]),
    versions: v,
    git: gitState(),
    command: command(argv),
  };
}

// ---- statistics and output --------------------------------------------------------------------

function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  const median = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return {
    median,
    min: v[0],
    max: v[v.length - 1],
    spread: median ? (v[v.length - 1] - v[0]) / Math.abs(median) : 0,
    n: v.length,
  };
}

const fmt = (x, d) =>
  x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });

// ratios[impl][metricId][baseline] = median(impl) / median(baseline), same invocation.
function computeRatios(impls, metrics, cells) {
  const ratios = {};
  for (const impl of impls) {
    if (!impl.sockit) continue;
    ratios[impl.name] = {};
    for (const m of metrics) {
      const mine = cells[impl.name]?.[m.id];
      const out = {};
      for (const base of BASELINES) {
        const b = cells[base]?.[m.id];
        if (!mine?.n || !b?.n) continue;
        const ratio = mine.median / b.median;
        const target = m.target?.[base];
        out[base] = {
          ratio,
          target: target ?? null,
          met: target == null ? null : m.lowerIsBetter ? ratio <= target : ratio >= target,
        };
      }
      ratios[impl.name][m.id] = out;
    }
  }
  return ratios;
}

function renderTables(j) {
  const { implementations: impls, metrics, cells, ratios, reps } = j;
  const L = [];
  const has = (impl, m) => impl.workloads.includes(m.workload);
  L.push(`| workload | ${impls.map((i) => i.name).join(" | ")} |`);
  L.push(`|---|${impls.map(() => "---:").join("|")}|`);
  for (const m of metrics) {
    const row = impls.map((impl) => {
      if (!has(impl, m)) return "—";
      const cell = cells[impl.name]?.[m.id];
      if (!cell || cell.n === 0) return "**FAIL**";
      const d = m.digits;
      let s = `**${fmt(cell.median, d)}** (${fmt(cell.min, d)}–${fmt(cell.max, d)})`;
      if (cell.spread > NOISY_SPREAD) s += " †";
      if (cell.disturbed) s += " §";
      if (cell.failed) s += ` ‡${cell.failed} failed`;
      const r = ratios[impl.name]?.[m.id]?.[baselineOf(m.workload)];
      if (r) s += ` ×${fmt(r.ratio, 2)}`;
      return s;
    });
    L.push(`| ${m.label} | ${row.join(" | ")} |`);
  }
  const sockits = impls.filter((i) => i.sockit);
  if (sockits.length) {
    L.push(
      "",
      `### sockit ÷ raw Node, same run (ratio of medians; ${reps} rep${reps > 1 ? "s" : ""})`,
      "",
    );
    L.push("For W5 lower is better, so the target is a ceiling. ✓ met, ✗ missed.", "");
    L.push(`| ratio | target | ${sockits.map((i) => i.name).join(" | ")} |`);
    L.push(`|---|---|${sockits.map(() => "---:").join("|")}|`);
    for (const m of metrics) {
      for (const base of BASELINES) {
        if (!sockits.some((i) => ratios[i.name]?.[m.id]?.[base])) continue;
        const t = m.target?.[base];
        const target = t == null ? "(info)" : `${m.lowerIsBetter ? "≤" : "≥"} ${t}`;
        const row = sockits.map((impl) => {
          const r = ratios[impl.name]?.[m.id]?.[base];
          if (!r) return has(impl, m) ? "FAIL" : "—";
          // More decimals where two would round onto the target (0.9495 is not 0.95).
          let d = 2;
          while (t != null && d < 5 && fmt(r.ratio, d) === fmt(t, d)) d++;
          return `${fmt(r.ratio, d)}${r.met === null ? "" : r.met ? " ✓" : " ✗"}`;
        });
        L.push(`| ${m.id} ÷ ${base} | ${target} | ${row.join(" | ")} |`);
      }
    }
  }
  return L;
}

function writeMarkdown(mdPath, jsonName, j) {
  const {
    environment: env,
    implementations: impls,
    workloads,
    reps,
    runs,
    discarded,
    failures,
    totalSeconds,
  } = j;
  const L = [];
  L.push("# sockit benchmark: results", "");
  L.push(
    `Made by \`${env.command}\` on ${env.date}; took ${fmt(totalSeconds, 0)} s wall. Loopback only (127.0.0.1).`,
    "",
  );
  L.push(
    `Machine: ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB RAM, ${env.platform}, open-files limit ${env.nofile}.`,
  );
  if (env.git) {
    const changed = env.git.srcFilesChanged
      ? ` with ${env.git.srcFilesChanged} uncommitted file(s) under src/`
      : "";
    const dist = env.dist
      ? `; every sockit run used one snapshot of dist/ (built ${env.dist.builtAt}, sha1 ${env.dist.sha1}) taken when the runner started`
      : "";
    L.push(`sockit: commit ${env.git.commit}${changed}${dist}.`);
  }
  L.push(
    `Versions: ${Object.entries(env.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join("; ")}.`,
    "",
  );
  L.push(
    `Each cell: **median** of ${reps} run${reps > 1 ? "s" : ""} (min–max), then ×ratio to node-net's median in this run (node-tls's for W6, W7). ` +
      "Higher is better except the two W5 rows. " +
      `† = noisy: (max − min) / median > ${NOISY_SPREAD * 100}%. ` +
      `§ = at least one kept run was disturbed (hypervisor steal + other processes > ${DISTURB_FRACTION * 100}% of the machine's CPU during it). — = not applicable. ` +
      "W1, W2, W4, W6 are measured by the server (first byte to EOF); W3, W3c, W7 and the W5 establish time by the client. GB/MB = 10^9/10^6 bytes. " +
      "The runs are interleaved rep by rep (all cells of rep 1, then rep 2, …), each on a fresh port.",
    "",
  );
  L.push(...renderTables(j));
  L.push("", "## Notes", "");
  for (const w of workloads) L.push(`- ${WORKLOADS[w].title}.`);
  L.push(
    "- sockit styles: `iter` = `for await` over `lines()` / `frames()` / the socket; `promise` = `await readLine()` / `readUntil()` / `readFrame()` / `readBytes()` / `readAvailable()` in a loop; " +
      "`tagged` = `read(delimiter | length, tag)` and the `'read'` event. The W1/W2/W4 senders are the same in every style (`write()` + `'drain'`). See `bench/README.md`.",
  );
  for (const impl of impls) {
    const byReason = {};
    for (const [w, why] of Object.entries(impl.skip || {}))
      if (workloads.includes(w)) {
        byReason[why] ??= [];
        byReason[why].push(w);
      }
    for (const [why, ws] of Object.entries(byReason))
      L.push(`- ${impl.name}: ${ws.join(", ")} not run (${why}).`);
  }
  if (j.extrasNote) L.push(`- Other runtimes: ${j.extrasNote}`);
  const noisy = [];
  for (const impl of impls)
    for (const m of j.metrics) {
      const c = j.cells[impl.name]?.[m.id];
      if (c?.n && c.spread > NOISY_SPREAD)
        noisy.push(`${impl.name} / ${m.id} (${(c.spread * 100).toFixed(0)}%)`);
    }
  L.push(
    noisy.length
      ? `- Noisy cells (†): ${noisy.join(", ")}.`
      : "- No cell exceeded the noise threshold.",
  );
  const waited = [...runs, ...discarded].reduce(
    (a, r) => a + Math.max(0, (r.waitedMs || 0) - QUIET_SAMPLE_MS),
    0,
  );
  L.push(
    `- Interference: ${discarded.length} run(s) were repeated because steal or other processes took more than ${DISTURB_FRACTION * 100}% of the CPU during them ` +
      `(kept in the JSON under \`discarded\`); ${runs.filter((r) => r.disturbed).length} of the ${runs.length} kept runs were still disturbed (§). ` +
      `Before each run the runner waited for < ${QUIET_BUSY * 100}% CPU use (${fmt(waited / 1000, 0)} s spent waiting).`,
  );
  L.push(
    `- Load average at start ${env.loadavgAtStart.join(" / ")}, at end ${(env.loadavgAtEnd || []).join(" / ")}.`,
  );
  if (failures.length) {
    L.push("", "## Failures", "");
    for (const f of failures) L.push(`- ${f.impl} ${f.workload} run ${f.rep}: ${f.error}`);
  }
  // The full table carries the analysis of the targets it misses, kept by hand in GAPS.md.
  const gaps = path.join(path.dirname(mdPath), "GAPS.md");
  if (path.basename(mdPath) === "RESULTS.md" && fs.existsSync(gaps)) {
    L.push("", "## Targets missed: the profiles, and what would close them", "");
    L.push(fs.readFileSync(gaps, "utf8").trimEnd());
  }
  L.push(
    "",
    `Raw per-run values, RESULT objects, CPU accounting and wall times: \`bench/${jsonName}\`. Logs of the last invocation: \`bench/logs/\`.`,
    "",
  );
  fs.writeFileSync(mdPath, L.join("\n"));
}

// ---- main ------------------------------------------------------------------------------------

function mdPathFor(jsonPath) {
  const base = jsonPath.replace(/\.json$/, "");
  return path.basename(base) === "results"
    ? path.join(path.dirname(base), "RESULTS.md")
    : `${base}.md`;
}

function render(jsonFile) {
  const jsonPath = path.resolve(jsonFile);
  const j = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  writeMarkdown(mdPathFor(jsonPath), path.basename(jsonPath), j);
  console.log(`bench: re-rendered ${mdPathFor(jsonPath)}`);
}

function selectExtras(opt) {
  if (opt.extras === "none") return { extras: [], note: "not run (`--extras none`)." };
  if (!fs.existsSync(ANCHORS))
    return { extras: [], note: `not run: no shared anchors folder at ${ANCHORS}.` };
  const all = extraImplementations();
  const wanted = opt.extras === "auto" ? all.map((x) => x.name) : opt.extras.split(",");
  const unknown = wanted.filter((n) => !all.some((x) => x.name === n));
  if (unknown.length)
    throw new Error(
      `unknown extra(s): ${unknown.join(", ")} (known: ${all.map((x) => x.name).join(", ")})`,
    );
  const extras = [],
    missing = [];
  for (const x of all.filter((x) => wanted.includes(x.name))) {
    if (!fs.existsSync(path.join(ANCHORS, x.file)) || !which(x.needs)) {
      missing.push(`${x.name} (${x.needs} not found)`);
      continue;
    }
    try {
      x.prepare?.();
      extras.push(x);
    } catch (e) {
      missing.push(`${x.name} (${e.message.split("\n")[0]})`);
    }
  }
  const ran = extras.length
    ? `${extras.map((x) => x.name).join(", ")} from ${path.relative(REPO, ANCHORS) || ANCHORS}`
    : "none found";
  return {
    extras,
    note: `${ran}${missing.length ? `; not available: ${missing.join(", ")}` : ""}.`,
  };
}

async function main() {
  const argv = process.argv.slice(2);
  const opt = parseArgs(argv);
  if (opt.render) return render(opt.render);
  if (opt.certs) {
    fs.mkdirSync(opt.certs, { recursive: true });
    makeCerts(opt.certs);
    const dir = path.resolve(opt.certs);
    console.log(`bench: certificates for W6/W7 in ${dir}; for a run by hand:`);
    console.log(`  export SOCKIT_BENCH_TLS=${dir} OPENSSL_CONF=${path.join(dir, "openssl.cnf")}`);
    return;
  }
  checkConstants();
  const { extras, note: extrasNote } = selectExtras(opt);
  let impls = [...IMPLEMENTATIONS, ...extras];
  if (opt.impls) {
    const unknown = opt.impls.filter((n) => !impls.some((i) => i.name === n));
    if (unknown.length)
      throw new Error(
        `unknown or unavailable implementation(s): ${unknown.join(", ")} (have: ${impls.map((i) => i.name).join(", ")})`,
      );
    impls = impls.filter((i) => opt.impls.includes(i.name));
  }
  const workloads = opt.workloads || ALL;
  for (const w of workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}`);
  const partial = opt.impls || opt.workloads || opt.reps !== REPS_DEFAULT;
  const jsonPath = opt.out
    ? `${path.resolve(opt.out)}.json`
    : path.join(BENCH, partial ? "results-partial.json" : "results.json");
  const mdPath = mdPathFor(jsonPath);

  takeLock();
  const logDir = path.join(BENCH, "logs");
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });

  const needTls = workloads.some(
    (w) => TLS.includes(w) && impls.some((i) => i.workloads.includes(w)),
  );
  const env = environment(
    argv,
    extras.filter((x) => impls.includes(x)),
    needTls,
  );
  if (needTls) CERTS.dir = tempCerts();
  if (impls.some((i) => i.sockit)) {
    const snap = snapshotDist();
    DIST.entry = snap.entry;
    env.dist = { sha1: snap.sha1, builtAt: snap.builtAt };
    process.on("exit", () => {
      fs.rmSync(SNAPSHOT, { recursive: true, force: true });
      try {
        fs.rmdirSync(path.dirname(SNAPSHOT)); // only when no other snapshot is left
      } catch {}
    });
  }
  const plan = [];
  for (let rep = 1; rep <= opt.reps; rep++) {
    for (const w of workloads)
      for (const impl of impls) if (impl.workloads.includes(w)) plan.push({ rep, w, impl });
  }
  console.log(
    `bench: ${plan.length} runs (${opt.reps} rep${opt.reps > 1 ? "s" : ""}, rep-major), ${impls.map((i) => i.name).join(", ")}; output ${path.relative(REPO, mdPath)}`,
  );
  let port = 20000 + Math.floor(Math.random() * 9000);
  const runs = [],
    failures = [],
    discarded = [];
  const quietBudget = { leftMs: QUIET_WAIT_TOTAL_MS };
  let redosLeft = MAX_REDOS_TOTAL,
    redoSeconds = 0;
  const t0 = Date.now();
  const pastDeadline = () => (Date.now() - t0) / 1000 > SOFT_DEADLINE_S;
  for (const [k, { rep, w, impl }] of plan.entries()) {
    const tag = `${impl.name}.${w}.${rep}`;
    const head = `[${String(k + 1).padStart(3)}/${plan.length}] ${impl.name.padEnd(14)} ${w.padEnd(3)} rep ${rep}`;
    let r;
    for (let attempt = 0; attempt <= MAX_REDOS_PER_RUN; attempt++) {
      const gate = await waitQuiet(quietBudget, pastDeadline);
      const logBase = path.join(logDir, attempt ? `${tag}.try${attempt + 1}` : tag);
      r = {
        impl: impl.name,
        workload: w,
        rep,
        attempt,
        ...gate,
        ...(await runOnce(impl, w, port++, logBase)),
      };
      const why = `steal ${(r.cpu.steal * 100).toFixed(0)}%, other processes ${(r.cpu.other * 100).toFixed(0)}%`;
      const vals = r.ok
        ? WORKLOADS[w].metrics.map((m) => `${m.id}=${fmt(r.values[m.id], m.digits)}`).join(" ")
        : "";
      if (
        r.ok &&
        r.disturbed &&
        attempt < MAX_REDOS_PER_RUN &&
        redosLeft > 0 &&
        redoSeconds < MAX_REDO_SECONDS_TOTAL &&
        !pastDeadline()
      ) {
        redosLeft--;
        redoSeconds += r.wallSeconds;
        discarded.push(r);
        console.log(`${head}  ${vals}  disturbed (${why}): repeating`);
        await sleep(PAUSE_BETWEEN_RUNS_MS);
        continue;
      }
      const note =
        (r.disturbed ? `  [disturbed: ${why}]` : "") +
        (gate.quiet ? "" : `  [machine ${(gate.preBusy * 100).toFixed(0)}% busy before the run]`);
      if (r.ok) console.log(`${head}  ${vals}  (${r.wallSeconds.toFixed(1)} s)${note}`);
      else {
        failures.push({ impl: impl.name, workload: w, rep, error: r.error });
        console.error(`${head}  FAIL: ${r.error}  (bench/logs/${tag}.*.log)`);
      }
      break;
    }
    runs.push(r);
    await sleep(PAUSE_BETWEEN_RUNS_MS);
  }
  const totalSeconds = (Date.now() - t0) / 1000;

  const metrics = workloads.flatMap((w) =>
    WORKLOADS[w].metrics.map((m) => ({ ...m, workload: w })),
  );
  const cells = {};
  for (const impl of impls) {
    cells[impl.name] = {};
    for (const w of workloads) {
      if (!impl.workloads.includes(w)) continue;
      const mine = runs.filter((r) => r.impl === impl.name && r.workload === w);
      const good = mine.filter((r) => r.ok);
      for (const m of WORKLOADS[w].metrics) {
        const vals = good.map((r) => r.values[m.id]);
        const disturbed = good.filter((r) => r.disturbed).length;
        cells[impl.name][m.id] = vals.length
          ? { ...stats(vals), values: vals, failed: mine.length - good.length, disturbed }
          : { n: 0, failed: mine.length, disturbed };
      }
    }
  }
  const ratios = computeRatios(impls, metrics, cells);
  env.loadavgAtEnd = os.loadavg().map((x) => +x.toFixed(2));
  const j = {
    environment: env,
    reps: opt.reps,
    totalSeconds,
    workloads,
    extrasNote,
    parameters: { ...CONSTANTS, W4_PAYLOAD },
    metrics: metrics.map((m) => ({
      id: m.id,
      workload: m.workload,
      label: m.label,
      digits: m.digits,
      lowerIsBetter: !!m.lowerIsBetter,
      target: m.target || null,
    })),
    implementations: impls.map((i) => ({
      name: i.name,
      sockit: !!i.sockit,
      extra: !!i.extra,
      server: i.server,
      client: i.client,
      cwd: path.relative(REPO, i.cwd) || ".",
      workloads: i.workloads,
      skip: i.skip || {},
    })),
    cells,
    ratios,
    runs,
    discarded,
    failures,
  };
  fs.writeFileSync(jsonPath, `${JSON.stringify(j, null, 2)}\n`);
  writeMarkdown(mdPath, path.basename(jsonPath), j);
  console.log("");
  console.log(renderTables(j).join("\n"));
  console.log("");
  console.log(
    `bench: done in ${totalSeconds.toFixed(0)} s; wrote ${path.relative(REPO, mdPath)} and ${path.relative(REPO, jsonPath)}`,
  );
  if (failures.length) {
    console.error(`bench: ${failures.length} run(s) FAILED, see ${path.relative(REPO, mdPath)}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`bench: ${e.plain ? e.message : e.stack || e}`);
  process.exit(2);
});
