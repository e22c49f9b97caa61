/**
 * Where the reliability suites put their figures: one JSON file per suite in a directory
 * (`SOCKIT_RELIABILITY_DIR`, default `<os temp>/sockit-reliability`), so suites running in
 * parallel workers never write the same file. `scripts/reliability-report.mjs` turns the
 * directory into `docs/reliability.md`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The directory of the figures files. */
export function figuresDir(): string {
  return process.env.SOCKIT_RELIABILITY_DIR ?? join(tmpdir(), "sockit-reliability");
}

/** Writes one suite's figures (`<dir>/<suite>.json`), with the time and the Node version. */
export function recordFigures(suite: string, figures: Record<string, unknown>): void {
  const dir = figuresDir();
  mkdirSync(dir, { recursive: true });
  const record = {
    suite,
    recordedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    ...figures,
  };
  writeFileSync(join(dir, `${suite}.json`), `${JSON.stringify(record, null, 2)}\n`);
}
