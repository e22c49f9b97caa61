// How long a run takes: each run's wall time from earlier results (results.json and
// results-partial.json), plus the runner's own pause and quiet-gate sample per run. Used to
// say up front what a run will take, and to keep a full run inside its 10-minute budget.

import fs from "node:fs";
import path from "node:path";
import { BENCH, PAUSE_BETWEEN_RUNS_MS, QUIET_SAMPLE_MS } from "./constants.mjs";
import { ANCHORS } from "./implementations.mjs";

const OVERHEAD_S = (PAUSE_BETWEEN_RUNS_MS + QUIET_SAMPLE_MS) / 1000 + 0.05;
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Median wall seconds per "impl workload" over the undisturbed runs of earlier results: the last
 * full run (results.json) first, a partial run only for the cells the full run lacks, since
 * partial runs are often made by hand on a busy machine. Cells neither has (Bun, Deno before
 * their first run here) come from the anchors harness's own results.json, scaled by node-net's
 * duration here ÷ there on the same workload.
 */
export function knownDurations(files = ["results.json", "results-partial.json"]) {
  const byKey = new Map();
  for (const f of files.map((f) => path.join(BENCH, f))) {
    for (const [k, v] of durationsOf(readRuns(f))) if (!byKey.has(k)) byKey.set(k, v);
  }
  const anchors = new Map(durationsOf(readRuns(path.join(ANCHORS, "results.json"))));
  for (const [k, v] of anchors) {
    const w = k.slice(k.lastIndexOf(" ") + 1);
    const here = byKey.get(`node-net ${w}`),
      there = anchors.get(`node-net ${w}`);
    if (!byKey.has(k) && here && there) byKey.set(k, (v * here) / there);
  }
  return byKey;
}

function readRuns(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")).runs || [];
  } catch {
    return [];
  }
}

/** [key, median wall seconds] per cell of these runs, from the undisturbed ones. */
export function durationsOf(runs) {
  const by = new Map();
  for (const r of runs)
    if (r.ok && !r.disturbed) {
      const k = `${r.impl} ${r.workload}`;
      by.set(k, [...(by.get(k) || []), r.wallSeconds]);
    }
  return [...by].map(([k, v]) => [k, median(v)]);
}

/**
 * Seconds a plan of runs ({ impl, w }) should take: the known duration of each, else a guess
 * (the implementation it is like, `estimateLike`, else the slowest known on that workload,
 * else 10 s), plus the per-run overhead.
 */
export function estimatePlan(plan, known = knownDurations()) {
  let seconds = 0;
  const guessed = new Set();
  const perImpl = {};
  for (const { impl, w } of plan) {
    let s = known.get(`${impl.name} ${w}`);
    if (s == null && impl.estimateLike) s = known.get(`${impl.estimateLike} ${w}`);
    if (s == null || !known.has(`${impl.name} ${w}`)) guessed.add(`${impl.name} ${w}`);
    if (s == null) {
      const same = [...known].filter(([k]) => k.endsWith(` ${w}`)).map(([, v]) => v);
      s = same.length ? Math.max(...same) : 10;
    }
    seconds += s + OVERHEAD_S;
    perImpl[impl.name] = (perImpl[impl.name] || 0) + s + OVERHEAD_S;
  }
  return { seconds, guessed: [...guessed], perImpl };
}

/** Where a run's time went: the runs themselves, repeats, quiet waits, pauses. */
export function timingSummary(runs, discarded, totalSeconds) {
  const sum = (a) => a.reduce((x, r) => x + r.wallSeconds, 0);
  const waited = [...runs, ...discarded].reduce((a, r) => a + (r.waitedMs || 0), 0) / 1000;
  const perImpl = {};
  for (const r of [...runs, ...discarded]) perImpl[r.impl] = (perImpl[r.impl] || 0) + r.wallSeconds;
  return {
    totalSeconds,
    runSeconds: +sum(runs).toFixed(1),
    repeatedSeconds: +sum(discarded).toFixed(1),
    quietGateSeconds: +waited.toFixed(1),
    perImplSeconds: Object.fromEntries(Object.entries(perImpl).map(([k, v]) => [k, +v.toFixed(1)])),
  };
}
