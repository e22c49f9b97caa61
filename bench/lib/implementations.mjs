// The implementations a run can measure: sockit's styles, raw Node (net, tls, readline), and the
// other runtimes of the shared anchors harness (C, Bun, Deno, Python) when they are installed.
// server/client: argv prefix (the runner appends PORT WORKLOAD); cwd: where they run.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO } from "./constants.mjs";
import { which } from "./environment.mjs";
import { ALL, PLAIN, REVERSE, TLS } from "./workloads.mjs";

const TLS_SKIP = { W6: "TLS: compared with node-tls", W7: "TLS: compared with node-tls" };
const NOT_LINES = {
  W1: "not a line workload",
  W4: "not a line workload",
  W5: "not a line workload",
  ...TLS_SKIP,
};

// W2r/W4r (a client receives) run from impl/reverse.mjs, for raw Node and the styles below.
const REVERSE_STYLES = ["online"]; // the 10-minute budget: one style, the fastest
const reverse = (style) =>
  Object.fromEntries(
    REVERSE.map((w) => [
      w,
      {
        server: ["node", "--expose-gc", "bench/impl/reverse.mjs", "--style", style, "server"],
        client: ["node", "--expose-gc", "bench/impl/reverse.mjs", "--style", style, "client"],
      },
    ]),
  );
const REVERSE_SKIP = Object.fromEntries(
  REVERSE.map((w) => [w, `run for ${REVERSE_STYLES.join(" and ")} only`]),
);

const sockit = (style) => ({
  name: `sockit-${style}`,
  style,
  sockit: true,
  server: ["node", "--expose-gc", "bench/impl/sockit.mjs", "--style", style, "server"],
  client: ["node", "--expose-gc", "bench/impl/sockit.mjs", "--style", style, "client"],
  ...(REVERSE_STYLES.includes(style)
    ? { workloads: ALL, commands: reverse(style) }
    : { workloads: ALL.filter((w) => !REVERSE.includes(w)), skip: REVERSE_SKIP }),
  cwd: REPO,
});
// The message-rate styles (onLine/onFrame, a batch per read) on the per-message workloads.
export const MESSAGE_RATE = ["W2", "W3", "W3c", "W4"];
const messageRate = (style) => {
  const base = sockit(style);
  const workloads = base.commands ? [...MESSAGE_RATE, ...REVERSE] : MESSAGE_RATE;
  return {
    ...base,
    workloads,
    estimateLike: "sockit-iter", // for a time estimate before its first run
    skip: Object.fromEntries(
      ALL.filter((w) => !workloads.includes(w)).map((w) => [
        w,
        REVERSE.includes(w) ? REVERSE_SKIP[w] : "reads as sockit-iter does",
      ]),
    ),
  };
};

export const IMPLEMENTATIONS = [
  sockit("iter"),
  sockit("promise"),
  sockit("tagged"),
  messageRate("online"),
  messageRate("batch"),
  {
    name: "node-net",
    server: ["node", "--expose-gc", "bench/impl/node-net.mjs", "server"],
    client: ["node", "--expose-gc", "bench/impl/node-net.mjs", "client"],
    workloads: [...PLAIN, ...REVERSE],
    commands: reverse("node-net"),
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
    reps: 2, // a reference column (the 10-minute budget)
    cwd: REPO,
  },
];

// An A/B against an older build: SOCKIT_BENCH_BASELINE=DIR (that build's dist/) adds its
// iter, promise and tagged styles as base-iter, base-promise, base-tagged, measured in the same
// invocation as the current build (a build without `repeat` re-arms its tagged read per line).
export const BASELINE = process.env.SOCKIT_BENCH_BASELINE
  ? ["iter", "promise", "tagged"].map((style) => ({
      ...sockit(style),
      name: `base-${style}`,
      dist: path.resolve(process.env.SOCKIT_BENCH_BASELINE, "index.js"),
    }))
  : [];

// ---- the other runtimes -------------------------------------------------------------------

// The shared anchors folder: SOCKIT_ANCHORS, else shared/bench/anchors beside this checkout or
// beside its parent (a worktree under /work/wt/NAME finds /work/shared as the main one does).
export function findAnchors() {
  if (process.env.SOCKIT_ANCHORS) return path.resolve(process.env.SOCKIT_ANCHORS);
  const near = [1, 2].map((up) =>
    path.resolve(REPO, ...Array(up).fill(".."), "shared/bench/anchors"),
  );
  return near.find((dir) => fs.existsSync(dir)) ?? near[0];
}
export const ANCHORS = findAnchors();

// Where setup-runtimes.sh installs Bun and Deno (it symlinks .runtimes/ in the anchors folder
// there only when that folder is writable).
function runtimeDirs() {
  const env = process.env;
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return [
    path.join(ANCHORS, ".runtimes"),
    env.RUNTIMES_DIR,
    path.join(cache, "sockit-anchors-runtimes"),
    path.join(os.homedir(), ".cache", "sockit-anchors-runtimes"),
  ].filter(Boolean);
}

/** A runtime's executable: $BUN/$DENO, else setup-runtimes.sh's folders, else the PATH. */
export function findRuntime(name, envVar) {
  if (process.env[envVar]) return { bin: process.env[envVar], from: `$${envVar}` };
  for (const dir of runtimeDirs()) {
    const bin = path.join(dir, "node_modules/.bin", name);
    if (fs.existsSync(bin)) return { bin, from: dir };
  }
  if (which(name)) return { bin: name, from: "PATH" };
  return { bin: path.join(ANCHORS, ".runtimes/node_modules/.bin", name), from: null };
}

// Run in the anchors folder, from its own implementation files. `reps`: at most this many
// repetitions in a run (the slowest reference column runs once; see README "Time budget").
export function extraImplementations() {
  const bun = findRuntime("bun", "BUN");
  const deno = findRuntime("deno", "DENO");
  const cBin = C_LIMIT_BIN;
  const w14 = ["W1", "W2", "W3", "W3c", "W4"];
  const noTls = { W6: "no TLS implementation", W7: "no TLS implementation" };
  const denoRun = [deno.bin, "run", "--allow-net=127.0.0.1", "--v8-flags=--expose-gc"];
  return [
    {
      name: "c-limit",
      server: [cBin, "server"],
      client: [cBin, "client"],
      workloads: w14,
      skip: { W5: "W1-W4 only by design", ...noTls },
      file: "impl/c_limit.c",
      needs: "gcc",
      reps: 2,
      prepare: () => buildC(cBin),
    },
    {
      name: "bun",
      server: [bun.bin, "impl/bun.ts", "server"],
      client: [bun.bin, "impl/bun.ts", "client"],
      workloads: PLAIN,
      skip: noTls,
      file: "impl/bun.ts",
      needs: bun.bin,
      reps: 2,
      from: bun.from,
    },
    {
      name: "deno",
      server: [...denoRun, "impl/deno.ts", "server"],
      client: [...denoRun, "impl/deno.ts", "client"],
      workloads: PLAIN,
      skip: noTls,
      file: "impl/deno.ts",
      needs: deno.bin,
      reps: 2,
      from: deno.from,
    },
    {
      name: "python-asyncio",
      server: ["python3", "impl/python_asyncio.py", "server"],
      client: ["python3", "impl/python_asyncio.py", "client"],
      workloads: w14,
      skip: { W5: "W1-W4 only by design", ...noTls },
      file: "impl/python_asyncio.py",
      needs: "python3",
      reps: 1,
      optIn: true, // not in `--extras auto`: name it (the 10-minute budget)
    },
  ].map((x) => ({ ...x, cwd: ANCHORS, extra: true }));
}

/** Where the C column's binary is built (from the anchors' `impl/c_limit.c`). */
export const C_LIMIT_BIN = path.join(os.tmpdir(), "sockit-bench", "c_limit");

/** Builds the C column's binary at `bin` unless it is newer than its source (needs gcc). */
export function buildC(bin) {
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const src = path.join(ANCHORS, "impl/c_limit.c");
  const fresh = fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs;
  if (!fresh)
    execFileSync("gcc", ["-O2", "-Wall", "-Wextra", "-o", bin, src], { stdio: "inherit" });
}

/** The extra columns `--extras` asks for that can run here, and a sentence saying which. */
export function selectExtras(extrasOpt) {
  if (extrasOpt === "none") return { extras: [], note: "not run (`--extras none`)." };
  if (!fs.existsSync(ANCHORS))
    return { extras: [], note: `not run: no shared anchors folder at ${ANCHORS}.` };
  const all = extraImplementations();
  const wanted =
    extrasOpt === "auto" ? all.filter((x) => !x.optIn).map((x) => x.name) : extrasOpt.split(",");
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
  const runtimes = extras.filter((x) => x.from).map((x) => `${x.name} from ${x.from}`);
  return {
    extras,
    note:
      `${ran}${runtimes.length ? ` (${runtimes.join(", ")})` : ""}` +
      `${missing.length ? `; not available: ${missing.join(", ")}` : ""}.`,
  };
}
