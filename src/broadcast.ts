/**
 * Evens out how a UDP send to a broadcast address without `SO_BROADCAST` fails: the kernel
 * refuses it with `EACCES`, which Node and Bun report; Deno reports code `UNKNOWN` with no
 * errno. sockit reports `EACCES` on every runtime (README, "Runtimes").
 */
import { isIPv4 } from "node:net";
import { networkInterfaces } from "node:os";

/** Whether `host` is `255.255.255.255` or the broadcast address of a local IPv4 interface. */
export function isBroadcastAddress(host: string): boolean {
  if (!isIPv4(host)) return false;
  if (host === "255.255.255.255") return true;
  const target = toInt(host);
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family !== "IPv4") continue;
      const mask = toInt(a.netmask);
      if (mask !== 0xffffffff && (toInt(a.address) | ~mask) >>> 0 === target) return true;
    }
  }
  return false;
}

function toInt(address: string): number {
  return address.split(".").reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

/**
 * `error` as the kernel's `EACCES` when it is Deno's `UNKNOWN` for a send to a broadcast
 * address with `broadcast` off; otherwise `error` itself.
 */
export function broadcastRefusal(
  error: Error,
  host: string | undefined,
  broadcast: boolean,
): Error {
  const { code, syscall } = error as Error & { code?: unknown; syscall?: unknown };
  if (broadcast || code !== "UNKNOWN" || host === undefined || !isBroadcastAddress(host)) {
    return error;
  }
  return Object.assign(new Error(error.message.replace("UNKNOWN", "EACCES"), { cause: error }), {
    code: "EACCES",
    errno: -13,
    ...(typeof syscall === "string" ? { syscall } : {}),
  });
}
