/**
 * `openssl s_server` and `openssl s_client` as TLS peers on 127.0.0.1, for the TLS tests.
 *
 * The server runs in one of two modes, neither of which reads its stdin:
 * - `"rev"` (the default, `-rev`): an echo server that sends each line back REVERSED:
 *   the client writes `hello\n` and reads `olleh\n`. A line that is exactly `CLOSE` makes it
 *   close the connection (it then prints `CONNECTION CLOSED` on stderr). Bytes without a
 *   final newline get no answer until the newline comes.
 * - `"www"` (`-www`): answers `GET / HTTP/1.0\r\n\r\n` with an HTML status page (protocol,
 *   cipher, the client certificate) and closes.
 *
 * Readiness: s_server prints `ACCEPT` on stdout once it listens, and the helper waits for
 * that line. It does NOT probe the port: a bare TCP connect and close counts as one of the
 * `-naccept` connections (checked with OpenSSL 3.0.19: a `-naccept 1` server prints
 * "CONNECTION FAILURE ... unexpected eof" and exits), so `waitForPort` would consume it.
 */
import { findCommand, freePort, type RunningProcess, startProcess } from "./peers.js";

/** Client-certificate policy of the server. */
export type OpensslVerify = "none" | "optional" | "require";

/** Options of {@link startOpensslServer}. */
export interface OpensslServerOptions {
  /** Server certificate (PEM file). */
  cert: string;
  /** Its private key (PEM file). */
  key: string;
  /** Extra certificates sent after `cert` (`-cert_chain`), e.g. the CA. */
  chain?: string;
  /** CAs that may sign client certificates (`-CAfile`); needed with `verify`. */
  CAfile?: string;
  /**
   * `"none"` (default): no client certificate asked for. `"optional"` (`-verify 5`): asked
   * for, the handshake goes on without one. `"require"` (`-Verify 5`): the handshake fails
   * without one. With `"optional"`/`"require"`, `-verify_return_error` is added, so a
   * client certificate that does not verify against `CAfile` fails the handshake too.
   */
  verify?: OpensslVerify;
  /** `"rev"` (default) or `"www"`; see the module comment. */
  mode?: "rev" | "www";
  /** Exit after this many connections (`-naccept`); default: serve until stopped. */
  naccept?: number;
  /** Only TLS 1.2 (`-tls1_2`) or only TLS 1.3 (`-tls1_3`); default: both. */
  tlsVersion?: "1.2" | "1.3";
  /** ALPN protocols offered, in order of preference (`-alpn a,b`). */
  alpn?: readonly string[];
  /**
   * SNI: for a ClientHello naming `name`, answer with this certificate instead
   * (`-servername -cert2 -key2`). Limitation of s_server (3.0.19): `alpn` is not negotiated
   * on that second context (the client sees no ALPN protocol), so test ALPN without SNI.
   */
  sni?: { name: string; cert: string; key: string };
  /** Further raw arguments, appended last. */
  extraArgs?: readonly string[];
}

/** A running `openssl s_server`. */
export interface OpensslServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** The arguments it was started with (after `openssl`), for messages. */
  readonly args: readonly string[];
  readonly process: RunningProcess;
  /** Everything it printed (stdout then stderr), for messages. */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL); idempotent. */
  stop(): Promise<void>;
}

function opensslPath(): string {
  const path = findCommand("openssl");
  if (path === undefined) throw new Error("openssl not installed (run scripts/install-peers.sh)");
  return path;
}

function versionArgs(version: "1.2" | "1.3" | undefined): string[] {
  if (version === "1.2") return ["-tls1_2"];
  if (version === "1.3") return ["-tls1_3"];
  return [];
}

/** The `s_server` arguments for `options` on 127.0.0.1:`port`. */
export function opensslServerArgs(options: OpensslServerOptions, port: number): string[] {
  const args = ["s_server", "-accept", `127.0.0.1:${port}`, "-cert", options.cert];
  args.push("-key", options.key);
  if (options.chain !== undefined) args.push("-cert_chain", options.chain);
  if (options.CAfile !== undefined) args.push("-CAfile", options.CAfile);
  const verify = options.verify ?? "none";
  if (verify === "optional") args.push("-verify", "5", "-verify_return_error");
  if (verify === "require") args.push("-Verify", "5", "-verify_return_error");
  args.push(options.mode === "www" ? "-www" : "-rev");
  if (options.naccept !== undefined) args.push("-naccept", String(options.naccept));
  args.push(...versionArgs(options.tlsVersion));
  if (options.alpn !== undefined) args.push("-alpn", options.alpn.join(","));
  if (options.sni !== undefined) {
    args.push(
      "-servername",
      options.sni.name,
      "-cert2",
      options.sni.cert,
      "-key2",
      options.sni.key,
    );
  }
  args.push(...(options.extraArgs ?? []));
  return args;
}

/**
 * Starts `openssl s_server` on 127.0.0.1 with a free port and resolves once it prints
 * `ACCEPT` (within 10 s). Tries up to three ports should one be taken meanwhile. The caller
 * must `stop()` it (afterAll / afterEach).
 */
export async function startOpensslServer(options: OpensslServerOptions): Promise<OpensslServer> {
  const command = opensslPath();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = opensslServerArgs(options, port);
    const running = startProcess(command, args);
    try {
      await running.waitForOutput(/^ACCEPT$/m, 10_000);
    } catch (error) {
      await running.stop();
      lastError = error;
      if (/in use|bind/i.test(running.stderr())) continue;
      throw error;
    }
    return {
      host: "127.0.0.1",
      port,
      args,
      process: running,
      output: () => running.stdout() + running.stderr(),
      stop: () => running.stop(),
    };
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** Options of {@link runOpensslClient}. */
export interface OpensslClientOptions {
  port: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** SNI sent (`-servername`); without it none is sent to an IP address. */
  servername?: string;
  /** The host name the server certificate must match (`-verify_hostname`). */
  verifyHostname?: string;
  /** Trusted CAs (`-CAfile`). Without it s_client uses OpenSSL's default store. */
  CAfile?: string;
  /** Client certificate and key (`-cert`, `-key`). */
  cert?: string;
  key?: string;
  /** `-tls1_2` or `-tls1_3`. */
  tlsVersion?: "1.2" | "1.3";
  /** ALPN protocols offered (`-alpn`). */
  alpn?: readonly string[];
  /** Sent once connected; stdin is then closed (s_client keeps reading: `-ign_eof`). */
  input?: string;
  /**
   * Stop the client as soon as its stdout matches this (e.g. the expected reply). Without
   * it, the client runs until the server closes the connection (or `timeout`).
   */
  until?: RegExp;
  /** Milliseconds before the client is stopped. @default 10000 */
  timeout?: number;
  /** Further raw arguments, appended last. */
  extraArgs?: readonly string[];
}

/** What {@link runOpensslClient} saw. */
export interface OpensslClientResult {
  /** Exit code (non-zero on a handshake or verification failure); null if it was stopped. */
  code: number | null;
  /** Application data received from the server. */
  stdout: string;
  /** s_client's `-brief` summary and its errors. */
  stderr: string;
  /** Whether it was stopped because `until` matched. */
  matched: boolean;
  /** Whether it was stopped because it outlived `timeout` (without `until` matching). */
  timedOut: boolean;
  /** Whether the handshake completed (`CONNECTION ESTABLISHED` in the summary). */
  established: boolean;
  /** `Verification: OK` in the summary (the server certificate verified, host name included when asked). */
  verified: boolean;
  /** The negotiated protocol from the summary (`TLSv1.3`), if any. */
  protocol: string | undefined;
  /** The `verify error:num=N:text` line, if any (e.g. `num=10:certificate has expired`). */
  verifyError: string | undefined;
  /** The arguments used (after `openssl`), for messages. */
  args: readonly string[];
}

/** The `s_client` arguments for `options`. */
export function opensslClientArgs(options: OpensslClientOptions): string[] {
  const host = options.host ?? "127.0.0.1";
  const args = ["s_client", "-connect", `${host}:${options.port}`, "-brief", "-ign_eof"];
  args.push("-verify_return_error");
  if (options.servername !== undefined) args.push("-servername", options.servername);
  else args.push("-noservername");
  if (options.verifyHostname !== undefined) args.push("-verify_hostname", options.verifyHostname);
  if (options.CAfile !== undefined) args.push("-CAfile", options.CAfile);
  if (options.cert !== undefined) args.push("-cert", options.cert);
  if (options.key !== undefined) args.push("-key", options.key);
  args.push(...versionArgs(options.tlsVersion));
  if (options.alpn !== undefined) args.push("-alpn", options.alpn.join(","));
  args.push(...(options.extraArgs ?? []));
  return args;
}

/**
 * Runs `openssl s_client -brief -ign_eof -verify_return_error` against 127.0.0.1:`port`,
 * writes `input`, and collects what it prints until it exits, `until` matches, or
 * `timeout` passes (then it is stopped). Never rejects for a TLS failure: look at `code`,
 * `established`, `verified` and `verifyError`.
 */
export async function runOpensslClient(
  options: OpensslClientOptions,
): Promise<OpensslClientResult> {
  const args = opensslClientArgs(options);
  const timeout = options.timeout ?? 10_000;
  const running = startProcess(opensslPath(), args, { input: options.input ?? "" });
  const closed = new Promise<void>((resolve) => running.child.once("close", () => resolve()));
  const timers: NodeJS.Timeout[] = [];
  const after = <T>(ms: number, value: T): Promise<T> =>
    new Promise<T>((resolve) => timers.push(setTimeout(() => resolve(value), ms)));
  const exited = new Promise<"exit">((resolve) => {
    if (running.exited()) resolve("exit");
    else running.child.once("exit", () => resolve("exit"));
  });
  const never = new Promise<never>(() => {});
  const matchedOutput =
    options.until === undefined
      ? never
      : running.waitForOutput(options.until, timeout + 1000).then(
          () => "matched" as const,
          () => never, // it exited first: `exited` wins
        );
  let outcome: "exit" | "matched" | "timeout";
  try {
    outcome = await Promise.race([exited, matchedOutput, after(timeout, "timeout" as const)]);
    await running.stop();
    // Output may still sit in the pipes after the exit: wait (bounded) for them to close.
    await Promise.race([closed, after(1000, undefined)]);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
  const stdout = running.stdout();
  const stderr = running.stderr();
  const matched = options.until?.test(stdout) === true;
  return {
    code: outcome === "exit" ? running.child.exitCode : null,
    stdout,
    stderr,
    matched,
    timedOut: outcome === "timeout" && !matched,
    established: /CONNECTION ESTABLISHED/.test(stderr),
    verified: /^Verification: OK$/m.test(stderr),
    protocol: /^Protocol version: (\S+)$/m.exec(stderr)?.[1],
    verifyError: /verify error:(num=\d+:[^\n]*)/.exec(stderr)?.[1],
    args,
  };
}
