/**
 * `-e COMMAND` and `-c COMMAND` (ncat's `--exec` and `--sh-exec`): a program per connection,
 * the socket bridged with its stdin and stdout; its stderr goes to ours. `-e` splits the
 * command on spaces and runs it without a shell; `-c` hands it to `/bin/sh -c`.
 *
 * SECURITY: whoever connects drives the program. See {@link EXEC_SECURITY}.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Writable } from "node:stream";
import type { BridgeStreams } from "./bridge.js";
import { CliError } from "./common.js";

/** Which program to run for each connection. */
export type ExecSpec = { exec: string } | { shell: string };

/** A running `-e`/`-c` program: the bridge's streams, and its end. */
export interface Program {
  streams: BridgeStreams;
  /** Resolves once it exited, with its exit code (or 128 + signal number style: null). */
  exited: Promise<number | null>;
  /** Ends it (SIGTERM) if it is still running. */
  stop(): void;
}

/**
 * Starts the program for one connection. Rejects when it cannot start (`ENOENT` for `-e` with
 * a program that does not exist), so no connection is bridged to nothing.
 */
export async function startProgram(spec: ExecSpec, env: Record<string, string>): Promise<Program> {
  const [file, ...args] =
    "exec" in spec ? spec.exec.trim().split(/\s+/) : ["/bin/sh", "-c", spec.shell];
  if (file === undefined || file === "")
    throw new CliError("ERR_INVALID_ARGUMENT", "-e needs a command");
  const child: ChildProcess = spawn(file, args, {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const spawned = once(child, "spawn");
  const failed = once(child, "error").then(([error]) => {
    throw error;
  });
  await Promise.race([spawned, failed]);
  failed.catch(() => {});
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => resolve(code)),
  );
  const { stdin, stdout } = child;
  if (stdin === null || stdout === null) throw new CliError("EIO", `${file}: no stdio`);
  return {
    streams: { input: stdout, output: discardWhenGone(stdin) },
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
  };
}

/**
 * The program's stdin, as a stream that drops what arrives once the program stopped reading
 * (it exited, or closed its stdin): like ncat, the peer's bytes then have nowhere to go, which
 * is not an error of the session.
 */
function discardWhenGone(stdin: Writable): Writable {
  let gone = false;
  stdin.on("error", () => {
    gone = true;
  });
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (gone || stdin.destroyed) done();
      else stdin.write(chunk, () => done());
    },
    final(done) {
      stdin.end();
      done();
    },
  });
}
