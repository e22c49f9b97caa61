import { afterEach, describe, expect, it } from "vitest";
import { killAll, runCli } from "./run-cli.js";

afterEach(() => killAll());

describe("sockit usage", () => {
  it("exits 2 and names the problem for an unknown subcommand", async () => {
    const result = await runCli(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
    expect(result.stdout.length).toBe(0);
  });

  it("exits 2 and prints the usage when no subcommand is given", async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage: sockit");
  });

  it("exits 2 for an unknown option", async () => {
    const result = await runCli(["connect", "--bogus", "127.0.0.1:1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });

  it("exits 2 for a missing argument", async () => {
    const result = await runCli(["connect"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'target'");
  });

  it("exits 2 for an extra argument", async () => {
    const result = await runCli(["listen", "0", "1", "2"]);
    expect(result.code).toBe(2);
  });

  it("prints the help to stdout and exits 0 for --help", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    const help = result.stdout.toString();
    for (const command of ["connect", "listen", "resolve", "demo"]) expect(help).toContain(command);
  });

  it("prints the version and exits 0 for --version", async () => {
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
