// The tables of a run: every cell (median, min–max, ratio), sockit ÷ raw Node against each
// style's target and stretch, the other columns ÷ raw Node; and RESULTS.md around them.

import fs from "node:fs";
import path from "node:path";
import { DISTURB_FRACTION, NOISY_SPREAD, QUIET_BUSY, QUIET_SAMPLE_MS } from "./constants.mjs";
import { styleOf, TARGETS, tally } from "./targets.mjs";
import { BASELINES, baselineOf, WORKLOADS } from "./workloads.mjs";

export function stats(values) {
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

export const fmt = (x, d) =>
  x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });

// More decimals where two would round onto the target (0.9495 is not 0.95).
function ratioText(ratio, target) {
  let d = 2;
  while (target != null && d < 5 && fmt(ratio, d) === fmt(target, d)) d++;
  return fmt(ratio, d);
}

const bound = (lowerIsBetter) => (lowerIsBetter ? "≤" : "≥");
// A target as written in issue 15: 1 is "1.0", 0.75 stays "0.75".
const tnum = (x) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

/** "0.43 ✗ ≥ 0.75 (0.8)": the ratio, met or missed (★: the stretch too), the target (stretch). */
export function judgedCell(r, lowerIsBetter) {
  const ratio = ratioText(r.ratio, r.target);
  if (r.met == null) return ratio;
  const mark = r.met ? (r.stretchMet ? "✓★" : "✓") : "✗";
  const stretch = r.stretch == null ? "" : ` (${tnum(r.stretch)})`;
  const fallback = r.fallback ? " fallback path" : "";
  return `${ratio} ${mark} ${bound(lowerIsBetter)} ${tnum(r.target)}${stretch}${fallback}`;
}

function cellTable(j) {
  const { implementations: impls, metrics, cells, ratios } = j;
  const L = [];
  L.push(`| workload | ${impls.map((i) => i.name).join(" | ")} |`);
  L.push(`|---|${impls.map(() => "---:").join("|")}|`);
  for (const m of metrics) {
    const row = impls.map((impl) => {
      if (!impl.workloads.includes(m.workload)) return "—";
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
  return L;
}

function ratioTable(j) {
  const { implementations: impls, metrics, ratios, reps } = j;
  const sockits = impls.filter((i) => i.sockit);
  if (!sockits.length) return [];
  const L = [
    "",
    `### sockit ÷ raw Node, same run (ratio of medians; ${reps} rep${reps > 1 ? "s" : ""})`,
    "",
    "Each cell: the ratio, ✓ the style's target met (✓★ its stretch target too) or ✗ missed, " +
      "then the target and (the stretch). For W5 lower is better, so both are ceilings. " +
      "Rows without a target are information. — = the style does not run that workload.",
    "",
    `| ratio | ${sockits.map((i) => i.name).join(" | ")} |`,
    `|---|${sockits.map(() => "---:").join("|")}|`,
  ];
  for (const m of metrics) {
    const has = (impl) => impl.workloads.includes(m.workload);
    for (const base of BASELINES) {
      if (!sockits.some((i) => ratios[i.name]?.[m.id]?.[base])) continue;
      const judged = TARGETS[m.id]?.base === base;
      const row = sockits.map((impl) => {
        const r = ratios[impl.name]?.[m.id]?.[base];
        if (!r) return has(impl) ? "FAIL" : "—";
        return judged ? judgedCell(r, m.lowerIsBetter) : ratioText(r.ratio, null);
      });
      L.push(`| ${m.id} ÷ ${base}${judged ? "" : " (info)"} | ${row.join(" | ")} |`);
      const above = sockits.map((impl) => ratios[impl.name]?.[m.id]?.[base]?.above);
      const other = above.find(Boolean);
      if (!other) continue;
      const cellsAbove = above.map((a, i) => {
        if (!a) return "—";
        if (a.ratio == null) return `not judged (no ${a.impl} run)`;
        const mine = ratios[sockits[i].name][m.id][base].ratio;
        return `${fmt(mine, 2)} ${a.met ? "✓ >" : "✗ ≤"} ${fmt(a.ratio, 2)}`;
      });
      L.push(`| ${m.id} ÷ ${base}, above ${other.impl}'s ratio | ${cellsAbove.join(" | ")} |`);
    }
  }
  const t = tally(ratios);
  L.push(
    "",
    `Targets met: ${t.met} of ${t.judged} (stretch too: ${t.stretchMet})` +
      `${t.missed.length ? `; missed: ${t.missed.length}` : ""}.`,
  );
  return L;
}

function referenceTable(j) {
  const refs = j.references || {};
  const names = j.implementations.map((i) => i.name).filter((n) => refs[n]);
  if (!names.length) return [];
  const L = [
    "",
    "### Other columns ÷ raw Node, same run",
    "",
    `| ratio | ${names.join(" | ")} |`,
    `|---|${names.map(() => "---:").join("|")}|`,
  ];
  for (const m of j.metrics) {
    if (!names.some((n) => refs[n][m.id] != null)) continue;
    const row = names.map((n) => (refs[n][m.id] == null ? "—" : fmt(refs[n][m.id], 2)));
    L.push(`| ${m.id} ÷ ${baselineOf(m.workload)} | ${row.join(" | ")} |`);
  }
  return L;
}

export function renderTables(j) {
  return [...cellTable(j), ...ratioTable(j), ...referenceTable(j)];
}

/** The per-style targets as a table, for these sockit implementations (RESULTS.md, README). */
export function targetTable(sockitImpls) {
  const L = [
    `| metric | ratio to | ${sockitImpls.map((i) => i.name).join(" | ")} |`,
    `|---|---|${sockitImpls.map(() => "---:").join("|")}|`,
  ];
  for (const [id, t] of Object.entries(TARGETS)) {
    const lower = id.startsWith("W5");
    const workload = id.replace(/-.*/, "");
    const row = sockitImpls.map((impl) => {
      const x = t.styles[styleOf(impl)] ?? t.styles["*"];
      if (!x || !impl.workloads.includes(workload)) return "—";
      let c = `${bound(lower)} ${tnum(x.target)}${x.stretch == null ? "" : ` (${tnum(x.stretch)})`}`;
      if (x.above) c += `, above ${x.above}`;
      if (x.fallback) c += `; ${bound(lower)} ${tnum(x.fallback)} on the fallback path`;
      return c;
    });
    L.push(`| ${id} | ${t.base} | ${row.join(" | ")} |`);
  }
  return L;
}

function header(j) {
  const { environment: env, reps, totalSeconds } = j;
  const L = ["# sockit benchmark: results", ""];
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
      `§ = at least one kept run was disturbed (hypervisor steal + other processes > ${DISTURB_FRACTION * 100}% of the machine's CPU during it). ‡ = runs that failed. — = not applicable. ` +
      "W1, W2, W4, W6 are measured by the server (first byte to EOF); W3, W3c, W7 and the W5 establish time by the client. GB/MB = 10^9/10^6 bytes. " +
      "The runs are interleaved rep by rep (all cells of rep 1, then rep 2, …), each on a fresh port.",
    "",
  );
  return L;
}

function notes(j) {
  const { environment: env, implementations: impls, workloads, runs, discarded } = j;
  const L = ["", "## Notes", ""];
  for (const w of workloads) L.push(`- ${WORKLOADS[w].title}.`);
  L.push(
    "- sockit styles: `iter` = `for await` over `lines()` / `frames()` / the socket; `promise` = `await readLine()` / `readUntil()` / `readFrame()` / `readBytes()` / `readAvailable()` in a loop; " +
      "`tagged` = `read(delimiter | length, tag)` and the `'read'` event; `online` = `onLine()` / `onFrame()`, a plain call per message; `batch` = `for await` over `lineBatches()` / `frameBatches()`, an array per read. " +
      "The W1/W2/W4 senders are the same in every style (`write()` + `'drain'`). See `bench/README.md`.",
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
    if (impl.reps && impl.reps < j.reps)
      L.push(`- ${impl.name}: ${impl.reps} rep(s) only (a reference column; time budget).`);
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
  const t = j.timing;
  if (t)
    L.push(
      `- Time: ${fmt(t.totalSeconds, 0)} s in all: the runs ${fmt(t.runSeconds, 0)} s, repeated runs ${fmt(t.repeatedSeconds, 0)} s, ` +
        `the quiet gate ${fmt(t.quietGateSeconds, 0)} s, the rest pauses between runs. ` +
        `A full run at these durations: ≈ ${fmt(t.fullRunEstimateSeconds, 0)} s (budget ${t.fullRunBudgetSeconds} s).`,
    );
  return L;
}

export function writeMarkdown(mdPath, jsonName, svgName, j) {
  const L = header(j);
  if (svgName) L.push(`![sockit ÷ raw Node per workload, with the targets](${svgName})`, "");
  L.push(...renderTables(j));
  const sockits = j.implementations.filter((i) => i.sockit);
  if (sockits.length) {
    L.push("", "### The targets (issue 15; W1 from issue 5): target (stretch)", "");
    L.push(...targetTable(sockits));
  }
  L.push(...notes(j));
  if (j.failures.length) {
    L.push("", "## Failures", "");
    for (const f of j.failures) L.push(`- ${f.impl} ${f.workload} run ${f.rep}: ${f.error}`);
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
