/**
 * `sockit resolve NAME`: the addresses the system resolver gives for a name.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import type { Writable } from "node:stream";
import { SocketError } from "../index.js";

/**
 * Prints each address of `name`, one per line as `ADDRESS (IPv4|IPv6)`, in the order the
 * resolver returned them (not sorted: that order is what a connect tries).
 * @throws (rejects) a `SocketError` with the resolver's code (`ENOTFOUND`, `EAI_AGAIN`, …)
 * and `name` as its address, so the command prints `sockit: ENOTFOUND name`.
 */
export async function runResolve(name: string, output: Writable = process.stdout): Promise<void> {
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(name, { all: true, order: "verbatim", verbatim: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new SocketError(
      typeof code === "string" ? code : "ENOTFOUND",
      `cannot resolve ${name}: ${String(error)}`,
      { cause: error, address: name },
    );
  }
  for (const { address, family } of addresses) output.write(`${address} (IPv${family})\n`);
}
