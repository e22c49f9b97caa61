/**
 * Runs the built `sockit` command (dist/cli/sockit.js) as a child process, and external peers
 * (socat, nc) when they are installed. Every child is killed after a bound, and
 * `killAll()` (called from afterEach) ends whatever a failed test left running.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The compiled entry point; `npm test` builds it first. */
export const CLI = fileURLToPath(new URL("../../dist/cli/sockit.js", import.meta.url));

/** The bound on every child process and every wait, in milliseconds. */
export const BOUND_MS = 10_000;

const running = new Set<ChildProcess>();

/** How a finished child ended and what it printed. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** How to start a child. */
export interface ChildOptions {
  /** A file to give the child as its stdin (a shell's `< file`); default a pipe. */
  stdinFile?: string;
  /** The child's environment; default this process's. */
  env?: NodeJS.ProcessEnv;
}

/** A running child: its output so far, waits on its stderr, and its end. */
export class Child {
  readonly process: ChildProcess;
  readonly #stdout: Buffer[] = [];
  #stderr = "";
  readonly #waiters = new Set<() => void>();
  readonly exited: Promise<Finished>;

  /**
   * Sends `signal` to the child as a shell's `kill` would. Not `ChildProcess.kill()`: Deno's
   * reports a child it signalled as killed by that signal (code null) even when the child
   * handled it and exited with a code of its own.
   */
  signal(signal: NodeJS.Signals): void {
    if (this.process.pid !== undefined) process.kill(this.process.pid, signal);
  }

  /** `stdinFile`: the child's stdin is this file (as a shell's `< file`), not a pipe. */
  constructor(command: string, args: readonly string[], options: ChildOptions = {}) {
    if (command === process.execPath && !existsSync(CLI)) {
      throw new Error(`${CLI} is missing: run "npm run build" first`);
    }
    const fd = options.stdinFile === undefined ? undefined : openSync(options.stdinFile, "r");
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        stdio: [fd ?? "pipe", "pipe", "pipe"],
        ...(options.env === undefined ? {} : { env: options.env }),
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    this.process = child;
    running.add(child);
    child.stdout?.on("data", (chunk: Buffer) => {
      this.#stdout.push(chunk);
      for (const wake of this.#waiters) wake();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr += chunk.toString("utf8");
      for (const wake of this.#waiters) wake();
    });
    // A child that exits early must not make a write to its stdin crash the test run.
    child.stdin?.on("error", () => {});
    const timer = setTimeout(() => child.kill("SIGKILL"), BOUND_MS);
    this.exited = new Promise<Finished>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        for (const wake of this.#waiters) wake();
        resolve({ code, signal, stdout: this.stdout, stderr: this.#stderr });
      });
    });
  }

  get stdout(): Buffer {
    return Buffer.concat(this.#stdout);
  }

  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Resolves with the first match of `pattern` in stderr; rejects after the bound or on exit. */
  async waitForStderr(pattern: RegExp): Promise<RegExpMatchArray> {
    let match: RegExpMatchArray | null = null;
    await this.#waitFor(() => {
      match = pattern.exec(this.#stderr);
      return match !== null;
    }, String(pattern));
    return match as unknown as RegExpMatchArray;
  }

  /** Resolves once stdout contains `bytes`; rejects after the bound or on exit. */
  waitForStdout(bytes: string | Buffer): Promise<void> {
    return this.#waitFor(() => this.stdout.includes(bytes), JSON.stringify(String(bytes)));
  }

  #waitFor(ready: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (ready()) done(resolve);
        else if (!this.running) done(() => reject(this.#failure(`exited before ${what}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(this.#failure(`no ${what} within ${BOUND_MS} ms`))),
        BOUND_MS,
      );
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }

  #failure(why: string): Error {
    return new Error(`${this.process.spawnargs.join(" ")}: ${why}; stderr: ${this.#stderr}`);
  }

  /** Writes to the child's stdin; `end` closes it afterwards (end of input). */
  send(data: string | Uint8Array, end = false): void {
    if (end) this.process.stdin?.end(data);
    else this.process.stdin?.write(data);
  }
}

/** Starts `node dist/cli/sockit.js ...args`. */
export function startCli(args: readonly string[], options: ChildOptions = {}): Child {
  return new Child(process.execPath, [CLI, ...args], options);
}

/** Runs the CLI to its end with `input` on stdin (then end of input). */
export function runCli(
  args: readonly string[],
  input: string | Uint8Array = "",
): Promise<Finished> {
  const child = startCli(args);
  child.send(input, true);
  return child.exited;
}

/** Kills every child still running (a failed test must not leave processes behind). */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** Whether `command` can be run here; logs why when it cannot, so a skip is explained. */
export function hasTool(command: string, args: readonly string[], expect?: RegExp): boolean {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 5000 });
  const text = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  const ok = result.error === undefined && (expect === undefined || expect.test(text));
  if (!ok) {
    console.warn(
      `skipping tests that need ${command}: not installed or not the expected variant ` +
        "(install with: apt-get install -y socat netcat-openbsd)",
    );
  }
  return ok;
}

/** A TCP port that was free on 127.0.0.1 a moment ago (for peers that cannot take port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts socat listening on 127.0.0.1 with `-d -d` (it then prints "listening on" when
 * ready). The port comes from {@link freePort}, so another program may take it first:
 * retried a few times.
 */
export async function startSocatListener(
  address: (port: number) => string[],
): Promise<{ child: Child; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = new Child("socat", ["-d", "-d", ...address(port)]);
    try {
      await child.waitForStderr(/listening on/);
      return { child, port };
    } catch (error) {
      lastError = error;
      child.process.kill("SIGKILL");
    }
  }
  throw lastError;
}

/** Waits for `sockit listen` to print `listening on HOST:PORT` and returns the port. */
export async function listeningPort(child: Child): Promise<number> {
  const match = await child.waitForStderr(/^listening on .*:(\d+)$/m);
  return Number(match[1]);
}
