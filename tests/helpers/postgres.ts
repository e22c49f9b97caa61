/**
 * A throwaway PostgreSQL cluster on 127.0.0.1, as a real STARTTLS server: a client sends
 * PostgreSQL's SSLRequest ({@link SSL_REQUEST}, 8 bytes), the server answers the single
 * byte `S`, and the TLS handshake starts on the same connection.
 *
 * {@link startPostgres} runs `initdb` into a temporary directory (trust authentication,
 * superuser `postgres`, no fsync), copies the test server certificate and key into the data
 * directory (mode 0600), and runs `postgres` in the foreground with `ssl=on`, listening on
 * 127.0.0.1 only with a free port and its Unix socket inside the temporary directory.
 * `stop()` shuts it down (SIGINT: fast shutdown) and deletes everything.
 *
 * initdb and postgres refuse to run as root: when the tests run as root (as in CI), both
 * run as the `postgres` user (made by the Debian package; `nobody` otherwise) through
 * `setpriv` (which execs, so the child IS postgres), or `runuser` when setpriv is absent,
 * and the temporary directory is handed to that user.
 *
 * The server binaries are looked for in /usr/lib/postgresql/<version>/bin (Debian, highest
 * version first), then on PATH; `scripts/install-peers.sh` installs them (package
 * `postgresql`). Use {@link postgresPeer} to skip when they are absent.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, chown, copyFile, mkdir, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Certificates } from "./certs.js";
import {
  findCommand,
  freePort,
  makeTempDir,
  type RunningProcess,
  runProcess,
  skipReason,
  startProcess,
} from "./peers.js";

/** PostgreSQL's SSLRequest: length 8, then the code 80877103 (`04 d2 16 2f`). */
export const SSL_REQUEST: Buffer = Buffer.from([0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * A protocol 3.0 StartupMessage for `user` and `database`: with the trust authentication
 * of the test cluster, the server answers `R` with AuthenticationOk (`52 00 00 00 08 00 00 00 00`)
 * followed by ParameterStatus messages and `Z` (ReadyForQuery).
 */
export function startupMessage(user = "postgres", database = "postgres"): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x00, 0x03, 0x00, 0x00]),
    Buffer.from(`user\0${user}\0database\0${database}\0\0`, "utf8"),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length + 4);
  return Buffer.concat([length, body]);
}

/** Where the server binaries are, or why the PostgreSQL tests are skipped. */
export interface PostgresPeer {
  /** The directory holding `initdb` and `postgres`, or undefined when absent. */
  readonly bindir: string | undefined;
  readonly skipReason: string | undefined;
}

function postgresDisabled(): boolean {
  const list = (process.env.SOCKIT_PEERS_DISABLE ?? "").split(",").map((name) => name.trim());
  return list.includes("postgres") || list.includes("postgresql") || list.includes("initdb");
}

function versionNumber(name: string): number {
  const value = Number.parseFloat(name);
  return Number.isNaN(value) ? -1 : value;
}

/** Finds the directory with `initdb` and `postgres` (see the module comment). */
export function findPostgresBindir(): string | undefined {
  if (postgresDisabled()) return undefined;
  const root = "/usr/lib/postgresql";
  const candidates: string[] = [];
  try {
    const versions = readdirSync(root).sort((a, b) => versionNumber(b) - versionNumber(a));
    for (const version of versions) candidates.push(join(root, version, "bin"));
  } catch {
    // not Debian's layout
  }
  const initdb = findCommand("initdb", { sbin: true });
  if (initdb !== undefined) candidates.push(dirname(initdb));
  return candidates.find(
    (dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres")),
  );
}

function lookUpPostgres(): PostgresPeer {
  const bindir = findPostgresBindir();
  if (bindir !== undefined) return { bindir, skipReason: undefined };
  return {
    bindir: undefined,
    skipReason: skipReason(
      "PostgreSQL STARTTLS tests: initdb/postgres not installed (package postgresql; run scripts/install-peers.sh)",
    ),
  };
}

/** The PostgreSQL server binaries, looked up once: `describe.skipIf(postgresPeer.bindir === undefined)`. */
export const postgresPeer: PostgresPeer = lookUpPostgres();

/** A running throwaway cluster. */
export interface PostgresServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** The database superuser (trust authentication from 127.0.0.1). */
  readonly user: "postgres";
  readonly dataDir: string;
  /** The directory of its Unix socket (`.s.PGSQL.<port>`). */
  readonly socketDir: string;
  readonly process: RunningProcess;
  /** The server log so far (postgres logs to stderr). */
  log(): string;
  /** Fast shutdown, then deletes the cluster. Idempotent. */
  stop(): Promise<void>;
}

/** How to run a program as the unprivileged owner of the cluster. */
interface RunAs {
  readonly uid: number;
  readonly gid: number;
  /** Prefix that turns `command args` into "as that user"; empty when not root. */
  wrap(command: string, args: readonly string[]): [string, string[]];
}

function passwdEntry(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const fields = line.split(":");
      if (fields[0] === name && fields[2] !== undefined && fields[3] !== undefined) {
        return { uid: Number(fields[2]), gid: Number(fields[3]) };
      }
    }
  } catch {
    // no /etc/passwd
  }
  return undefined;
}

function runAsUnprivileged(): RunAs {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  if (uid !== 0) return { uid, gid, wrap: (command, args) => [command, [...args]] };
  const name = passwdEntry("postgres") !== undefined ? "postgres" : "nobody";
  const entry = passwdEntry(name);
  if (entry === undefined) throw new Error("running as root and neither postgres nor nobody exist");
  const setpriv = findCommand("setpriv", { sbin: true });
  if (setpriv !== undefined) {
    return {
      ...entry,
      wrap: (command, args) => [
        setpriv,
        [`--reuid=${entry.uid}`, `--regid=${entry.gid}`, "--clear-groups", "--", command, ...args],
      ],
    };
  }
  const runuser = findCommand("runuser", { sbin: true });
  if (runuser !== undefined) {
    return { ...entry, wrap: (command, args) => [runuser, ["-u", name, "--", command, ...args]] };
  }
  throw new Error(
    "running as root without setpriv or runuser: cannot drop to an unprivileged user",
  );
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await chown(child, uid, gid);
  }
}

/** Resolves once `running` has exited, or after `ms`. */
function exitWithin(running: RunningProcess, ms: number): Promise<void> {
  if (running.exited()) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    running.child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Polls (every 50 ms, at most `ms`) until the log says the server is ready; false if it exited. */
async function waitUntilReady(running: RunningProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (/ready to accept connections/.test(running.stderr())) return true;
    if (running.exited()) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`postgres was not ready within ${ms} ms; log: ${running.stderr()}`);
}

/**
 * Makes and starts a throwaway cluster with `ssl=on` and the `certs.server` certificate
 * (CN and SAN `localhost`, signed by `certs.ca`). Takes about 1 to 3 s (initdb). The caller
 * must `stop()` it in afterAll. Rejects when the binaries are absent (guard the suite with
 * {@link postgresPeer}).
 */
export async function startPostgres(certs: Certificates): Promise<PostgresServer> {
  const bindir = postgresPeer.bindir;
  if (bindir === undefined) throw new Error(postgresPeer.skipReason ?? "postgres not installed");
  const runAs = runAsUnprivileged();
  const temp = await makeTempDir("postgres");
  try {
    const dataDir = join(temp.path, "data");
    const socketDir = join(temp.path, "socket");
    await mkdir(socketDir, { mode: 0o700 });
    await chownTree(temp.path, runAs.uid, runAs.gid);
    const env = { ...process.env, HOME: temp.path, LC_ALL: "C", LANG: "C" };

    const [initCommand, initArgs] = runAs.wrap(join(bindir, "initdb"), [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    const init = await runProcess(initCommand, initArgs, { cwd: temp.path, env, timeout: 60_000 });
    if (init.code !== 0) {
      throw new Error(`initdb failed (exit ${init.code}): ${init.stderr}${init.stdout}`);
    }

    const certFile = join(dataDir, "server.crt");
    const keyFile = join(dataDir, "server.key");
    await copyFile(certs.server.certPath, certFile);
    await copyFile(certs.server.keyPath, keyFile);
    for (const file of [certFile, keyFile]) {
      await chmod(file, 0o600);
      await chown(file, runAs.uid, runAs.gid);
    }

    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const settings = {
        listen_addresses: "127.0.0.1",
        port: String(port),
        unix_socket_directories: socketDir,
        ssl: "on",
        ssl_cert_file: certFile,
        ssl_key_file: keyFile,
        fsync: "off",
        synchronous_commit: "off",
        full_page_writes: "off",
        shared_buffers: "16MB",
        max_connections: "20",
        logging_collector: "off",
        log_connections: "on",
      };
      const args = ["-D", dataDir];
      for (const [name, value] of Object.entries(settings)) args.push("-c", `${name}=${value}`);
      const [command, wrapped] = runAs.wrap(join(bindir, "postgres"), args);
      const running = startProcess(command, wrapped, { cwd: temp.path, env });
      let ready: boolean;
      try {
        ready = await waitUntilReady(running, 20_000);
      } catch (error) {
        await running.stop(5000);
        throw error;
      }
      if (!ready) {
        await running.stop();
        if (/could not bind|already in use/i.test(running.stderr()) && attempt < 2) continue;
        throw new Error(`postgres exited at start: ${running.stderr()}`);
      }
      let stopping: Promise<void> | undefined;
      return {
        host: "127.0.0.1",
        port,
        user: "postgres",
        dataDir,
        socketDir,
        process: running,
        log: () => running.stderr(),
        stop(): Promise<void> {
          stopping ??= (async () => {
            if (!running.exited()) {
              running.child.kill("SIGINT"); // fast shutdown: ends open sessions
              await exitWithin(running, 5000);
            }
            await running.stop(3000); // SIGTERM, then SIGKILL, if still there
            await temp.cleanup();
          })();
          return stopping;
        },
      };
    }
    throw new Error("postgres found no free port in 3 attempts");
  } catch (error) {
    await temp.cleanup();
    throw error;
  }
}
