/**
 * `sockit resolve NAME`: the addresses the system resolver gives for a name.
 *
 * @module
 */
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { resolve } from "../index.js";

/**
 * Prints each address of `name`, one per line as `ADDRESS (IPv4|IPv6)`, in the order the
 * resolver returned them (not sorted: that order is what a connect tries).
 * @throws (rejects) the `SocketError` of {@link resolve}: the resolver's code (`ENOTFOUND`,
 * `EAI_AGAIN`, …) with `name` as its address, so the command prints `sockit: ENOTFOUND name`;
 * `ERR_INVALID_ADDRESS` (bad usage) for a malformed name.
 */
export async function runResolve(name: string, output: Writable = process.stdout): Promise<void> {
  for (const { address, family } of await resolve(name)) output.write(`${address} (${family})\n`);
}

/** Registers `sockit resolve NAME` on `root`. */
export function registerResolve(root: Command): void {
  root
    .command("resolve")
    .description("print the addresses of NAME, one per line")
    .argument("<name>", "host name or IP address")
    .action((name: string) => runResolve(name));
}
