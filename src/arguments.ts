/**
 * Checks of the arguments every public entry point takes from untyped callers (JavaScript, or
 * data that came from outside): an options bag, bytes to send. Each refuses bad input with
 * `ERR_INVALID_ARGUMENT` naming what was wrong, never a plain `TypeError` from deeper down.
 *
 * @module
 */
import { SocketError } from "./errors.js";

/** What a value is, for an error message, without echoing its contents. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * An options argument: `undefined` becomes `fallback`; anything but a plain object (null, a
 * number, an array) is refused.
 * @throws SocketError `ERR_INVALID_ARGUMENT`.
 */
export function checkOptions<T extends object>(name: string, value: T | undefined, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `${name} must be an object, got ${describeType(value)}`,
    );
  }
  return value;
}

/**
 * Bytes to send: text (UTF-8) or a `Uint8Array` (a `Buffer` included).
 * @throws SocketError `ERR_INVALID_ARGUMENT` for anything else.
 */
export function checkData(value: unknown): string | Uint8Array {
  if (typeof value === "string" || value instanceof Uint8Array) return value;
  throw new SocketError(
    "ERR_INVALID_ARGUMENT",
    `data must be a string or a Uint8Array, got ${describeType(value)}`,
  );
}
