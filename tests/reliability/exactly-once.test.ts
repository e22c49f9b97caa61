/**
 * Exactly-once under random operations and hostile peers (issue 13): seeded runs in a child
 * process; every operation settles once, nothing is unhandled, every failure carries a
 * documented code, and the process exits by itself afterwards.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors.js";
import { cleanupCertificates, makeCertificates, opensslPeer } from "../helpers/certs.js";
import { runScenario } from "./child.js";
import { recordFigures } from "./figures.js";

interface ExactlyOnce {
  seeds: number[];
  connections: number;
  issued: number;
  settled: number;
  duplicates: number;
  unsettled: number;
  unsettledKinds: Record<string, number>;
  unhandled: number;
  unhandledSamples: string[];
  byKind: Record<string, number>;
  outcomes: Record<string, number>;
  tls: boolean;
  tlsUpgrades: number;
  ms: number;
}

const SEEDS = [1, 2, 3, 4];
const CONNECTIONS = 50;
const OPERATIONS = 14;

afterAll(() => cleanupCertificates());

/** A code a user can look up: one of sockit's, or a system code (`ECONNRESET`, `EPIPE`, …). */
function documented(code: string): boolean {
  return code === "ok" || code in ERROR_CODES || /^E[A-Z0-9]+$/.test(code);
}

describe("exactly-once settlement under random operations", () => {
  it("settles every operation once, leaves nothing unhandled and lets the process exit by itself", {
    timeout: 60_000,
  }, async () => {
    const env: Record<string, string> = {};
    if (opensslPeer.path === undefined) {
      console.log(
        `exactly-once: ${opensslPeer.skipReason ?? "openssl missing"}; startTLS is left out`,
      );
    } else {
      const certs = await makeCertificates();
      env.SOCKIT_CERT = certs.server.certPath;
      env.SOCKIT_KEY = certs.server.keyPath;
      env.SOCKIT_CA = certs.ca.certPath;
    }
    const run = await runScenario<ExactlyOnce>(
      "exactly-once",
      [SEEDS.join(","), String(CONNECTIONS), String(OPERATIONS)],
      { boundMs: 40_000, env },
    );
    const r = run.result;
    recordFigures("exactly-once", {
      seeds: r.seeds,
      connections: r.connections,
      operations: r.issued,
      settled: r.settled,
      duplicates: r.duplicates,
      unsettled: r.unsettled,
      unhandledRejections: r.unhandled,
      tlsUpgrades: r.tlsUpgrades,
      byKind: r.byKind,
      outcomes: r.outcomes,
      exitedBySelf: run.exitedBySelf,
      exitLagMs: run.exitLagMs,
      ms: r.ms,
    });
    expect(r.unhandledSamples).toEqual([]);
    expect(r.unsettledKinds).toEqual({});
    expect(r.settled).toBe(r.issued);
    expect(r.duplicates).toBe(0);
    expect(r.issued).toBe(SEEDS.length * CONNECTIONS * (OPERATIONS + 2)); // + close, + closed
    expect(Object.keys(r.outcomes).filter((code) => !documented(code))).toEqual([]);
    if (r.tls) expect(r.tlsUpgrades).toBeGreaterThan(0);
    expect(run.exitedBySelf).toBe(true);
    expect(run.code).toBe(0);
  });
});
