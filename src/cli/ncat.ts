/**
 * ncat's single-command form on the root command: `sockit HOST PORT` connects, `sockit -l
 * [HOST] PORT` (or `-lp PORT`, `-lU PATH`) listens, with the same flags as `connect` and
 * `listen`. A first word that is neither a subcommand nor an address is an unknown command.
 *
 * @module
 */
import type { Command } from "commander";
import { createLog } from "./common.js";
import { runConnect } from "./connect.js";
import { addConnectFlags, addListenFlags, addSessionFlags, type SessionFlags } from "./flags.js";
import { runListen } from "./listen.js";

/** Whether `word` can only have been meant as a subcommand (`sockit frobnicate`). */
function looksLikeCommand(word: string, port: string | undefined, flags: SessionFlags): boolean {
  return port === undefined && !flags.unixsock && !word.includes(":") && !word.includes("/");
}

/**
 * Adds the single-command form to `root`: its arguments, every session flag, `-l`, and the
 * TLS flags `tls` registers.
 */
export function addSingleCommand(root: Command, tls: (command: Command) => Command): void {
  root
    .argument("[host]", "ncat's form: HOST PORT to connect; with -l, [HOST] PORT to listen")
    .argument("[port]")
    .option("-l, --listen", "listen (ncat's form of `sockit listen`)");
  addListenFlags(addConnectFlags(addSessionFlags(tls(root))));
  root.action(
    async (
      host: string | undefined,
      port: string | undefined,
      options: SessionFlags & { listen?: boolean },
    ) => {
      const log = createLog(options.verbose === true);
      if (options.listen) return runListen(host, port, options, log);
      if (host === undefined) return root.help({ error: true });
      if (looksLikeCommand(host, port, options))
        return root.error(`error: unknown command '${host}'`);
      return runConnect(host, port, options, log);
    },
  );
}
