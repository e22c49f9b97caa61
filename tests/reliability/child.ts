/**
 * Runs a reliability scenario (a plain ESM script under tests/reliability/scenarios that
 * imports the built library from dist/) in a child process: its last stdout line is its
 * JSON result. The child must exit by itself; past `boundMs` it is killed and the run
 * reports `exitedBySelf: false`.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The built library the scenarios import; `npm test` builds it first. */
export const DIST = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

/** How a scenario child ended. */
export interface ScenarioRun<T> {
  /** The JSON object of its last stdout line. */
  result: T;
  /** Whether it exited on its own before the bound (no kill). */
  exitedBySelf: boolean;
  code: number | null;
  /** Milliseconds from the result line to the exit. */
  exitLagMs: number;
  stderr: string;
}

/** Runs `scenarios/<name>.mjs` with `args` (and `env` added), bounded by `boundMs`. */
export function runScenario<T>(
  name: string,
  args: readonly string[],
  options: {
    boundMs: number;
    env?: Record<string, string>;
    nodeArgs?: readonly string[];
    wrap?: readonly string[];
  },
): Promise<ScenarioRun<T>> {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run "npm run build" first`);
  const script = fileURLToPath(new URL(`./scenarios/${name}.mjs`, import.meta.url));
  const nodeArgs = [...(options.nodeArgs ?? []), script, ...args];
  const [command, ...rest] =
    options.wrap === undefined
      ? [process.execPath, ...nodeArgs]
      : [...options.wrap, process.execPath, ...nodeArgs];
  const child = spawn(command as string, rest, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let stdout = "";
  let stderr = "";
  let resultAt = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    if (stdout.includes("\n")) resultAt ||= Date.now();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, options.boundMs);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").at(-1) ?? "";
      let result: T;
      try {
        result = JSON.parse(line) as T;
      } catch {
        reject(
          new Error(`scenario ${name} printed no result (exit ${code}): ${stderr.slice(-2000)}`),
        );
        return;
      }
      resolve({
        result,
        exitedBySelf: !killed,
        code,
        exitLagMs: resultAt === 0 ? 0 : Date.now() - resultAt,
        stderr,
      });
    });
  });
}
