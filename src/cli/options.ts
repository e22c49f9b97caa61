/**
 * What the subcommands share on the command line: the parsers of numeric options, the TLS
 * flags on a client or a server, `--crlf`'s help, and `-v` as a subcommand sees it.
 *
 * @module
 */
import { type Command, InvalidArgumentError } from "commander";
import { createLog, type Log } from "./common.js";

/** `--crlf`, shared by connect and listen (nc -C, ncat --crlf). */
export const CRLF_HELP =
  "send line endings typed on stdin (LF, CR or CRLF) as CRLF; output is unchanged";

/** Parses `--timeout MS`: a whole number of milliseconds, 0 for none. */
export function milliseconds(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(ms) || ms > 2 ** 31 - 1) {
    throw new InvalidArgumentError("expected a whole number of milliseconds");
  }
  return ms;
}

/** Parses `--count N`: a whole number from 1. */
export function count(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError("expected a whole number from 1");
  }
  return n;
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The TLS flags, on a client (all) or a server (`--tls --cert --key [--ca]`). */
export function tlsFlags(command: Command, side: "client" | "server"): Command {
  command.option(
    "--tls",
    side === "client" ? "use TLS, verified (host name included)" : "serve TLS",
  );
  if (side === "client") {
    command
      .option("--insecure", "TLS without verifying the server (LiveCode: without verification)")
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

/** The log of `-v` (a global option) as the subcommand `command` sees it. */
export function logOf(command: Command): Log {
  return createLog(command.optsWithGlobals<{ verbose?: boolean }>().verbose === true);
}
