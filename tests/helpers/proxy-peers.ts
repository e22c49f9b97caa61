/**
 * Real proxies for the client-proxy tests: dante-server (`danted`, SOCKS5) and tinyproxy
 * (HTTP CONNECT), each started on a free 127.0.0.1 port with a config generated into a
 * temporary directory, and stopped by `stop()`.
 *
 * dante checks SOCKS5 user names and passwords against the system's users (its `username`
 * method reads the password database), so {@link makeSystemUser} makes a throwaway user,
 * which needs root; the tests that need one skip with a reason otherwise.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  findCommand,
  freePort,
  makeTempDir,
  type RunningProcess,
  runProcess,
  startProcess,
  type TempDir,
  waitForPort,
} from "./peers.js";

/** A proxy started for a test file. */
export interface ProxyPeer {
  readonly port: number;
  /** Stops the proxy and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** What the proxy printed, for a failing test's message. */
  output(): string;
}

/** Whether this process runs as root (a throwaway system user can be made). */
export const isRoot = process.getuid?.() === 0;

/**
 * Starts `command` with a config written by `config(port)`, retrying on another port when
 * the one picked was taken meanwhile (at most 3 tries), and waits until it accepts.
 */
async function startWithConfig(
  prefix: string,
  config: (port: number, dir: string) => string,
  run: (path: string) => { command: string; args: string[] },
): Promise<ProxyPeer> {
  const temp: TempDir = await makeTempDir(prefix);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const path = join(temp.path, `${prefix}.conf`);
    await writeFile(path, config(port, temp.path));
    const { command, args } = run(path);
    const child: RunningProcess = startProcess(command, args, { cwd: temp.path });
    try {
      await waitForPort("127.0.0.1", port, { stillRunning: () => !child.exited() });
      return {
        port,
        output: () => `${child.stdout()}${child.stderr()}`,
        stop: async () => {
          await child.stop();
          await temp.cleanup();
        },
      };
    } catch (error) {
      lastError = new Error(`${command} did not start: ${String(error)}\n${child.stderr()}`);
      await child.stop();
    }
  }
  await temp.cleanup();
  throw lastError;
}

/**
 * Starts danted on 127.0.0.1: SOCKS5 with no authentication, or with `username` (system
 * users and their passwords). When root, danted's children drop to `nobody`.
 */
export function startDante(method: "none" | "username"): Promise<ProxyPeer> {
  const path = findCommand("danted", { sbin: true });
  if (path === undefined) throw new Error("danted not installed");
  const users = isRoot ? "user.privileged: root\nuser.unprivileged: nobody\n" : "";
  return startWithConfig(
    "danted",
    (port) => `logoutput: stderr
internal: 127.0.0.1 port = ${port}
external: 127.0.0.1
clientmethod: none
socksmethod: ${method}
${users}client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }
`,
    (config) => ({ command: path, args: ["-f", config, "-N", "1"] }),
  );
}

/**
 * Starts tinyproxy on 127.0.0.1 in the foreground. With `auth`, it asks for Basic
 * credentials (`BasicAuth`). `connectPorts` limits CONNECT to those ports (all otherwise).
 */
export function startTinyproxy(
  options: { auth?: { user: string; password: string }; connectPorts?: number[] } = {},
): Promise<ProxyPeer> {
  const path = findCommand("tinyproxy", { sbin: true });
  if (path === undefined) throw new Error("tinyproxy not installed");
  const lines = (port: number, dir: string): string[] => [
    `Port ${port}`,
    "Listen 127.0.0.1",
    "Timeout 30",
    "MaxClients 20",
    "LogLevel Info",
    `PidFile "${join(dir, "tinyproxy.pid")}"`,
    "Allow 127.0.0.1",
    ...(isRoot ? ["User nobody", "Group nogroup"] : []),
    ...(options.auth === undefined
      ? []
      : [`BasicAuth ${options.auth.user} ${options.auth.password}`]),
    ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
  ];
  return startWithConfig(
    "tinyproxy",
    (port, dir) => `${lines(port, dir).join("\n")}\n`,
    (config) => ({ command: path, args: ["-d", "-c", config] }),
  );
}

/** A system user made for a test, and how to remove it. */
export interface SystemUser {
  readonly name: string;
  readonly password: string;
  remove(): Promise<void>;
}

/**
 * Makes a throwaway system user with a random name and password (`useradd`, `chpasswd`),
 * for dante's `username` method. Root only.
 */
export async function makeSystemUser(): Promise<SystemUser> {
  const useradd = findCommand("useradd", { sbin: true }) ?? "useradd";
  const chpasswd = findCommand("chpasswd", { sbin: true }) ?? "chpasswd";
  const userdel = findCommand("userdel", { sbin: true }) ?? "userdel";
  const name = `sockit${randomBytes(4).toString("hex")}`;
  const password = `pw-${randomBytes(9).toString("base64url")}`;
  const added = await runProcess(useradd, [
    "--no-create-home",
    "--shell",
    "/usr/sbin/nologin",
    name,
  ]);
  if (added.code !== 0) throw new Error(`useradd failed: ${added.stderr}`);
  const set = await runProcess(chpasswd, [], { input: `${name}:${password}\n` });
  if (set.code !== 0) {
    await runProcess(userdel, [name]);
    throw new Error(`chpasswd failed: ${set.stderr}`);
  }
  let removed: Promise<void> | undefined;
  return {
    name,
    password,
    remove: () => {
      removed ??= runProcess(userdel, [name]).then(() => undefined);
      return removed;
    },
  };
}

/** Whether the tools for {@link makeSystemUser} are here. */
export function canMakeSystemUser(): boolean {
  return (
    isRoot &&
    findCommand("useradd", { sbin: true }) !== undefined &&
    findCommand("chpasswd", { sbin: true }) !== undefined
  );
}
