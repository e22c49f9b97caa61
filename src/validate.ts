/**
 * Argument checks shared by every module that takes options: integers in a range, a read's
 * `timeout`, a codec's `maxLength`, a local bind address. Each refuses bad input with a
 * {@link SocketError} whose code is stable (`ERR_INVALID_ARGUMENT`, `ERR_INVALID_ADDRESS`).
 *
 * @module
 */
import { isIP } from "node:net";
import { SocketError } from "./errors.js";

/** The longest delay Node's timers take, in milliseconds (2^31 - 1). */
export const MAX_TIMER = 2 ** 31 - 1;

/** Throws `ERR_INVALID_ARGUMENT` unless `value` is an integer in `[min, max]`. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * The error for a bad per-call `timeout` (a read, a receive, a send: finite milliseconds
 * `>= 0`), or undefined when it is good or absent. Returned, not thrown: the callers reject.
 */
export function checkTimeout(timeout: number | undefined): SocketError | undefined {
  const ms = timeout ?? 0;
  if (Number.isFinite(ms) && ms >= 0) return undefined;
  return new SocketError("ERR_INVALID_ARGUMENT", `timeout must be >= 0 ms, got ${ms}`);
}

/** The error for bad read options (`{ timeout, signal }`), or undefined when they are good. */
export function checkReadOptions(
  options: { timeout?: number } | undefined,
): SocketError | undefined {
  return checkTimeout(options?.timeout);
}

/** Checks a `maxLength` option: an integer ≥ 0, or the default. */
export function checkMaxLength(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `maxLength must be an integer >= 0, got ${value}`,
    );
  }
  return value;
}

/** Throws `ERR_INVALID_ADDRESS` unless `address` (a `localAddress`) is an IP literal. */
export function checkLocalAddress(address: string): string {
  if (isIP(address) === 0) {
    throw new SocketError(
      "ERR_INVALID_ADDRESS",
      `localAddress must be an IP address, got ${JSON.stringify(address)}`,
    );
  }
  return address;
}

/** A local bind for an outgoing connection: what `net.connect()` takes. */
export interface LocalBind {
  localAddress?: string;
  localPort?: number;
  family?: number;
}

/**
 * Checks `localAddress` (an IP literal), `localPort` (0–65535) and `family` (4 or 6).
 * @throws SocketError `ERR_INVALID_ADDRESS` or `ERR_INVALID_ARGUMENT`.
 */
export function checkLocalBind(options: {
  localAddress?: string;
  localPort?: number;
  family?: 4 | 6;
}): LocalBind {
  const bind: LocalBind = {};
  if (options.localAddress !== undefined)
    bind.localAddress = checkLocalAddress(options.localAddress);
  if (options.localPort !== undefined)
    bind.localPort = checkInteger("localPort", options.localPort, 0, 65535);
  if (options.family !== undefined) {
    if (options.family !== 4 && options.family !== 6) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `family must be 4 or 6, got ${String(options.family)}`,
      );
    }
    bind.family = options.family;
  }
  return bind;
}
