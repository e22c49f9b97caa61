/**
 * Process-wide defaults that new sockets take (hs.socket's module `timeout`, LiveCode's
 * `defaultNetworkInterface`), each overridden by a socket's own options.
 *
 * @module
 */
import { checkInteger, checkOptions } from "./arguments.js";
import { SocketError } from "./errors.js";
import { DEFAULT_READ_HIGH_WATER_MARK } from "./reader.js";

/** The process-wide defaults. Changing them affects sockets made afterwards only. */
export interface Defaults {
  /**
   * Idle timeout in milliseconds of every new socket (`'timeout'` after that long without
   * traffic; the socket stays open). `0`: none. hs.socket's module-wide `timeout`.
   * @default 0
   */
  idleTimeout: number;
  /**
   * The local address new client sockets bind to when they name none (LiveCode
   * `defaultNetworkInterface`): an IP address of this host. `undefined`: the system chooses.
   * @default undefined
   */
  localAddress: string | undefined;
  /** Milliseconds `close()` waits for the peer's FIN. @default 5000 */
  closeTimeout: number;
  /** Bytes buffered with no read waiting before reading from the kernel stops. @default 1048576 */
  readHighWaterMark: number;
}

const INITIAL: Readonly<Defaults> = Object.freeze({
  idleTimeout: 0,
  localAddress: undefined,
  closeTimeout: 5000,
  readHighWaterMark: DEFAULT_READ_HIGH_WATER_MARK,
});

let current: Readonly<Defaults> = INITIAL;
const MAX_TIMER = 2 ** 31 - 1;

/** The defaults new sockets take now. */
export function getDefaults(): Readonly<Defaults> {
  return current;
}

/**
 * Changes some defaults; the others keep their value. `setDefaults(null)` restores the
 * initial ones. Returns the defaults now in force.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for an unknown name or a value out of range
 * (nothing changes then).
 * @example
 * ```ts
 * setDefaults({ idleTimeout: 30_000 }); // every new socket: 'timeout' after 30 s idle
 * connect("127.0.0.1:7", { idleTimeout: 0 }); // except this one
 * ```
 */
export function setDefaults(partial: Partial<Defaults> | null): Readonly<Defaults> {
  if (partial === null) {
    current = INITIAL;
    return current;
  }
  const changes = checkOptions("defaults", partial, {});
  const next: Defaults = { ...current };
  for (const [name, value] of Object.entries(changes)) {
    switch (name) {
      case "idleTimeout":
      case "closeTimeout":
        next[name] = checkInteger(name, value, 0, MAX_TIMER);
        break;
      case "readHighWaterMark":
        next[name] = checkInteger(name, value, 1, Number.MAX_SAFE_INTEGER);
        break;
      case "localAddress":
        if (value !== undefined && typeof value !== "string") {
          throw new SocketError("ERR_INVALID_ARGUMENT", "localAddress must be a string");
        }
        next.localAddress = value;
        break;
      default:
        throw new SocketError("ERR_INVALID_ARGUMENT", `unknown default: ${name}`);
    }
  }
  current = Object.freeze(next);
  return current;
}
