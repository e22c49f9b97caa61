// sockit benchmark runner: sockit (each style) against raw node:net (and node:readline for
// lines) on the socket anchors workloads W1-W5, and against raw node:tls on the TLS workloads
// W6 (bulk) and W7 (handshakes), in ONE invocation, interleaved rep by rep.
//
//   npm run bench                                   full run, 3 reps -> bench/RESULTS.md, results.json, results.svg
//   node bench/run.mjs --workload W2,W4 --impl sockit-iter,node-net --reps 5
//   node bench/run.mjs --quick                      1 rep (same counts) -> bench/results-partial.*
//   node bench/run.mjs --extras none|auto|c-limit,python-asyncio,bun,deno
//   node bench/run.mjs --render bench/results.json  re-write the .md and .svg from a .json (no runs)
//   node bench/run.mjs --estimate [selection]       how long that run would take (no runs)
//   node bench/run.mjs --certs DIR                  make W6/W7's certificates in DIR (for runs by hand)
//
// Every run: start the server (PORT WORKLOAD appended), wait for "READY" on its stdout,
// start the client, wait for both to exit 0, read their "RESULT {json}" lines, check the
// counts against the constants (lib/constants.mjs), derive the metric. A run is killed after
// 60 s. The protocol and the method come from ../shared/bench/anchors (README.md, run.mjs);
// nothing is imported from outside this repository. The optional extra columns (C, Python,
// Bun, Deno) run the shared harness's own implementation files when that folder is present.
// W6/W7 get a CA and a server certificate made with the openssl CLI into a temporary folder
// at the start (SOCKIT_BENCH_TLS), and an OpenSSL config that turns session tickets off
// (OPENSSL_CONF), so that every handshake is a full one; the folder is removed at the end.
//
// lib/: constants (the workload constants, the runner's knobs), workloads (checks, metrics),
// targets (per style), implementations (sockit styles, raw Node, other runtimes), run-once
// (processes, quiet gate), environment, certs, report (tables, RESULTS.md), chart (the SVG),
// estimate (run durations).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { makeCerts, tempCerts } from "./lib/certs.mjs";
import { renderSvg } from "./lib/chart.mjs";
import {
  BENCH,
  CONSTANTS,
  FULL_RUN_BUDGET_S,
  MAX_REDO_SECONDS_TOTAL,
  MAX_REDOS_PER_RUN,
  MAX_REDOS_TOTAL,
  PAUSE_BETWEEN_RUNS_MS,
  QUIET_WAIT_TOTAL_MS,
  REPO,
  REPS_DEFAULT,
  SOFT_DEADLINE_S,
  W4_PAYLOAD,
} from "./lib/constants.mjs";
import { environment, SNAPSHOT, snapshotDist, takeLock } from "./lib/environment.mjs";
import { durationsOf, estimatePlan, knownDurations, timingSummary } from "./lib/estimate.mjs";
import { BASELINE, IMPLEMENTATIONS, selectExtras } from "./lib/implementations.mjs";
import { fmt, renderTables, stats, writeMarkdown } from "./lib/report.mjs";
import { RUN_ENV, runOnce, sleep, waitQuiet } from "./lib/run-once.mjs";
import { computeRatios, computeReferences, styleOf } from "./lib/targets.mjs";
import { ALL, checkConstants, TLS, WORKLOADS } from "./lib/workloads.mjs";

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
    estimate: false,
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
    else if (a === "--estimate") o.estimate = true;
    else if (a === "-h" || a === "--help") {
      const text = fs.readFileSync(new URL(import.meta.url), "utf8").split("\n");
      console.log(text.slice(0, 11).join("\n"));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.reps) || o.reps < 1 || o.reps > 20)
    throw new Error("--reps must be an integer from 1 to 20");
  return o;
}

// ---- outputs --------------------------------------------------------------------------------

const outputsFor = (jsonPath) => {
  const base = jsonPath.replace(/\.json$/, "");
  const full = path.basename(base) === "results";
  return {
    md: full ? path.join(path.dirname(base), "RESULTS.md") : `${base}.md`,
    svg: `${base}.svg`,
  };
};

// Writes the .md and the .svg of a results object; ratios and references are derived from the
// cells with the targets of this checkout, so an older results.json renders with them too.
function writeOutputs(jsonPath, j) {
  const { md, svg } = outputsFor(jsonPath);
  for (const impl of j.implementations) if (impl.sockit) impl.style ??= styleOf(impl);
  j.ratios = computeRatios(j.implementations, j.metrics, j.cells);
  j.references = computeReferences(j.implementations, j.metrics, j.cells);
  fs.writeFileSync(svg, renderSvg(j));
  writeMarkdown(md, path.basename(jsonPath), path.basename(svg), j);
  return { md, svg };
}

function render(jsonFile) {
  const jsonPath = path.resolve(jsonFile);
  const j = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  const { md, svg } = writeOutputs(jsonPath, j);
  console.log(`bench: re-rendered ${path.relative(REPO, md)} and ${path.relative(REPO, svg)}`);
}

// ---- the plan ---------------------------------------------------------------------------------

// Rep-major: every cell of rep 1, then rep 2, ... An implementation with `reps` stops early.
function makePlan(impls, workloads, reps) {
  const plan = [];
  for (let rep = 1; rep <= reps; rep++)
    for (const w of workloads)
      for (const impl of impls)
        if (impl.workloads.includes(w) && rep <= (impl.reps ?? reps)) plan.push({ rep, w, impl });
  return plan;
}

function selection(opt) {
  const { extras, note: extrasNote } = selectExtras(opt.extras);
  const available = [...IMPLEMENTATIONS, ...extras, ...BASELINE];
  let impls = available;
  if (opt.impls) {
    const unknown = opt.impls.filter((n) => !impls.some((i) => i.name === n));
    if (unknown.length)
      throw new Error(
        `unknown or unavailable implementation(s): ${unknown.join(", ")} (have: ${impls.map((i) => i.name).join(", ")}; other runtimes: ${extrasNote})`,
      );
    impls = impls.filter((i) => opt.impls.includes(i.name));
  }
  const workloads = opt.workloads || ALL;
  for (const w of workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}`);
  // A full run is the default one (`--extras auto`), whatever this invocation selects.
  const allExtras = opt.extras === "auto" ? extras : selectExtras("auto").extras;
  const fullPlan = makePlan([...IMPLEMENTATIONS, ...allExtras], ALL, REPS_DEFAULT);
  return { impls, workloads, extras, extrasNote, fullPlan };
}

const minutes = (s) => `${fmt(s / 60, 1)} min`;

function describeEstimate(label, plan, known) {
  const e = estimatePlan(plan, known);
  const guess = e.guessed.length
    ? `; no earlier duration for ${e.guessed.length} cell(s), guessed`
    : "";
  return { ...e, text: `${label}: ${plan.length} runs, ≈ ${minutes(e.seconds)}${guess}` };
}

// ---- one invocation ---------------------------------------------------------------------------

async function runPlan(plan, logDir) {
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
  return { runs, failures, discarded, totalSeconds: (Date.now() - t0) / 1000 };
}

function makeCells(impls, workloads, runs) {
  const cells = {};
  for (const impl of impls) {
    cells[impl.name] = {};
    for (const w of workloads) {
      if (!impl.workloads.includes(w)) continue;
      const mine = runs.filter((r) => r.impl === impl.name && r.workload === w);
      const good = mine.filter((r) => r.ok);
      // The receive path the receiving side reports, when it does ("recycled" | "data").
      const paths = [
        ...new Set(good.map((r) => r.server?.receivePath ?? r.client?.receivePath).filter(Boolean)),
      ];
      for (const m of WORKLOADS[w].metrics) {
        const vals = good.map((r) => r.values[m.id]);
        const disturbed = good.filter((r) => r.disturbed).length;
        const cell = vals.length
          ? { ...stats(vals), values: vals, failed: mine.length - good.length, disturbed }
          : { n: 0, failed: mine.length, disturbed };
        if (paths.length) cell.receivePaths = paths;
        cells[impl.name][m.id] = cell;
      }
    }
  }
  return cells;
}

function prepare(argv, impls, workloads, extras) {
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
  if (needTls) RUN_ENV.certsDir = tempCerts();
  if (impls.some((i) => i.sockit)) {
    const snap = snapshotDist();
    RUN_ENV.distEntry = snap.entry;
    env.dist = { sha1: snap.sha1, builtAt: snap.builtAt };
    process.on("exit", () => {
      fs.rmSync(SNAPSHOT, { recursive: true, force: true });
      try {
        fs.rmdirSync(path.dirname(SNAPSHOT)); // only when no other snapshot is left
      } catch {}
    });
  }
  return { env, logDir };
}

const implJson = (i) => ({
  name: i.name,
  ...(i.sockit ? { style: i.style } : {}),
  sockit: !!i.sockit,
  extra: !!i.extra,
  ...(i.reps ? { reps: i.reps } : {}),
  server: i.server,
  client: i.client,
  cwd: path.relative(REPO, i.cwd) || ".",
  workloads: i.workloads,
  skip: i.skip || {},
});

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
  const { impls, workloads, extras, extrasNote, fullPlan } = selection(opt);
  const partial = opt.impls || opt.workloads || opt.reps !== REPS_DEFAULT;
  const plan = makePlan(impls, workloads, opt.reps);
  const known = knownDurations();
  const est = describeEstimate(partial ? "this run" : "a full run", plan, known);
  const full = describeEstimate("a full run", fullPlan, known);
  if (opt.estimate) {
    console.log(`bench: ${est.text} (durations from earlier results in bench/)`);
    for (const [name, s] of Object.entries(est.perImpl))
      console.log(`  ${name.padEnd(16)} ${fmt(s, 0)} s`);
    if (partial) console.log(`bench: ${full.text}`);
    return;
  }
  if (!partial && full.seconds > FULL_RUN_BUDGET_S)
    console.error(`bench: warning: ${full.text}, over the ${FULL_RUN_BUDGET_S / 60}-minute budget`);
  const jsonPath = opt.out
    ? `${path.resolve(opt.out)}.json`
    : path.join(BENCH, partial ? "results-partial.json" : "results.json");
  const { env, logDir } = prepare(argv, impls, workloads, extras);
  console.log(
    `bench: ${plan.length} runs (${opt.reps} rep${opt.reps > 1 ? "s" : ""}, rep-major), ${impls.map((i) => i.name).join(", ")}; ${est.text}; output ${path.relative(REPO, outputsFor(jsonPath).md)}`,
  );
  const { runs, failures, discarded, totalSeconds } = await runPlan(plan, logDir);

  const metrics = workloads.flatMap((w) =>
    WORKLOADS[w].metrics.map((m) => ({ ...m, workload: w })),
  );
  const cells = makeCells(impls, workloads, runs);
  env.loadavgAtEnd = os.loadavg().map((x) => +x.toFixed(2));
  // A full run's time from this run's durations where it has them, earlier ones elsewhere.
  const now = new Map(known);
  for (const [k, v] of durationsOf(runs)) now.set(k, v);
  const fullAfter = estimatePlan(fullPlan, now);
  const timing = {
    ...timingSummary(runs, discarded, totalSeconds),
    fullRunEstimateSeconds: Math.round(fullAfter.seconds),
    fullRunBudgetSeconds: FULL_RUN_BUDGET_S,
  };
  const j = {
    environment: env,
    reps: opt.reps,
    totalSeconds,
    timing,
    workloads,
    extrasNote,
    parameters: { ...CONSTANTS, W4_PAYLOAD },
    metrics: metrics.map((m) => ({
      id: m.id,
      workload: m.workload,
      label: m.label,
      digits: m.digits,
      lowerIsBetter: !!m.lowerIsBetter,
    })),
    implementations: impls.map(implJson),
    cells,
    runs,
    discarded,
    failures,
  };
  const { md, svg } = writeOutputs(jsonPath, j);
  fs.writeFileSync(jsonPath, `${JSON.stringify(j, null, 2)}\n`);
  console.log("");
  console.log(renderTables(j).join("\n"));
  console.log("");
  console.log(
    `bench: done in ${totalSeconds.toFixed(0)} s; a full run would take ≈ ${minutes(fullAfter.seconds)} (budget ${FULL_RUN_BUDGET_S / 60} min); wrote ${[md, jsonPath, svg].map((f) => path.relative(REPO, f)).join(", ")}`,
  );
  if (failures.length) {
    console.error(`bench: ${failures.length} run(s) FAILED, see ${path.relative(REPO, md)}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`bench: ${e.plain ? e.message : e.stack || e}`);
  process.exit(2);
});
