// The machine and the build a run measures: tool versions, the git state, the snapshot of
// dist/ every sockit process imports, the one-runner lock, and the environment block of the
// results.

import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BENCH, REPO } from "./constants.mjs";

// W5 holds 5,000 sockets per process: raise the open-files limit for the child (to the hard
// limit if 65536 is refused), as the shared run.sh does.
export const ULIMIT =
  'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';

export function version(argv) {
  try {
    return execFileSync(argv[0], argv.slice(1), {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    })
      .split("\n")[0]
      .trim();
  } catch {
    return "n/a";
  }
}

export function which(cmd) {
  if (cmd.includes("/")) return fs.existsSync(cmd);
  try {
    execFileSync("sh", ["-c", `command -v "${cmd}"`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// The commit the run measured, and whether src/ had uncommitted changes (dist/ is built from src/).
export function gitState() {
  const commit = version(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]);
  const changed = version(["sh", "-c", `git -C "${REPO}" status --porcelain -- src | wc -l`]);
  return { commit, srcFilesChanged: Number(changed) || 0 };
}

// A copy of dist/ for the whole invocation (bench/.dist-snapshot/, removed at the end): the
// sockit processes import it through SOCKIT_DIST, so a rebuild of dist/ while the runs go on
// (someone editing src/ and running the tests) cannot mix two builds in one table.
export const SNAPSHOT = path.join(BENCH, ".dist-snapshot", String(process.pid));

// SOCKIT_BENCH_DIST points the run at another build (an A/B against an older commit's dist/).
export function snapshotDist() {
  const dist = process.env.SOCKIT_BENCH_DIST
    ? path.resolve(process.env.SOCKIT_BENCH_DIST)
    : path.join(REPO, "dist");
  if (!fs.existsSync(path.join(dist, "index.js")))
    throw new Error("dist/index.js is missing: run `npm run build` first");
  fs.cpSync(dist, SNAPSHOT, { recursive: true });
  const hash = crypto.createHash("sha1");
  const files = fs.readdirSync(SNAPSHOT, { recursive: true }).filter((f) => f.endsWith(".js"));
  for (const f of files.sort()) hash.update(f).update(fs.readFileSync(path.join(SNAPSHOT, f)));
  const built = fs.statSync(path.join(dist, "index.js")).mtime.toISOString();
  return {
    sha1: hash.digest("hex").slice(0, 12),
    builtAt: built,
    entry: path.join(SNAPSHOT, "index.js"),
  };
}

// One runner at a time: two would measure each other (and share bench/logs/).
const LOCK = path.join(BENCH, ".bench.lock");

export function takeLock() {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(LOCK, `${process.pid}\n`, { flag: "wx" });
      process.on("exit", () => {
        try {
          if (fs.readFileSync(LOCK, "utf8").trim() === String(process.pid)) fs.rmSync(LOCK);
        } catch {}
      });
      return;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      const pid = Number(fs.readFileSync(LOCK, "utf8").trim());
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {}
      if (alive)
        throw new Error(
          `another bench run (pid ${pid}) is in progress; wait for it, or remove ${LOCK} if it is stale`,
        );
      fs.rmSync(LOCK, { force: true }); // stale
    }
  }
  throw new Error(`cannot take ${LOCK}`);
}

export function command(argv) {
  const direct = `node bench/run.mjs${argv.length ? ` ${argv.join(" ")}` : ""}`;
  return process.env.npm_lifecycle_event === "bench"
    ? `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`
    : direct;
}

export function environment(argv, extras, tls) {
  const cpus = os.cpus();
  const v = { node: process.version };
  if (tls) {
    v.openssl = version(["openssl", "version"]);
    v["node's OpenSSL"] = process.versions.openssl;
  }
  for (const x of extras)
    v[x.name] =
      x.name === "c-limit" ? version(["gcc", "--version"]) : version([x.needs, "--version"]);
  return {
    date: new Date().toISOString(),
    cpu: cpus.length ? cpus[0].model.trim() : "unknown",
    cores: cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavgAtStart: os.loadavg().map((x) => +x.toFixed(2)),
    nofile: version(["sh", "-c", ULIMIT.replace('exec "$@"', "ulimit -n")]),
    versions: v,
    git: gitState(),
    command: command(argv),
  };
}
