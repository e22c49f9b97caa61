/**
 * The reconnecting client (`connect(target, { reconnect })`): the policy (backoff, jitter,
 * attempts, what happens to writes), and the {@link Reconnector} that keeps one public
 * `Socket` alive across connections by swapping its transport, as STARTTLS and a proxy
 * tunnel do. The lifecycle (`lifecycle.ts`) asks it, at each end of a transport, whether
 * that end is a drop to recover from or the socket's own end.
 *
 * The rules, each tested in `tests/reconnect.test.ts`:
 * - A drop is the loss of an established connection that the owner did not ask for: the
 *   peer's FIN, a reset, a TLS alert. The reads waiting on it fail with
 *   `ERR_CONNECTION_LOST` (its unread bytes on `partial`), and so do its writes not known to
 *   have reached the kernel. Reads and writes made afterwards wait for the next connection.
 * - The first connect is retried like any other: a server not up yet is the common case.
 * - Attempts follow {@link backoffDelay}; a connection that is up resets the count.
 *
 * @module
 */
import { Socket as NetSocket } from "node:net";
import { checkInteger, MAX_TIMER, shown } from "./arguments.js";
import { type Deadline, startDeadline } from "./deadline.js";
import { ConnectionLostError, SocketError, socketClosedError } from "./errors.js";
import type { Lifecycle } from "./lifecycle.js";
import { checkOptionNames, RECONNECT } from "./options.js";
import type { ResolvedSocketOptions } from "./socket-options.js";
import { attach, configure, detach, isSecure, transportError } from "./transport.js";

/**
 * Options of a reconnecting client (`connect(target, { reconnect })`; `reconnect: true` takes
 * every default). The delay before attempt `n` (1, 2, …) is
 * `min(maxDelay, initialDelay × factor^(n−1)) × (1 − jitter × random())`: never above
 * `maxDelay`; `jitter` 0 is no jitter, 0.5 "equal jitter", 1 "full jitter" (AWS's names).
 */
export interface ReconnectOptions {
  /** Milliseconds before the first attempt after a drop or a failed first connect. @default 100 */
  initialDelay?: number;
  /** The longest delay between attempts, in milliseconds. @default 30000 */
  maxDelay?: number;
  /** How much each delay grows over the one before (≥ 1). @default 2 */
  factor?: number;
  /** The share of each delay taken off at random, 0 to 1, so clients do not retry in step. @default 0.5 */
  jitter?: number;
  /**
   * Attempts in a row, per outage, before the socket gives up and closes with the last
   * attempt's error. `Infinity`: never give up. `0`: never retry. @default Infinity
   */
  maxAttempts?: number;
  /**
   * Writes made between connections: `"keep"` holds them (within `maxWriteBuffer`) and sends
   * them once reconnected, in order; `"fail"` refuses them with `ERR_NOT_CONNECTED`. Writes
   * made before the first connect are held either way. @default "keep"
   */
  writes?: "keep" | "fail";
  /**
   * Whether to retry after `error` (the drop's `ERR_CONNECTION_LOST`, or an attempt's
   * failure) before attempt `attempt`. Default: everything but `ERR_TLS_CERT` (a
   * certificate that fails verification does not heal in a backoff).
   */
  shouldRetry?: (error: SocketError, attempt: number) => boolean;
}

/** What `'reconnecting'` carries: the attempt about to be made, its delay, and why. */
export interface ReconnectingEvent {
  /** 1 for the first attempt after a drop (or after a failed first connect), then 2, 3, … */
  readonly attempt: number;
  /** Milliseconds until the attempt, jitter included. */
  readonly delay: number;
  /** Why: `ERR_CONNECTION_LOST` for a drop, else the failed attempt's error. */
  readonly error: SocketError;
}

/** What `info().reconnect` reports on a reconnecting client. */
export interface ReconnectInfo {
  /** Connections established so far: 1 while on the first, 2 after one reconnect, … */
  readonly connection: number;
  /** The attempt in progress or waited for (0 while connected). */
  readonly attempt: number;
}

/** A {@link ReconnectOptions} with every default filled in. */
export type ReconnectPolicy = Required<ReconnectOptions>;

const DEFAULTS: ReconnectPolicy = Object.freeze({
  initialDelay: 100,
  maxDelay: 30_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Number.POSITIVE_INFINITY,
  writes: "keep",
  shouldRetry: (error: SocketError) => error.code !== "ERR_TLS_CERT",
});

/**
 * Checks `connect()`'s `reconnect` option and fills in the defaults.
 * @throws SocketError `ERR_INVALID_ARGUMENT` for an unknown option or a bad value.
 */
export function reconnectPolicy(input: true | ReconnectOptions): ReconnectPolicy {
  if (input === true) return DEFAULTS;
  checkOptionNames("connect() reconnect", input, RECONNECT);
  const given = { ...DEFAULTS, ...defined(input) };
  const initialDelay = checkInteger("reconnect.initialDelay", given.initialDelay, 0, MAX_TIMER);
  const maxDelay = checkInteger("reconnect.maxDelay", given.maxDelay, initialDelay, MAX_TIMER);
  const factor = checkNumber("reconnect.factor", given.factor, 1, 1000);
  const jitter = checkNumber("reconnect.jitter", given.jitter, 0, 1);
  const { maxAttempts, writes, shouldRetry } = given;
  if (maxAttempts !== Number.POSITIVE_INFINITY)
    checkInteger("reconnect.maxAttempts", maxAttempts, 0, Number.MAX_SAFE_INTEGER);
  if (writes !== "keep" && writes !== "fail") {
    throw invalid(`reconnect.writes must be "keep" or "fail", got ${shown(writes)}`);
  }
  if (typeof shouldRetry !== "function") {
    throw invalid(`reconnect.shouldRetry must be a function, got ${shown(shouldRetry)}`);
  }
  return { initialDelay, maxDelay, factor, jitter, maxAttempts, writes, shouldRetry };
}

/** The options given, without those set to `undefined` (they take the default). */
function defined(input: ReconnectOptions): ReconnectOptions {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !(value >= min && value <= max)) {
    throw invalid(`${name} must be a number from ${min} to ${max}, got ${shown(value)}`);
  }
  return value;
}

function invalid(message: string): SocketError {
  return new SocketError("ERR_INVALID_ARGUMENT", message);
}

/**
 * The delay in milliseconds before attempt `attempt` (1, 2, …) under `policy`:
 * `min(maxDelay, initialDelay × factor^(attempt−1)) × (1 − jitter × random())`, rounded.
 * Exported so that a schedule can be shown or tested; `random` defaults to `Math.random`.
 * @example
 * ```ts
 * backoffDelay({ initialDelay: 100, maxDelay: 30_000, factor: 2, jitter: 0 }, 4); // 800
 * ```
 */
export function backoffDelay(
  policy: { initialDelay: number; maxDelay: number; factor: number; jitter: number },
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * policy.factor ** (attempt - 1));
  return Math.round(base * (1 - policy.jitter * random()));
}

/** How `connect()` makes each connection of a reconnecting client. */
export interface ReconnectInit {
  policy: ReconnectPolicy;
  /** Opens a new transport to the target (TLS and a PROXY header included). */
  open: () => NetSocket;
  /** Milliseconds for each attempt to connect (TLS included); 0: none. */
  connectTimeout: number;
  /** Milliseconds for each TLS handshake, from the TCP connect. */
  handshakeTimeout: number;
}

/** One connection attempt in progress: its transport and its deadlines. */
interface Attempt {
  readonly ns: NetSocket;
  readonly deadlines: (Deadline | undefined)[];
}

const ignore = (): void => {};

/** Keeps a socket connected across drops, on behalf of its lifecycle. */
export class Reconnector<Tag> {
  readonly #life: Lifecycle<Tag>;
  readonly #init: ReconnectInit;
  readonly #options: ResolvedSocketOptions;
  #attempt = 0;
  #connections = 0;
  #stopped = false;
  #refed = true;
  #timer: NodeJS.Timeout | undefined;
  #pending: Attempt | undefined;

  constructor(life: Lifecycle<Tag>, init: ReconnectInit, options: ResolvedSocketOptions) {
    this.#life = life;
    this.#init = init;
    this.#options = options;
  }

  /** What `info().reconnect` reports. */
  info(): ReconnectInfo {
    return { connection: this.#connections, attempt: this.#attempt };
  }

  /** Makes the first connection, at once. */
  start(): void {
    this.#try();
  }

  /** Whether a write is refused now: `writes: "fail"`, between connections. */
  get refusesWrites(): boolean {
    return (
      this.#init.policy.writes === "fail" &&
      this.#connections > 0 &&
      !this.#stopped &&
      this.#life.state === "connecting"
    );
  }

  /** `unref()`/`ref()`: the backoff timer and later transports follow. */
  setRef(refed: boolean): void {
    this.#refed = refed;
    if (refed) this.#timer?.ref();
    else this.#timer?.unref();
    if (this.#pending !== undefined) {
      if (refed) this.#pending.ns.ref();
      else this.#pending.ns.unref();
    }
  }

  /**
   * The transport ended (`cause`: its error, if any). A drop when the connection was up and
   * nobody asked for the end: then the reads and writes pending on it fail, the socket waits
   * for the next connection, and this returns true. Else false: the socket ends as any other.
   */
  drop(cause: SocketError | undefined): boolean {
    const life = this.#life;
    if (this.#stopped || life.state !== "open") return false;
    const old = life.ns;
    detach(old);
    old.on("error", ignore); // nothing it emits from now on may crash the process
    const error = new ConnectionLostError(life.describePeer(), life.reader.buffer.takeAll(), cause);
    // The socket is between connections before any user code runs (the callbacks below may
    // write, read or close): new writes are held, new reads wait.
    life.state = "connecting";
    const placeholder = new NetSocket();
    if ((old.timeout ?? 0) > 0) placeholder.setTimeout(old.timeout ?? 0);
    life.ns = placeholder;
    attach(placeholder, life);
    life.writer.setTransport(placeholder);
    life.writer.hold();
    life.reader.hold();
    old.destroy();
    life.writer.failUnsettled(error); // in flight: the peer may or may not have them
    life.reader.failAll(error);
    if (!this.#stopped) this.#schedule(error); // unless a callback closed the socket
    return true;
  }

  /**
   * Stops retrying (`close()`, `end()`, `destroy()`, `reset()`, an abort). Between
   * connections, the socket closes now: there is nothing to flush and no peer to wait for;
   * the reads waiting fail with `ERR_SOCKET_CLOSED` (unless the caller failed them first).
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abandon();
    const life = this.#life;
    if (life.state !== "connecting") return;
    life.reader.release(life.ns);
    life.reader.failAll(socketClosedError(undefined, "closed", life.describePeer()));
    life.ns.destroy(); // the placeholder: its 'close' closes the socket
  }

  #schedule(error: SocketError): void {
    const attempt = this.#attempt + 1;
    const { policy } = this.#init;
    if (attempt > policy.maxAttempts || !retryable(policy, error, attempt)) {
      this.#giveUp(error);
      return;
    }
    this.#attempt = attempt;
    const delay = backoffDelay(policy, attempt);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#try();
    }, delay);
    if (!this.#refed) this.#timer.unref();
    this.#life.host.emit("reconnecting", { attempt, delay, error });
  }

  /** No more attempts: the socket closes with `error`. */
  #giveUp(error: SocketError): void {
    this.#stopped = true;
    const life = this.#life;
    life.reader.release(life.ns);
    life.fail(error);
    life.ns.destroy(); // the placeholder: its 'close' closes the socket with the error
  }

  /** One attempt: a new transport, its deadlines, and what its first event means. */
  #try(): void {
    const { open, connectTimeout, handshakeTimeout } = this.#init;
    const ns = open();
    configure(ns, this.#options);
    if (!this.#refed) ns.unref();
    ns.on("error", ignore); // an abandoned attempt may still emit one
    const attempt: Attempt = { ns, deadlines: [] };
    this.#pending = attempt;
    const peer = this.#life.describePeer();
    const fail = (error: SocketError): void => {
      if (this.#pending !== attempt) return;
      this.#abandon();
      this.#schedule(error);
    };
    attempt.deadlines.push(startDeadline("connect", connectTimeout, undefined, fail, peer));
    const secure = isSecure(ns);
    if (secure) {
      ns.once("connect", () =>
        attempt.deadlines.push(startDeadline("handshake", handshakeTimeout, undefined, fail, peer)),
      );
    }
    ns.once(secure ? "secureConnect" : "connect", () => {
      if (this.#pending !== attempt) return;
      this.#pending = undefined;
      for (const deadline of attempt.deadlines) deadline?.clear();
      this.#up(ns);
    });
    ns.once("error", (e: Error) => fail(transportError(ns, e, peer)));
    ns.once("close", () => fail(socketClosedError("connect", "closed", peer)));
  }

  /** Drops the attempt in progress, if any. */
  #abandon(): void {
    const attempt = this.#pending;
    if (attempt === undefined) return;
    this.#pending = undefined;
    for (const deadline of attempt.deadlines) deadline?.clear();
    attempt.ns.destroy();
  }

  /** An attempt connected: it becomes the socket's transport. */
  #up(ns: NetSocket): void {
    const again = this.#connections > 0;
    this.#connections++;
    this.#attempt = 0;
    if (!this.#life.attachTunnel(ns, again)) ns.destroy();
  }
}

function retryable(policy: ReconnectPolicy, error: SocketError, attempt: number): boolean {
  try {
    return policy.shouldRetry(error, attempt);
  } catch {
    return false; // a failing predicate is a "no", not a crash inside a socket event
  }
}
