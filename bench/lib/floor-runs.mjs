// The runner of the floor measurements (await-floor.mjs, sender-floor.mjs): one process per
// end, bounded in time, each run's RESULT line, medians.

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const RUN_TIMEOUT_MS = 60_000;
const IMPL_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "../impl");

/**
 * One of `bench/impl/`'s programs run by this Node (`--expose-gc`, `--style style` when
 * given), for {@link start}: named `file-style` plus `suffix`, with `env` added to its
 * environment.
 */
export function impl(file, style, { env, suffix = "" } = {}) {
  return {
    name: `${file}${style ? `-${style}` : ""}${suffix}`,
    argv: [
      process.execPath,
      "--expose-gc",
      path.join(IMPL_DIR, `${file}.mjs`),
      ...(style ? ["--style", style] : []),
    ],
    ...(env ? { env } : {}),
  };
}

/** Exits 2 with a message unless sockit is built (`dist/`, which the sockit programs load). */
export function requireDist() {
  if (!existsSync(path.join(IMPL_DIR, "../../dist/index.js"))) {
    console.error("dist/ is missing: run npm run build first");
    process.exit(2);
  }
}

/** `taskset`'s path when it can pin here (Linux, 2 or more CPUs), else undefined. */
export function tasksetIfAny() {
  const probe = spawnSync("taskset", ["-c", "1", "true"], { stdio: "ignore" });
  return probe.status === 0 ? "taskset" : undefined;
}

/**
 * Starts one end (`argv`: the command and its arguments before ROLE PORT WORKLOAD, `env`:
 * variables added to this process's environment); resolves
 * with its stdout once it exits 0, rejects on failure or after 60 s (killed). `cpu` pins it
 * with taskset when given; `onOutput` sees the stdout so far after each piece.
 */
export function start({ name, argv, env }, role, port, workload, { onOutput, cpu } = {}) {
  const command = [...argv, role, String(port), workload];
  const [file, ...rest] = cpu === undefined ? command : ["taskset", "-c", String(cpu), ...command];
  const child = spawn(file, rest, {
    stdio: ["ignore", "pipe", "pipe"],
    env: env === undefined ? process.env : { ...process.env, ...env },
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
      else reject(new Error(`${name} ${role} ${workload}: exit ${code}: ${err.slice(-300)}`));
    });
  });
}

/**
 * Starts a server; resolves once it printed READY (rejects if it died first) with `exited`,
 * its {@link start} promise (wrapped: an async function would wait for it).
 */
export async function startServer(run, port, workload, options = {}) {
  let ready;
  const isReady = new Promise((resolve) => {
    ready = resolve;
  });
  const server = start(run, "server", port, workload, {
    ...options,
    onOutput: (out) => {
      if (out.includes("READY\n")) ready();
    },
  });
  await Promise.race([isReady, server]);
  return { exited: server };
}

/** The JSON of the RESULT line in `out`. */
export function resultOf(out, who) {
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) throw new Error(`${who}: no RESULT line`);
  return JSON.parse(line.slice("RESULT ".length));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `--rounds N` (1 to 20) from `args`, else `fallback`; exits 2 on a bad value. */
export function roundsArg(args, fallback) {
  const at = args.indexOf("--rounds");
  const rounds = at < 0 ? fallback : Number(args[at + 1]);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    console.error("--rounds takes an integer from 1 to 20");
    process.exit(2);
  }
  return rounds;
}
