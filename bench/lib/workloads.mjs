// The workloads: what each run must report (checked against the constants) and the figures
// derived from it; and the check that every bench/impl file uses the runner's constants.

import fs from "node:fs";
import path from "node:path";
import {
  BENCH,
  CONSTANTS,
  W1_TOTAL_BYTES,
  W2_LINE_CONTENT,
  W2_LINES,
  W3_MSG_BYTES,
  W3_ROUNDTRIPS,
  W3C_CONNS,
  W3C_ROUNDTRIPS_PER_CONN,
  W4_FRAMES,
  W4_MAX_PAYLOAD,
  W4_MIN_PAYLOAD,
  W4_PAYLOAD,
  W5_CONNS,
  W6_CHUNK_BYTES,
  W6_TOTAL_BYTES,
  W7_HANDSHAKES,
} from "./constants.mjs";

export const PLAIN = ["W1", "W2", "W3", "W3c", "W4", "W5"];
export const TLS = ["W6", "W7"];
// W2 and W4 with the roles swapped: a client socket receives (impl/reverse.mjs), which is
// where Node's recycled read buffer (`onread`) works.
export const REVERSE = ["W2r", "W4r"];
export const ALL = [...PLAIN, ...REVERSE, ...TLS];
// The raw Node reference of each workload: sockit's ratios are to it.
export const baselineOf = (w) => (TLS.includes(w) ? "node-tls" : "node-net");
export const BASELINES = ["node-net", "node-tls", "node-readline"];

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

// Per workload: the check of both RESULT objects (null when right, else what is wrong) and the
// metrics derived from them. The targets per style are in targets.mjs.
export const WORKLOADS = {
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
      },
    ],
  },
  W2r: {
    title: `W2r lines to a client: ${W2_LINES} x (${W2_LINE_CONTENT} B + \\n), the server sends`,
    check: (s, c) =>
      firstErr(
        eq("server lines sent", s.sent, W2_LINES),
        eq("client lines", c.lines, W2_LINES),
        eq("client lineBytes", c.lineBytes, W2_LINES * W2_LINE_CONTENT),
        num("client seconds", c.seconds),
      ),
    metrics: [
      {
        id: "W2r",
        label: "W2r lines to a client (M lines/s, client)",
        digits: 2,
        value: (_s, c) => c.lines / c.seconds / 1e6,
      },
    ],
  },
  W4r: {
    title: `W4r frames to a client: ${W4_FRAMES} frames, payload ${W4_MIN_PAYLOAD}-${W4_MAX_PAYLOAD} B, the server sends`,
    check: (s, c) =>
      firstErr(
        eq("server frames sent", s.sent, W4_FRAMES),
        eq("client frames", c.frames, W4_FRAMES),
        eq("client payloadBytes", c.payloadBytes, W4_PAYLOAD),
        num("client seconds", c.seconds),
      ),
    metrics: [
      {
        id: "W4r-frames",
        label: "W4r frames to a client (M frames/s, client)",
        digits: 2,
        value: (_s, c) => c.frames / c.seconds / 1e6,
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
      },
      {
        id: "W5-ms",
        label: `W5 time to establish ${W5_CONNS} (ms, client)`,
        digits: 0,
        value: (_s, c) => c.establishSeconds * 1e3,
        lowerIsBetter: true,
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
      },
    ],
  },
};

// ---- constants check: every bench/impl file must use the runner's parameters ---------------

export function checkConstants() {
  const problems = [];
  for (const file of [
    "impl/sockit.mjs",
    "impl/node-net.mjs",
    "impl/node-readline.mjs",
    "impl/node-tls.mjs",
    "impl/reverse.mjs",
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
