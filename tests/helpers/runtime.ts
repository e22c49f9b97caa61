/**
 * Which runtime runs the tests (Node, Bun or Deno), for the few tests of a difference that
 * sockit cannot even out (README, "Runtimes"): those skip there and print why. Also how to
 * run a script file as a child process on the current runtime.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The runtime under the tests. */
export const runtime: "node" | "bun" | "deno" =
  "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

/**
 * The command line that runs a script file on the current runtime when it is started by a
 * shell (tmux, `sh -c`), not by Node's child_process: `deno run -A`, `bun`, `node`.
 */
export const runtimeCommand: readonly string[] =
  runtime === "deno" ? [process.execPath, "run", "-A"] : [process.execPath];

/**
 * Skips the calling test on `on`, printing `reason`: a documented difference of that runtime.
 * Call it first in the test, with the test's context.
 */
export function skipOn(
  on: "bun" | "deno",
  reason: string,
  context: { skip: (note?: string) => void },
): void {
  if (runtime !== on) return;
  console.warn(`skipping on ${on}: ${reason}`);
  context.skip(reason);
}

/**
 * Writes an ES module script to a temporary file and returns the command line that runs it
 * on the current runtime, when that command is started directly (not by Node's
 * child_process translating it, as Deno does for its own binary): `deno run -A
 * --node-modules-dir=manual FILE`, `bun FILE`, `node FILE`. Deno finds its configuration
 * beside the script, here in the temporary directory, so without that flag it refuses the
 * bare imports in dist/ (`socks`, `commander`) as "not a dependency".
 */
export function scriptCommand(source: string): string[] {
  const file = join(tmpdir(), `sockit-script-${process.pid}-${Date.now()}-${Math.random()}.mjs`);
  writeFileSync(file, source);
  return runtime === "deno"
    ? [process.execPath, "run", "-A", "--node-modules-dir=manual", file]
    : [process.execPath, file];
}

/**
 * The `reason` of the `ERR_TLS_CERT` a verifying client gets for an expired server
 * certificate: `CERT_HAS_EXPIRED` from OpenSSL and BoringSSL; Deno's TLS (rustls) reports
 * it as `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, with nothing in the error that tells an expired
 * certificate apart (README, "Runtimes").
 */
export const EXPIRED_REASON =
  runtime === "deno" ? "UNABLE_TO_VERIFY_LEAF_SIGNATURE" : "CERT_HAS_EXPIRED";
