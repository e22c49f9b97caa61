// The workload parameters (shared with the anchors harness: every bench/impl file must carry
// the same values, checked by checkConstants() in workloads.mjs) and the runner's own knobs.

import path from "node:path";

export const HOST = "127.0.0.1";
export const W1_TOTAL_BYTES = 1024 * 1024 * 1024;
export const W1_CHUNK_BYTES = 64 * 1024;
export const W2_LINES = 2_000_000;
export const W2_LINE_CONTENT = 63;
export const W2_BATCH_BYTES = 1024 * 1024;
export const W3_ROUNDTRIPS = 100_000;
export const W3_MSG_BYTES = 32;
export const W3C_CONNS = 16;
export const W3C_ROUNDTRIPS_PER_CONN = 10_000;
export const W4_FRAMES = 1_000_000;
export const W4_MIN_PAYLOAD = 16;
export const W4_MAX_PAYLOAD = 1024;
export const W4_SEED = 0x2545f491;
export const W4_BATCH_BYTES = 1024 * 1024;
export const W5_CONNS = 5000;
export const W5_CONNECT_WINDOW = 256;
export const W6_TOTAL_BYTES = 256 * 1024 * 1024;
export const W6_CHUNK_BYTES = 64 * 1024;
export const W7_HANDSHAKES = 750;
export const CONSTANTS = {
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

// The total W4 payload the seeded generator yields (both ends report it).
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
export const W4_PAYLOAD = w4ExpectedPayload();

// ---- runner parameters ----------------------------------------------------------------
export const REPS_DEFAULT = 3;
export const READY_TIMEOUT_MS = 20_000; // server start -> "READY"
export const RUN_TIMEOUT_MS = 60_000; // server start -> both processes exited; then both are killed
export const PAUSE_BETWEEN_RUNS_MS = 200;
export const NOISY_SPREAD = 0.2; // flag a cell when (max - min) / median exceeds this
// Quiet gate (before each run) and interference check (during it), as in the shared harness,
// with smaller budgets so that the whole run stays under 10 minutes on 2 cores.
export const QUIET_BUSY = 0.1;
export const QUIET_SAMPLE_MS = 250;
export const QUIET_WAIT_PER_RUN_MS = 5_000;
export const QUIET_WAIT_TOTAL_MS = 45_000;
export const DISTURB_FRACTION = 0.05;
export const DISTURB_MIN_TICKS = 3;
export const MAX_REDOS_PER_RUN = 1;
export const MAX_REDOS_TOTAL = 12;
export const MAX_REDO_SECONDS_TOTAL = 45;
export const SOFT_DEADLINE_S = 480; // past this, no more quiet waits or repeats
export const FULL_RUN_BUDGET_S = 600; // a full run must fit in 10 minutes (issue 15)

// ---- paths ----------------------------------------------------------------------------
export const BENCH = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
export const REPO = path.dirname(BENCH);
