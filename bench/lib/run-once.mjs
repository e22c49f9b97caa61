// One run: a server and a client process of one implementation on one workload, both
// verified, with the CPU used by others during it; and the quiet gate before it.

import { spawn } from "node:child_process";
import fs from "node:fs";
import { tlsEnv } from "./certs.mjs";
import {
  DISTURB_FRACTION,
  DISTURB_MIN_TICKS,
  QUIET_BUSY,
  QUIET_SAMPLE_MS,
  QUIET_WAIT_PER_RUN_MS,
  READY_TIMEOUT_MS,
  RUN_TIMEOUT_MS,
} from "./constants.mjs";
import { ULIMIT } from "./environment.mjs";
import { TLS, WORKLOADS } from "./workloads.mjs";

// What every run's processes get: the dist/ snapshot sockit imports, the W6/W7 certificates.
export const RUN_ENV = { distEntry: null, certsDir: null };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(impl, argv, port, workload, logFile) {
  const child = spawn("/bin/sh", ["-c", ULIMIT, "sh", ...argv, String(port), workload], {
    cwd: impl.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: {
      ...process.env,
      ...(impl.sockit && (impl.dist ?? RUN_ENV.distEntry)
        ? { SOCKIT_DIST: impl.dist ?? RUN_ENV.distEntry }
        : {}),
      ...(TLS.includes(workload) && RUN_ENV.certsDir ? tlsEnv(RUN_ENV.certsDir) : {}),
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

export async function runOnce(impl, workload, port, logBase) {
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
  // A workload may have commands of its own (W2r/W4r: impl/reverse.mjs).
  const commands = impl.commands?.[workload] ?? impl;
  const server = start(impl, commands.server, port, workload, `${logBase}.server.log`);
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
    client = start(impl, commands.client, port, workload, `${logBase}.client.log`);
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

export async function waitQuiet(budget, pastDeadline) {
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
