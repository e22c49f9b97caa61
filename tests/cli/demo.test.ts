import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, runCli } from "./run-cli.js";

afterEach(() => killAll());

describe("sockit demo", () => {
  it("runs the whole tour on loopback, narrating each step, and exits 0 by itself", async () => {
    const before = new Set(await readdir(tmpdir()));
    const result = await runCli(["demo"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    for (const marker of [
      /listening on 127\.0\.0\.1:\d+/,
      /readBytes\(6\) +-> "SOCKIT"/,
      /readUntil\(.*\) -> "name=sockit;"/,
      /readLine\(\) +-> "a line of text"/,
      /readAvailable\(\) +-> "the rest"/,
      /'written' event, tag "first ping"/,
      /'read' event, tag "read 5 bytes": "pong\\n"/,
      /reached 3 connections/,
      /listening on unix:\//,
      /ERR_READ_TIMEOUT; still connected: true/,
      /"ECONNREFUSED"/,
      /Done/,
    ]) {
      expect(text).toMatch(marker);
    }
    // The temporary directory of the Unix-socket step is gone.
    const left = (await readdir(tmpdir())).filter(
      (name) => name.startsWith("sockit-demo-") && !before.has(name),
    );
    expect(left).toEqual([]);
  });
});
