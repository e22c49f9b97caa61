/**
 * Child scripts run in namespaces a test makes (the network rule): `unshare -rn` for a name
 * lookup that must fail without a query leaving the machine, `unshare -rm` with a private
 * `/etc/hosts` bind-mounted over the system's for names the machine does not have. Each
 * returns the script's last stdout line parsed as JSON, or undefined (after printing why) when
 * the namespace cannot be made here: the caller skips.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scriptCommand } from "./runtime.js";

/** `dist/index.js`, for child scripts (build first: `npm run build`). */
export const DIST_ENTRY = new URL("../../dist/index.js", import.meta.url).pathname;

function run(unshare: string[], shell: string, script: string): unknown {
  const [command = "", ...args] = scriptCommand(script);
  const line = [command, ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(" ");
  const result = spawnSync("unshare", [...unshare, "sh", "-c", `${shell} exec ${line}`], {
    encoding: "utf8",
    timeout: 15_000,
  });
  if (result.status !== 0) {
    throw new Error(`child failed (${result.status}): ${result.stderr}${result.stdout}`);
  }
  const last = result.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last);
}

/** Whether `unshare` can make these namespaces here; prints why not. */
export function canUnshare(flags: string): boolean {
  const ok = spawnSync("unshare", [flags, "true"], { timeout: 5000 }).status === 0;
  if (!ok) console.warn(`skipping: cannot create namespaces here (unshare ${flags})`);
  return ok;
}

/**
 * Runs `script` in a network namespace of its own (`unshare -rn`), its loopback brought up
 * when `loopback` is true (needs `ip`): no query reaches the machine's resolver.
 */
export function inNetworkNamespace(script: string, loopback = false): unknown {
  return run(["-rn"], loopback ? "ip link set lo up &&" : "", script);
}

/**
 * Runs `script` in a mount namespace (`unshare -rm`) where `/etc/hosts` is `hosts`: names of
 * the test's own, resolved by the system resolver from that file.
 */
export function withHostsFile(hosts: string, script: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), "sockit-hosts-"));
  try {
    const file = join(dir, "hosts");
    writeFileSync(file, hosts);
    return run(["-rm"], `mount --bind '${file}' /etc/hosts &&`, script);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
