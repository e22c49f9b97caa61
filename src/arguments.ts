/**
 * Checks of the arguments every public entry point takes from untyped callers (JavaScript, or
 * data that came from outside): an options bag, bytes to send, integers in a range, a
 * per-call `timeout`, a codec's `maxLength`. (Local bind addresses: `local-address.ts`.) Each refuses bad input
 * with a stable code (`ERR_INVALID_ARGUMENT`, `ERR_INVALID_ADDRESS`) naming what was wrong,
 * never a plain `TypeError` from deeper down.
 *
 * @module
 */
import { SocketError } from "./errors.js";
import { describeValue } from "./options.js";

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
 * Bytes to send: text (UTF-8) or a `Uint8Array` (a `Buffer` included). `name` is the
 * argument's name in the message.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for anything else.
 */
export function checkData(value: unknown, name = "data"): string | Uint8Array {
  if (typeof value === "string" || value instanceof Uint8Array) return value;
  throw new SocketError(
    "ERR_INVALID_ARGUMENT",
    `${name} must be a string or a Uint8Array, got ${describeType(value)}`,
  );
}

/** A value as text for an error message, whatever it is (a symbol, an object without a prototype). */
export function shown(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}

/** The longest delay Node's timers take, in milliseconds (2^31 - 1). */
export const MAX_TIMER = 2 ** 31 - 1;

/** Throws `ERR_INVALID_ARGUMENT` unless `value` is an integer in `[min, max]`. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `${name} must be an integer from ${min} to ${max}, got ${shown(value)}`,
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
  return new SocketError("ERR_INVALID_ARGUMENT", `timeout must be >= 0 ms, got ${shown(ms)}`);
}

/** The error for bad read options (`{ timeout, signal }`), or undefined when they are good. */
export function checkReadOptions(
  options: { timeout?: number } | undefined,
): SocketError | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    return new SocketError("ERR_INVALID_ARGUMENT", "read options must be an object");
  }
  return checkTimeout(options.timeout);
}

/** Checks a `maxLength` option: an integer ≥ 0, or the default. */
export function checkMaxLength(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `maxLength must be an integer >= 0, got ${shown(value)}`,
    );
  }
  return value;
}

/** A callback argument that is not a function (`write()`'s `onWritten`, say). */
export function notFunction(name: string, value: unknown): SocketError {
  return new SocketError(
    "ERR_INVALID_ARGUMENT",
    `${name} must be a function, got ${describeValue(value)}`,
  );
}

/** `repeat` must be a boolean, and a standing read has no timeout (it is stopped by `signal`). */
export function checkRepeat(options: {
  repeat?: boolean;
  timeout?: number;
}): SocketError | undefined {
  const { repeat } = options;
  if (repeat === undefined || repeat === false) return undefined;
  if (repeat !== true) {
    return new SocketError("ERR_INVALID_ARGUMENT", "repeat must be true or false");
  }
  if ((options.timeout ?? 0) > 0) {
    return new SocketError(
      "ERR_INVALID_ARGUMENT",
      "a repeating read takes no timeout: stop it with its signal",
    );
  }
  return undefined;
}
