/**
 * One deadline for one operation: a timer and an abort signal, either of which may be
 * absent. Whichever fires first calls `expire` once with its error (the phase's timeout
 * error, or `ERR_ABORTED` with the signal's reason); `clear()` disarms both, and the
 * operation calls it when it settles first. Every deadline in sockit is one of these: a
 * read, a datagram receive, a send, a connect, a TLS handshake, a STARTTLS handshake, a
 * proxy tunnel's set-up (a {@link CustomPhase} with its own error).
 *
 * Nothing is made for an operation without a deadline ({@link startDeadline} returns
 * undefined), so the common call pays nothing.
 *
 * @module
 */
import {
  abortedError,
  connectTimeoutError,
  handshakeTimeoutError,
  readTimeoutError,
  type SocketError,
  writeTimeoutError,
} from "./errors.js";

/**
 * What the deadline guards, which names its errors: `"read"` (`ERR_READ_TIMEOUT`),
 * `"receive"` (a datagram; `ERR_READ_TIMEOUT`), `"send"` (`ERR_WRITE_TIMEOUT`), `"connect"`
 * (`ERR_CONNECT_TIMEOUT`, naming `address`), `"handshake"` (`ERR_TLS_HANDSHAKE_TIMEOUT`).
 */
export type DeadlinePhase = "read" | "receive" | "send" | "connect" | "handshake" | CustomPhase;

/** A phase that names its own timeout error (a module above this one, such as the proxies). */
export interface CustomPhase {
  /** What an abort names: `ERR_ABORTED` says "<name> aborted". */
  readonly name: string;
  /** The error when `ms` milliseconds pass first. */
  timeoutError(ms: number): SocketError;
}

/** An armed deadline. */
export class Deadline {
  readonly #signal: AbortSignal | undefined;
  #timer: NodeJS.Timeout | undefined;
  #onAbort: (() => void) | undefined;
  #expire: ((error: SocketError) => void) | undefined;

  constructor(
    phase: DeadlinePhase,
    timeout: number,
    signal: AbortSignal | undefined,
    expire: (error: SocketError) => void,
    address?: string,
  ) {
    this.#expire = expire;
    this.#signal = signal;
    if (timeout > 0) {
      this.#timer = setTimeout(() => this.#fire(timeoutError(phase, timeout, address)), timeout);
    }
    if (signal !== undefined) {
      this.#onAbort = () => this.#fire(abortedError(abortWhat(phase), signal.reason));
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** Disarms the timer and the abort listener. Idempotent. */
  clear(): void {
    this.#expire = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#onAbort = undefined;
  }

  #fire(error: SocketError): void {
    const expire = this.#expire;
    this.clear();
    expire?.(error);
  }
}

/**
 * Arms a deadline of `timeout` milliseconds (`0`: none) and `signal` (absent: none); returns
 * undefined when there is neither. The caller checks `signal.aborted` first when an
 * already-aborted signal must fail at once (see {@link abortedNow}).
 */
export function startDeadline(
  phase: DeadlinePhase,
  timeout: number,
  signal: AbortSignal | undefined,
  expire: (error: SocketError) => void,
  address?: string,
): Deadline | undefined {
  if (timeout <= 0 && signal === undefined) return undefined;
  return new Deadline(phase, timeout, signal, expire, address);
}

/** The `ERR_ABORTED` error for `phase` when `signal` is already aborted, else undefined. */
export function abortedNow(
  phase: DeadlinePhase,
  signal: AbortSignal | undefined,
): SocketError | undefined {
  return signal?.aborted === true ? abortedError(abortWhat(phase), signal.reason) : undefined;
}

function abortWhat(phase: DeadlinePhase): string {
  if (typeof phase !== "string") return phase.name;
  return phase === "connect" ? "connection" : phase;
}

function timeoutError(phase: DeadlinePhase, ms: number, address: string | undefined): SocketError {
  if (typeof phase !== "string") return phase.timeoutError(ms);
  switch (phase) {
    case "read":
      return readTimeoutError(ms);
    case "receive":
      return readTimeoutError(ms, "receive");
    case "send":
      return writeTimeoutError(ms);
    case "connect":
      return connectTimeoutError(ms, address ?? "the target");
    case "handshake":
      return handshakeTimeoutError(ms, address);
  }
}
