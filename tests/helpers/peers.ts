/**
 * Helpers shared by the real-peer tests (tests/peers): finding a peer program, running it
 * with bounded waits, free loopback ports, temporary directories. Every wait here is bounded
 * in time and stops by itself; every child started here is killed by `stop()`, and as a last
 * resort when the test process exits.
 *
 * Peers are installed by `scripts/install-peers.sh`. A test that needs an absent peer is
 * skipped with a printed reason (see {@link findPeer}). `SOCKIT_PEERS_DISABLE=nginx,tclsh`
 * makes the named peers look absent, to check the skip path.
 */
import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** Where Debian puts daemons such as nginx; a non-root PATH often lacks these. */
const SBIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

function disabledPeers(): Set<string> {
  const list = process.env.SOCKIT_PEERS_DISABLE ?? "";
  return new Set(
    list
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
  );
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The full path of an executable found on PATH (then, for daemons, in the sbin directories),
 * or undefined. A name listed in `SOCKIT_PEERS_DISABLE` is never found.
 */
export function findCommand(name: string, options: { sbin?: boolean } = {}): string | undefined {
  if (disabledPeers().has(name)) return undefined;
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  if (options.sbin === true) dirs.push(...SBIN_DIRS);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Whether an executable is found (see {@link findCommand}). */
export function hasCommand(name: string, options: { sbin?: boolean } = {}): boolean {
  return findCommand(name, options) !== undefined;
}

/** A peer program looked up for a test file. */
export interface Peer {
  /** The program's full path, or undefined when it is absent. */
  readonly path: string | undefined;
  /** Why the tests that need it are skipped, or undefined when it is present. */
  readonly skipReason: string | undefined;
}

/**
 * Looks up the peer program `command` for the tests named `what`. When it is absent, prints
 * the skip reason once (`console.warn`) and returns it, for `describe.skipIf(!peer.path)`.
 */
export function findPeer(command: string, what: string, options: { sbin?: boolean } = {}): Peer {
  const path = findCommand(command, options);
  if (path !== undefined) return { path, skipReason: undefined };
  const skipReason = `skipping ${what} tests: ${command} not installed (run scripts/install-peers.sh)`;
  console.warn(skipReason);
  return { path: undefined, skipReason };
}

/** Prints why some tests are skipped and returns the reason (for conditions other than a program). */
export function skipReason(reason: string): string {
  const message = `skipping ${reason}`;
  console.warn(message);
  return message;
}

// ---- child processes ----

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort: a test file that died before its afterAll leaves no peer running.
    process.once("exit", () => {
      for (const leftover of liveChildren) leftover.kill("SIGKILL");
    });
  }
}

/** Resolves once `child` has exited (true), or after `ms` milliseconds (false). */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener("exit", onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

/** What a finished process left behind. */
export interface ProcessResult {
  /** The exit code, or null when it was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether it was killed because it outlived its timeout. */
  timedOut: boolean;
}

/** Options of {@link runProcess} and {@link startProcess}. */
export interface ProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input?: string;
  /** `runProcess`: milliseconds before the child is killed. @default 10000 */
  timeout?: number;
}

/** Spawns with all three pipes, tracked so that the exit hook kills it if a test forgets. */
function spawnPiped(
  command: string,
  args: readonly string[],
  options: ProcessOptions,
): ChildProcessWithoutNullStreams {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  track(child);
  return child;
}

/**
 * Runs a program to completion and collects its output. The child is killed (SIGKILL) once
 * it outlives `timeout`; the promise never waits longer than that plus a second.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  const timeout = options.timeout ?? 10_000;
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawnPiped(command, args, options);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    child.stdin.on("error", () => {}); // a child that exits without reading stdin: EPIPE
    child.stdin.end(options.input ?? "");
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeout);
    // A child killed by its timeout whose grandchildren keep the pipes open: give up anyway.
    const backstop = setTimeout(() => {
      reject(new Error(`${command} did not exit within ${timeout + 1000} ms`));
    }, timeout + 1000);
    child.once("error", (error) => {
      clearTimeout(timer);
      clearTimeout(backstop);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(backstop);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A long-running peer (a server) started by {@link startProcess}. */
export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /**
   * Waits until stdout holds a match of `pattern` and returns it. Rejects when the process
   * exits first or after `timeout` ms (default 10000), quoting what it printed.
   */
  waitForOutput(pattern: RegExp, timeout?: number): Promise<RegExpExecArray>;
  /**
   * Stops it: SIGTERM, then SIGKILL after `grace` ms (default 3000); resolves once it has
   * exited or after one more second. Idempotent; safe after it exited on its own.
   */
  stop(grace?: number): Promise<void>;
}

/** Starts a long-running program; the caller must `stop()` it (in afterAll). */
export function startProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): RunningProcess {
  const child = spawnPiped(command, args, options);
  let out = "";
  let err = "";
  let spawnError: Error | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    out += text;
    notify();
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    err += text;
  });
  child.once("error", (error) => {
    spawnError = error;
    notify();
  });
  child.once("exit", notify);
  child.stdin.on("error", () => {});
  child.stdin.end(options.input ?? "");
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  let stopping: Promise<void> | undefined;

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: hasExited,
    waitForOutput(pattern: RegExp, timeout = 10_000): Promise<RegExpExecArray> {
      return new Promise<RegExpExecArray>((resolve, reject) => {
        const describe = (): string =>
          `${command} stdout: ${JSON.stringify(out)} stderr: ${JSON.stringify(err)}`;
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = (): void => {
          const match = pattern.exec(out);
          if (match !== null) {
            finish();
            resolve(match);
          } else if (spawnError !== undefined || hasExited()) {
            finish();
            reject(new Error(`${command} exited before printing ${pattern}; ${describe()}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${command} printed no ${pattern} within ${timeout} ms; ${describe()}`));
        }, timeout);
        listeners.add(check);
        check();
      });
    },
    stop(grace = 3000): Promise<void> {
      stopping ??= (async () => {
        if (hasExited() || spawnError !== undefined) return;
        child.kill("SIGTERM");
        if (await exited(child, grace)) return;
        child.kill("SIGKILL");
        await exited(child, 1000);
      })();
      return stopping;
    },
  };
}

// ---- network ----

/**
 * A TCP port that was free on `host` a moment ago: binds port 0, reads the port, closes.
 * Another process may take it before the caller binds it: callers that can, retry.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/** Whether a TCP connection to host:port succeeds within `ms` milliseconds. */
export function canConnect(host: string, port: number, ms = 1000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = netConnect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      probe.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    probe.once("connect", () => done(true));
    probe.once("error", () => done(false));
  });
}

/**
 * Polls until host:port accepts a connection: at most `attempts` tries `interval` ms apart
 * (defaults: 50 × 100 ms). `stillRunning` lets the poll stop early when the server died.
 */
export async function waitForPort(
  host: string,
  port: number,
  options: { attempts?: number; interval?: number; stillRunning?: () => boolean } = {},
): Promise<void> {
  const attempts = options.attempts ?? 50;
  const interval = options.interval ?? 100;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (options.stillRunning !== undefined && !options.stillRunning()) {
      throw new Error(`the server for ${host}:${port} exited before accepting connections`);
    }
    if (await canConnect(host, port, interval * 5)) return;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  throw new Error(`${host}:${port} accepted no connection after ${attempts} attempts`);
}

/** Whether this machine can listen on IPv6 loopback (`::1`). */
export function hasIPv6Loopback(): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host: "::1", port: 0 }, () => server.close(() => resolve(true)));
  });
}

// ---- temporary directories ----

/** A temporary directory and the function that removes it. */
export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it. Idempotent. */
  cleanup(): Promise<void>;
}

/** Makes a fresh directory under the system temp dir (`sockit-<prefix>-XXXXXX`). */
export async function makeTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `sockit-${prefix}-`));
  return {
    path,
    cleanup: () => rm(path, { recursive: true, force: true, maxRetries: 3 }),
  };
}
