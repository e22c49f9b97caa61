// The targets per sockit style (issue 15's table; W1 keeps issue 5's), and the ratios of a run:
// every sockit cell ÷ raw Node's cell in the same run, judged against its style's target, and
// every other column (readline, C, Bun, Deno, Python) ÷ raw Node as a reference.

import { BASELINES, baselineOf } from "./workloads.mjs";

// Per metric id: the baseline the target is a ratio to, and per style the target and the
// stretch ("*" = every other sockit style). For lower-is-better metrics (W5) both are
// ceilings. `above`: the ratio must also exceed that column's ratio in the same run.
// `fallback`: the target instead when every server run reports `receivePath: "data"` (the
// fallback receive path, without the recycled read buffer) in its RESULT.
export const TARGETS = {
  W1: { base: "node-net", source: "issue 5", styles: { "*": { target: 0.95 } } },
  W2: {
    base: "node-net",
    source: "issue 15",
    styles: {
      online: { target: 1.5, stretch: 1.8, above: "bun", fallback: 1.25 },
      batch: { target: 1.1, stretch: 1.25 },
      "*": { target: 0.75, stretch: 0.8 },
    },
  },
  // W2/W4 received by a client socket: the recycled read buffer (issue 15's first target).
  W2r: {
    base: "node-net",
    source: "issue 15",
    styles: {
      online: { target: 1.5, stretch: 1.8, fallback: 1.25 },
      "*": { target: 0.75, stretch: 0.8 },
    },
  },
  "W4r-frames": {
    base: "node-net",
    source: "issue 15",
    styles: { online: { target: 1.05, stretch: 1.15 }, "*": { target: 0.95, stretch: 1.0 } },
  },
  W3: { base: "node-net", source: "issue 15", styles: { "*": { target: 0.95, stretch: 1.0 } } },
  W3c: { base: "node-net", source: "issue 15", styles: { "*": { target: 0.95, stretch: 1.0 } } },
  "W4-frames": {
    base: "node-net",
    source: "issue 15",
    styles: { online: { target: 1.05, stretch: 1.15 }, "*": { target: 0.95, stretch: 1.0 } },
  },
  "W5-rss": {
    base: "node-net",
    source: "issue 15",
    styles: { "*": { target: 1.0, stretch: 0.9 } },
  },
  "W5-ms": { base: "node-net", source: "issue 15", styles: { "*": { target: 1.1, stretch: 1.0 } } },
  W6: { base: "node-tls", source: "issue 15", styles: { "*": { target: 0.95, stretch: 1.0 } } },
  W7: { base: "node-tls", source: "issue 15", styles: { "*": { target: 1.0, stretch: 1.05 } } },
};

// "sockit-online" -> "online" (results.json files written before `style` was recorded).
export const styleOf = (impl) => impl.style ?? impl.name.replace(/^sockit-/, "");

/** The target of a style on a metric against a baseline, or null (an information row). */
export function targetFor(metricId, style, base) {
  const t = TARGETS[metricId];
  if (!t || t.base !== base) return null;
  return t.styles[style] ?? t.styles["*"] ?? null;
}

const passes = (ratio, bound, lowerIsBetter) =>
  bound == null ? null : lowerIsBetter ? ratio <= bound : ratio >= bound;

// ratios[impl][metricId][baseline] = { ratio, target, stretch, met, stretchMet, above? },
// for every sockit implementation; ratio = median(impl) / median(baseline), same invocation.
export function computeRatios(impls, metrics, cells) {
  const ratios = {};
  for (const impl of impls.filter((i) => i.sockit)) {
    ratios[impl.name] = {};
    for (const m of metrics) {
      const out = {};
      for (const base of BASELINES) {
        const r = judge(impl, m, base, cells);
        if (r) out[base] = r;
      }
      ratios[impl.name][m.id] = out;
    }
  }
  return ratios;
}

function judge(impl, m, base, cells) {
  const mine = cells[impl.name]?.[m.id];
  const b = cells[base]?.[m.id];
  if (!mine?.n || !b?.n) return null;
  const ratio = mine.median / b.median;
  const t = targetFor(m.id, styleOf(impl), base);
  const onFallback =
    t?.fallback != null &&
    mine.receivePaths?.length > 0 &&
    mine.receivePaths.every((p) => p === "data");
  const target = t ? (onFallback ? t.fallback : t.target) : null;
  const out = {
    ratio,
    target,
    stretch: t?.stretch ?? null,
    met: passes(ratio, target, m.lowerIsBetter),
    stretchMet: passes(ratio, t?.stretch, m.lowerIsBetter),
  };
  if (onFallback) out.fallback = true;
  if (t?.above) {
    const other = cells[t.above]?.[m.id];
    const otherRatio = other?.n ? other.median / b.median : null;
    out.above = {
      impl: t.above,
      ratio: otherRatio,
      // strictly better than that column
      met: otherRatio == null ? null : m.lowerIsBetter ? ratio < otherRatio : ratio > otherRatio,
    };
  }
  return out;
}

// references[impl][metricId] = median(impl) / median(raw Node) for the columns that are neither
// sockit nor the workload's baseline (node-readline, c-limit, bun, deno, python-asyncio).
export function computeReferences(impls, metrics, cells) {
  const refs = {};
  for (const impl of impls) {
    if (impl.sockit) continue;
    for (const m of metrics) {
      const base = baselineOf(m.workload);
      if (impl.name === base) continue;
      const mine = cells[impl.name]?.[m.id];
      const b = cells[base]?.[m.id];
      if (!mine?.n || !b?.n) continue;
      refs[impl.name] ??= {};
      refs[impl.name][m.id] = mine.median / b.median;
    }
  }
  return refs;
}

/** Counts of targets met, stretch targets met and targets judged, over a ratios object. */
export function tally(ratios) {
  const t = { judged: 0, met: 0, stretchMet: 0, missed: [] };
  for (const [impl, byMetric] of Object.entries(ratios))
    for (const [id, byBase] of Object.entries(byMetric))
      for (const r of Object.values(byBase)) {
        if (r.met == null) continue;
        t.judged++;
        const ok = r.met && r.above?.met !== false;
        if (ok) t.met++;
        else t.missed.push(`${impl} ${id}`);
        if (ok && r.stretchMet) t.stretchMet++;
      }
  return t;
}
