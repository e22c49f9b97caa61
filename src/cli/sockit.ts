#!/usr/bin/env node
/**
 * The `sockit` command: parses the command line and runs one subcommand. Exit codes: 0 done,
 * 1 a network error (one line on stderr naming the code and the peer), 2 bad usage.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { describeError, EXIT_OK, EXIT_USAGE, exit } from "./common.js";
import { registerConnect } from "./connect.js";
import { registerDemo } from "./demo.js";
import { registerListen } from "./listen.js";
import { addSingleCommand } from "./ncat.js";
import { tlsFlags } from "./options.js";
import { registerResolve } from "./resolve.js";
import { registerSend } from "./send.js";
import { registerUdp } from "./udp.js";

/** The subcommands, in the order the help lists them; each file registers its own. */
const COMMANDS: readonly ((root: Command) => void)[] = [
  registerConnect,
  registerListen,
  registerSend,
  registerUdp,
  registerResolve,
  registerDemo,
];

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

  for (const register of COMMANDS) register(root);
  // ncat's own form, `sockit HOST PORT` and `sockit -l PORT`, when no subcommand is named;
  // it also gives the root its -v (read by every subcommand through optsWithGlobals).
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
