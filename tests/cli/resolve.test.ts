import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, runCli } from "./run-cli.js";

afterEach(() => killAll());

// Only names that resolve on this machine (localhost, literals): no query to any other host.
const canUnshare = spawnSync("unshare", ["-n", "true"], { timeout: 5000 }).status === 0;
if (!canUnshare)
  console.warn("skipping the failed-lookup test: cannot create a network namespace (unshare -n)");

describe("sockit resolve", () => {
  it("prints the loopback address(es) of localhost as `ADDRESS (IPvN)`", async () => {
    const result = await runCli(["resolve", "localhost"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.toString().trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^(127\.\d+\.\d+\.\d+ \(IPv4\)|::1 \(IPv6\))$/);
    expect(lines.some((line) => line === "127.0.0.1 (IPv4)" || line === "::1 (IPv6)")).toBe(true);
  });

  it.each([
    ["127.0.0.1", "127.0.0.1 (IPv4)\n"],
    ["::1", "::1 (IPv6)\n"],
  ])("prints the literal address %s as itself", async (name, expected) => {
    const result = await runCli(["resolve", name]);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(expected);
  });

  it.skipIf(!canUnshare)(
    "prints one line naming the code and the name, and exits 1, for a name that does not resolve",
    () => {
      // The machine's resolver is another host: this lookup runs in a network namespace of its
      // own, with only a downed loopback, so it fails here and no query leaves the machine.
      const cli = fileURLToPath(new URL("../../dist/cli/sockit.js", import.meta.url));
      const result = spawnSync(
        "unshare",
        ["-n", process.execPath, cli, "resolve", "no-such-host.invalid"],
        {
          encoding: "utf8",
          timeout: 10_000,
        },
      );
      expect(result.status).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(
        /^sockit: (ENOTFOUND|EAI_AGAIN|EAI_FAIL) no-such-host\.invalid\n$/,
      );
    },
  );

  it("exits 2 without a name", async () => {
    const result = await runCli(["resolve"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument");
  });
});
