#!/usr/bin/env node
/**
 * The `sockit` command: parses the command line and runs one subcommand. Exit codes: 0 done,
 * 1 a network error (one line on stderr naming the code and the peer), 2 bad usage.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { createLog, describeError, EXIT_OK, EXIT_USAGE, exit } from "./common.js";
import { type ConnectCommandOptions, runConnect } from "./connect.js";
import { runDemo } from "./demo.js";
import { addConnectFlags, addListenFlags, addSessionFlags } from "./flags.js";
import { type ListenCommandOptions, runListen } from "./listen.js";
import { addSingleCommand } from "./ncat.js";
import { runResolve } from "./resolve.js";
import { runSend } from "./send.js";
import type { TlsFlags } from "./tls-flags.js";
import { runUdpListen, runUdpSend } from "./udp.js";

/** The package version, read at run time: package.json sits outside the compiled tree. */
function version(): string {
  try {
    const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    const parsed = JSON.parse(text) as { version?: unknown };
    return typeof parsed.version === "string" ? parsed.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** `--crlf`, shared by connect and listen (nc -C, ncat --crlf). */
const CRLF_HELP = "send line endings typed on stdin (LF, CR or CRLF) as CRLF; output is unchanged";

/** Parses `--timeout MS`: a whole number of milliseconds, 0 for none. */
function milliseconds(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(ms) || ms > 2 ** 31 - 1) {
    throw new InvalidArgumentError("expected a whole number of milliseconds");
  }
  return ms;
}

/** Parses `--count N`: a whole number from 1. */
function count(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError("expected a whole number from 1");
  }
  return n;
}

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The TLS flags, on a client (all) or a server (`--tls --cert --key [--ca]`). */
function tlsFlags(command: Command, side: "client" | "server"): Command {
  command.option(
    "--tls",
    side === "client" ? "use TLS, verified (host name included)" : "serve TLS",
  );
  if (side === "client") {
    command
      .option("--insecure", "TLS without verifying the server")
      .option("--verify-host <name>", "check the certificate against NAME (and send it as SNI)")
      .option("--ca <path>", "trust the CAs in this PEM file or folder instead of the defaults")
      .option("--cert <path>", "client certificate (PEM)")
      .option("--key <path>", "client certificate's key (PEM)");
  } else {
    command
      .option("--cert <path>", "server certificate (PEM)")
      .option("--key <path>", "server certificate's key (PEM)")
      .option("--ca <path>", "require client certificates from the CAs in this PEM file or folder");
  }
  return command;
}

function verbose(command: Command): boolean {
  return command.optsWithGlobals<{ verbose?: boolean }>().verbose === true;
}

/** Builds the command tree. Settings made before `.command()` are inherited by subcommands. */
function program(): Command {
  const root = new Command("sockit")
    .description(
      "Sockets from the command line: connect, listen, send, udp, resolve, and a demo tour.",
    )
    .version(version())
    // Root options stop at a subcommand's name, so `connect --tls` is connect's own flag.
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError("(run sockit --help for usage)");

  const connectCommand = root
    .command("connect")
    .description("connect to TARGET: stdin to the socket, the socket to stdout (like nc)")
    .argument("<target>", "host:port, [v6]:port or unix:/path; or HOST PORT as two words")
    .argument("[port]", "the port, when TARGET is a host alone (ncat's form)")
    .option("--timeout <ms>", "give up connecting after this many milliseconds", milliseconds);
  addConnectFlags(addSessionFlags(tlsFlags(connectCommand, "client"))).action(
    (target: string, port: string | undefined, options: ConnectCommandOptions, command: Command) =>
      runConnect(target, port, options, createLog(verbose(command))),
  );

  const listenCommand = root
    .command("listen")
    .description("accept one connection and bridge it with stdin/stdout; -k for many, --echo")
    .argument("[local]", "[host:]port (0: any free port) or unix:/path; or HOST PORT")
    .argument("[port]", "the port, when LOCAL is a host alone (ncat's form)")
    .option("--echo", "echo every connection's bytes back until SIGINT/SIGTERM")
    // --echo does not read stdin: --crlf there would be silently ignored, so it is bad usage.
    .addOption(new Option("-C, --crlf", `${CRLF_HELP} (not with --echo)`).conflicts("echo"));
  addListenFlags(addSessionFlags(tlsFlags(listenCommand, "server"))).action(
    (
      local: string | undefined,
      port: string | undefined,
      options: ListenCommandOptions,
      command: Command,
    ) => runListen(local, port, options, createLog(verbose(command))),
  );

  tlsFlags(
    root
      .command("send")
      .description("send FILE to TARGET with a progress bar, then print the reply")
      .argument("<file>", "the file to send")
      .argument("<target>", "host:port, [v6]:port or unix:/path")
      .option("--timeout <ms>", "give up connecting after this many milliseconds", milliseconds),
    "client",
  ).action(
    (file: string, target: string, options: { timeout?: number } & TlsFlags, command: Command) =>
      runSend(file, target, options, createLog(verbose(command))),
  );

  const udp = root
    .command("udp")
    .description("UDP datagrams: send them, or listen for them (like nc -u)");
  udp
    .command("send")
    .description("send MESSAGE as one datagram, or each line of stdin as its own; print replies")
    .argument("<target>", "host:port or [v6]:port")
    .argument("[message...]", "the datagram's text (words joined by spaces); default: stdin lines")
    .option("--bind <local>", "send from this [host:]port")
    .option("--broadcast", "allow a broadcast destination (SO_BROADCAST)")
    .option(
      "--wait <ms>",
      "print replies for this many milliseconds after the last send",
      milliseconds,
    )
    .action(
      (
        target: string,
        words: string[],
        options: { bind?: string; broadcast?: boolean; wait?: number },
        command: Command,
      ) =>
        runUdpSend(
          target,
          words.length === 0 ? undefined : words.join(" "),
          options,
          createLog(verbose(command)),
        ),
    );
  udp
    .command("listen")
    .description("print every datagram received on [HOST:]PORT to stdout")
    .argument("<local>", "[host:]port (0: any free port)")
    .option("--echo", "send every datagram back to its sender")
    .option("--count <n>", "exit after N datagrams", count)
    .option("--join <group>", "join a multicast group (repeatable)", collect, [])
    .option("--iface <address>", "join groups on the interface with this local address")
    .action(
      (
        local: string,
        options: { echo?: boolean; count?: number; join: string[]; iface?: string },
        command: Command,
      ) => runUdpListen(local, options, createLog(verbose(command))),
    );

  root
    .command("resolve")
    .description("print the addresses of NAME, one per line")
    .argument("<name>", "host name or IP address")
    .action((name: string) => runResolve(name));

  root
    .command("demo")
    .description("a short narrated tour of the library on loopback")
    .action(() => runDemo());

  // ncat's own form, `sockit HOST PORT` and `sockit -l PORT`, when no subcommand is named.
  addSingleCommand(root, (command) => tlsFlags(command, "client"));
  return root;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    // Commander has already printed its message (and the hint) to stderr.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const { line, exitCode } = describeError(error);
    process.stderr.write(`${line}\n`);
    return exitCode;
  }
}

await exit(await main(process.argv));
