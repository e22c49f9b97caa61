// bench/results.svg: per workload, each sockit style's ratio to raw Node beside the other
// columns' (readline, C, Bun, Deno, Python), with each style's target and stretch marked.
// Hand-written SVG (no dependency): horizontal bars on one ratio axis shared by every panel.

import { styleOf, TARGETS, tally } from "./targets.mjs";
import { baselineOf } from "./workloads.mjs";

const W = 1080; // picture width
const COLS = 2;
const PAD = 24;
const GAP = 28; // between panel columns
const LABEL_W = 112; // row labels
const VALUE_W = 44; // the column of values, right of the bars
const ROW = 17;
const BAR = 11;
const PANEL_HEAD = 34;
const AXIS_H = 22;
const AXIS_CAP = 2.0; // longer bars are cut, with their value written
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
const COLOR = {
  met: "#2e8b57",
  stretch: "#1b5e3a",
  missed: "#d0592a",
  info: "#4a78b5",
  ref: "#9a9a9a",
  target: "#202020",
  grid: "#e4e4e4",
  base: "#555555",
  text: "#222222",
  muted: "#666666",
};
const TITLES = {
  W1: "W1 bulk, 1 GiB",
  W2: "W2 lines, 2 M × 64 B",
  W2r: "W2r lines to a client (recycled read buffer)",
  "W4r-frames": "W4r frames to a client (recycled read buffer)",
  W3: "W3 ping-pong, 1 connection",
  W3c: "W3c ping-pong, 16 connections",
  "W4-frames": "W4 length-prefixed frames, 1 M",
  "W5-rss": "W5 memory per connection (server RSS)",
  "W5-ms": "W5 time to establish 5,000 connections",
  W6: "W6 TLS bulk, 256 MiB",
  W7: "W7 TLS handshakes, 1,500 full",
};
const REFERENCE_ORDER = ["bun", "deno", "node-readline", "c-limit", "python-asyncio"];

const esc = (s) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c],
  );
const attrs = (a) =>
  Object.entries(a)
    .filter(([, v]) => v != null)
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join("");
const el = (tag, a, body) =>
  body == null ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${body}</${tag}>`;
const text = (x, y, s, a = {}) =>
  el("text", { x: x.toFixed(1), y: y.toFixed(1), "font-size": 11, fill: COLOR.text, ...a }, esc(s));
const two = (x) => x.toFixed(2);

// The rows of one metric's panel: sockit styles first, then the reference columns.
function panelRows(j, m) {
  const rows = [];
  for (const impl of j.implementations.filter((i) => i.sockit)) {
    if (!impl.workloads.includes(m.workload)) continue;
    const r = j.ratios[impl.name]?.[m.id]?.[baselineOf(m.workload)];
    if (!r) {
      rows.push({ label: impl.name, failed: true });
      continue;
    }
    const ok = r.met == null ? null : r.met && r.above?.met !== false;
    const kind = ok == null ? "info" : ok ? (r.stretchMet ? "stretch" : "met") : "missed";
    rows.push({ label: impl.name, ratio: r.ratio, target: r.target, stretch: r.stretch, kind });
    if (r.above) rows.above = { style: styleOf(impl), ...r.above };
  }
  const refs = j.references || {};
  const names = Object.keys(refs).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const name of names)
    if (refs[name][m.id] != null) rows.push({ label: name, ratio: refs[name][m.id], kind: "ref" });
  return rows;
}
const rank = (n) => (REFERENCE_ORDER.includes(n) ? REFERENCE_ORDER.indexOf(n) : 99);

function axisMax(panels) {
  let max = 1.5;
  for (const p of panels)
    for (const r of p.rows)
      for (const v of [r.ratio, r.target, r.stretch])
        if (v != null && v <= AXIS_CAP) max = Math.max(max, v);
  return Math.min(AXIS_CAP, Math.ceil((max * 1.04) / 0.5) * 0.5);
}

function panel(p, x0, y0, width, max) {
  const { m, rows } = p;
  const barX = x0 + LABEL_W;
  const barW = width - LABEL_W - VALUE_W;
  const X = (v) => barX + (Math.min(v, max) / max) * barW;
  const base = baselineOf(m.workload);
  const out = [];
  const lower = m.lowerIsBetter ? " — lower is better" : "";
  const a = rows.above;
  const above = a
    ? a.ratio == null
      ? ` · ${a.style} is also to beat ${a.impl} (not measured)`
      : ` · ${a.style} is also to beat ${a.impl}'s ${two(a.ratio)}: ${a.met ? "✓" : "✗"}`
    : "";
  out.push(text(x0, y0 + 14, TITLES[m.id] ?? m.label, { "font-size": 13, "font-weight": "bold" }));
  out.push(
    text(x0, y0 + 28, `÷ ${base}${lower}${above}`, { "font-size": 10.5, fill: COLOR.muted }),
  );
  const top = y0 + PANEL_HEAD;
  const h = rows.length * ROW;
  for (let v = 0; v <= max + 1e-9; v += 0.5) {
    const gx = X(v);
    out.push(el("line", { x1: gx, y1: top - 2, x2: gx, y2: top + h + 2, stroke: COLOR.grid }));
    out.push(
      text(gx, top + h + 14, v.toFixed(1), {
        "text-anchor": "middle",
        "font-size": 10,
        fill: COLOR.muted,
      }),
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * ROW;
    const cy = y + ROW / 2;
    const ref = r.kind === "ref";
    out.push(
      text(barX - 6, cy + 4, r.label.replace(/^sockit-/, ref ? "" : "sockit "), {
        "text-anchor": "end",
        fill: ref ? COLOR.muted : COLOR.text,
        "font-style": ref ? "italic" : null,
      }),
    );
    if (r.failed) {
      out.push(text(barX + 4, cy + 4, "FAIL", { fill: COLOR.missed, "font-weight": "bold" }));
      return;
    }
    const end = X(r.ratio);
    out.push(
      el("rect", {
        x: barX,
        y: (cy - BAR / 2).toFixed(1),
        width: Math.max(1, end - barX).toFixed(1),
        height: BAR,
        fill: COLOR[r.kind],
        rx: 1.5,
      }),
    );
    if (r.ratio > max) {
      // a cut bar: a white gap near its end
      for (const dx of [12, 8])
        out.push(
          el("line", {
            x1: end - dx - 2,
            y1: cy + BAR / 2 + 1,
            x2: end - dx + 2,
            y2: cy - BAR / 2 - 1,
            stroke: "#ffffff",
            "stroke-width": 2,
          }),
        );
    }
    out.push(
      text(x0 + width, cy + 4, two(r.ratio), {
        "text-anchor": "end",
        "font-size": 11,
        "font-weight": ref ? null : "bold",
        fill: ref ? COLOR.muted : COLOR[r.kind],
      }),
    );
    if (r.stretch != null && r.stretch <= max)
      out.push(
        el("line", {
          x1: X(r.stretch),
          y1: cy - BAR / 2 - 3,
          x2: X(r.stretch),
          y2: cy + BAR / 2 + 3,
          stroke: COLOR.target,
          "stroke-width": 1.5,
          "stroke-dasharray": "2 2",
        }),
      );
    if (r.target != null && r.target <= max)
      out.push(
        el("line", {
          x1: X(r.target),
          y1: cy - BAR / 2 - 3,
          x2: X(r.target),
          y2: cy + BAR / 2 + 3,
          stroke: COLOR.target,
          "stroke-width": 2.5,
        }),
      );
  });
  const one = X(1);
  out.push(
    el("line", {
      x1: one,
      y1: top - 4,
      x2: one,
      y2: top + h + 2,
      stroke: COLOR.base,
      "stroke-width": 1.2,
    }),
  );
  return out;
}

function legend(x, y) {
  const out = [];
  let cx = x;
  const swatch = (color, label) => {
    out.push(el("rect", { x: cx, y: y - 9, width: 18, height: BAR, fill: color, rx: 1.5 }));
    out.push(text(cx + 23, y, label));
    cx += 30 + label.length * 6.1;
  };
  const tick = (dash, label) => {
    out.push(
      el("line", {
        x1: cx + 6,
        y1: y - 12,
        x2: cx + 6,
        y2: y + 3,
        stroke: COLOR.target,
        "stroke-width": dash ? 1.5 : 2.5,
        "stroke-dasharray": dash ? "2 2" : null,
      }),
    );
    out.push(text(cx + 14, y, label));
    cx += 22 + label.length * 6.1;
  };
  swatch(COLOR.met, "sockit: target met");
  swatch(COLOR.stretch, "stretch met too");
  swatch(COLOR.missed, "target missed");
  swatch(COLOR.info, "no target");
  swatch(COLOR.ref, "other runtimes, readline, C");
  tick(false, "target");
  tick(true, "stretch");
  out.push(
    el("line", {
      x1: cx + 6,
      y1: y - 12,
      x2: cx + 6,
      y2: y + 3,
      stroke: COLOR.base,
      "stroke-width": 1.2,
    }),
  );
  out.push(text(cx + 14, y, "raw Node = 1"));
  return out;
}

// The chart in words, for screen readers: per panel, each bar's ratio and mark.
function describe(j, panels) {
  const t = tally(j.ratios);
  const parts = panels.map(({ m, rows }) => {
    const bars = rows.map((r) => `${r.label} ${r.failed ? "FAIL" : two(r.ratio)}${MARK[r.kind]}`);
    return `${TITLES[m.id] ?? m.id}: ${bars.join(", ")}`;
  });
  return `Targets met: ${t.met} of ${t.judged}. ${parts.join(". ")}.`;
}
const MARK = {
  met: " (target met)",
  stretch: " (stretch met)",
  missed: " (missed)",
  info: "",
  ref: "",
  undefined: "",
};

/** The chart of a results object (as written to results.json), as SVG text. */
export function renderSvg(j) {
  const metrics = j.metrics.filter((m) => TARGETS[m.id]);
  const panels = metrics.map((m) => ({ m, rows: panelRows(j, m) })).filter((p) => p.rows.length);
  const max = axisMax(panels);
  const colW = (W - 2 * PAD - (COLS - 1) * GAP) / COLS;
  const body = [];
  const env = j.environment || {};
  const title = "sockit ÷ raw Node in the same run (median of each cell)";
  const commit = env.git?.commit ? `commit ${env.git.commit}, ` : "";
  const sub = `${commit}${(env.date || "").slice(0, 10)}, ${j.reps} rep${j.reps > 1 ? "s" : ""}, ${env.cpu || "?"} × ${env.cores || "?"} cores. Bars past ${AXIS_CAP} are cut (value written).`;
  body.push(text(PAD, PAD + 6, title, { "font-size": 16, "font-weight": "bold" }));
  body.push(text(PAD, PAD + 24, sub, { "font-size": 11, fill: COLOR.muted }));
  body.push(...legend(PAD, PAD + 48));
  let y = PAD + 66;
  for (let i = 0; i < panels.length; i += COLS) {
    const row = panels.slice(i, i + COLS);
    const h = Math.max(...row.map((p) => PANEL_HEAD + p.rows.length * ROW + AXIS_H));
    for (const [k, p] of row.entries())
      body.push(...panel(p, PAD + k * (colW + GAP), y, colW, max));
    y += h + 14;
  }
  const H = Math.ceil(y + PAD - 14);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}" role="img" aria-labelledby="title desc">`,
    el("title", { id: "title" }, esc(title)),
    el("desc", { id: "desc" }, esc(describe(j, panels))),
    el("rect", { width: W, height: H, fill: "#ffffff" }),
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
