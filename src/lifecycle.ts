/**
 * A socket's lifecycle: its state, how `opened` and `closed` settle, what the transport's
 * connect, error and close do to the pending reads and writes, and the three ways to end
 * (`close()`, `destroy()`, `reset()`). The transport's shared listeners (`transport.ts`)
 * call in here; the public `Socket` delegates here.
 *
 * @module
 */

import type { Socket as NetSocket } from "node:net";
import { type Endpoint, formatAddress, formatEndpoint } from "./address.js";
import { Deferred } from "./deferred.js";
import { traceClose, traceConnect, traceError, traceTls, tracing } from "./diagnostics.js";
import { notConnectedError, type SocketError, socketClosedError } from "./errors.js";
import { Reader } from "./reader.js";
import { type ReconnectingEvent, Reconnector } from "./reconnect.js";
import { type Identified, register, unregister } from "./registry.js";
import type { CloseInfo } from "./socket-events.js";
import {
  type AddressSnapshot,
  emptySnapshot,
  type SocketInfo,
  snapshotAddresses,
} from "./socket-info.js";
import type { SocketInit } from "./socket-options.js";
import type { TlsInfo } from "./tls.js";
import {
  attach,
  awaitConnect,
  configure,
  detach,
  isConnecting,
  secureInfo,
  type TransportOwner,
  transportError,
} from "./transport.js";
import { type WriteOwner, WriteQueue } from "./writer.js";

/**
 * Where a socket is in its life. The valid transitions, and nothing else:
 *
 * - `connecting` → `open`: the transport connected (for TLS, the handshake finished).
 * - `connecting` | `open` → `closing`: `close()`, `destroy()` or `reset()` was called.
 * - `connecting` | `open` | `closing` → `closed`: the transport closed (the peer, an
 *   error, the end of `closing`, a failed connect).
 * - `open` → `connecting`: a reconnecting client's connection dropped (`reconnect.ts`).
 *
 * `closed` is final. A socket a server accepted starts `open`; one from `connect()` starts
 * `connecting`. A connect that completes while `closing` leaves the state `closing`.
 */
export type SocketState = "connecting" | "open" | "closing" | "closed";

/** What the lifecycle asks of the public socket: its events, its info, its identity. */
export interface LifecycleHost<Tag> extends WriteOwner<Tag>, Identified {
  readonly id: number | undefined;
  info(): SocketInfo;
  listenerCount(event: "connect" | "error" | "written" | "readError"): number;
  emit(event: "dataAvailable" | "end" | "timeout" | "drain"): boolean;
  emit(event: "connect" | "reconnected", info: SocketInfo): boolean;
  emit(event: "reconnecting", event_: ReconnectingEvent): boolean;
  emit(event: "error", error: SocketError): boolean;
  emit(event: "close", info: CloseInfo): boolean;
  emit(event: "written", tag: Tag | undefined): boolean;
  emit(event: "read", data: Buffer, tag: Tag | undefined): boolean;
  emit(event: "readError", error: SocketError, tag: Tag | undefined): boolean;
}

/** `opened`'s outcome for a socket that connected while nothing waited for its info. */
const CONNECTED = Symbol("connected");

/**
 * Milliseconds a destroyed transport has to emit `'close'` before the socket closes without
 * it. Node normally emits it within a tick; the bound is for the paths where it never does.
 */
const CLOSE_FALLBACK = 1000;

/** The state of one socket behind its public class; the owner of its transport. */
export class Lifecycle<Tag> implements TransportOwner {
  /** The transport: a `net.Socket`, or the `TLSSocket` that STARTTLS put in its place. */
  ns: NetSocket;
  /** A STARTTLS upgrade is under way. */
  upgrading = false;
  /** What the TLS handshake established, once it has. */
  tls: TlsInfo | undefined;
  state: SocketState;
  /** The error that ends the socket, once there is one. */
  error: SocketError | undefined;
  addresses: AddressSnapshot;
  readonly reader: Reader;
  readonly writer: WriteQueue<Tag>;
  readonly host: LifecycleHost<Tag>;
  readonly target: Endpoint | undefined;
  readonly #closeTimeout: number;
  /** How the connect ended, once it has: the info, or the error (`opened` settles with it). */
  #openedOutcome: SocketInfo | SocketError | typeof CONNECTED | undefined;
  #opened: Deferred<SocketInfo> | undefined;
  /** How the socket ended, once it has (`closed` resolves with it). */
  #closeInfo: CloseInfo | undefined;
  #closed: Deferred<CloseInfo> | undefined;
  /** Whether the owner called `destroy()` or `reset()`: later reads fail, not end. */
  #destroyed = false;

  /** Whether the owner called `destroy()` or `reset()` (the transport's listeners ask). */
  get destroyed(): boolean {
    return this.#destroyed;
  }
  /** Closes the socket should the transport never emit `'close'` (see `#boundClose`). */
  #closeFallback: NodeJS.Timeout | undefined;
  #built = false;
  #traceWhenBuilt = false;
  /** A reconnecting client's reconnector; undefined for every other socket. */
  readonly reconnect: Reconnector<Tag> | undefined;

  constructor(host: LifecycleHost<Tag>, ns: NetSocket, init: SocketInit) {
    const { options } = init;
    this.host = host;
    this.ns = ns;
    this.target = init.target;
    const path = init.target?.kind === "unix" ? init.target.path : init.path;
    this.addresses = emptySnapshot(path);
    this.#closeTimeout = options.closeTimeout;
    this.reader = new Reader(ns, options.readHighWaterMark);
    this.writer = new WriteQueue<Tag>(ns, options.writeHighWaterMark, host, options.maxWriteBuffer);
    this.state = isConnecting(ns) ? "connecting" : "open";
    configure(ns, options);
    attach(ns, this);
    register(host);
    if (init.tunnel === true) {
      this.reader.hold();
      this.writer.hold();
    }
    if (this.state === "connecting") awaitConnect(ns);
    else this.transportConnected();
    this.reconnect = init.reconnect && new Reconnector(this, init.reconnect, options);
    this.reconnect?.start();
  }

  /**
   * `socket.opened`. When nothing waited for the connect, the info is taken now, with
   * `connected: true` as at the connect.
   */
  opened(): Promise<SocketInfo> {
    if (this.#opened === undefined) {
      const outcome = this.#openedOutcome;
      this.#opened = new Deferred<SocketInfo>();
      this.#opened.promise.catch(() => {}); // a failed connect nobody awaits must not crash
      if (outcome === CONNECTED)
        this.#opened.resolve({ ...this.host.info(), connected: true, connecting: false });
      else if (outcome instanceof Error) this.#opened.reject(outcome);
      else if (outcome !== undefined) this.#opened.resolve(outcome);
    }
    return this.#opened.promise;
  }

  /** `socket.closed`: resolves (never rejects) once the socket is closed. */
  closed(): Promise<CloseInfo> {
    if (this.#closed === undefined) {
      this.#closed = new Deferred<CloseInfo>();
      if (this.#closeInfo !== undefined) this.#closed.resolve(this.#closeInfo);
    }
    return this.#closed.promise;
  }

  /** The transport connected; `again`: a reconnecting client's new connection. */
  transportConnected(again = false): void {
    if (this.state === "connecting") this.state = "open";
    this.tls = secureInfo(this.ns);
    // The addresses now, while Node can still report them; an info object only for those
    // waiting (a server's thousands of accepted sockets are spared one each).
    this.addresses = snapshotAddresses(this.ns, this.addresses);
    if (tracing("connect") || tracing("tls")) {
      // An accepted socket is open from its first line: its trace waits for the Socket.
      if (this.#built) this.#traceConnect();
      else this.#traceWhenBuilt = true;
    }
    if (again) {
      this.host.emit("reconnected", this.host.info());
      return;
    }
    if (this.#opened === undefined && this.host.listenerCount("connect") === 0) {
      this.#openedOutcome = CONNECTED;
      return;
    }
    const info = this.host.info();
    this.#openedOutcome = info;
    this.#opened?.resolve(info);
    this.host.emit("connect", info);
  }

  /**
   * The `Socket` around this lifecycle is built (its constructor's last step): a connect
   * trace held back since the transport was already open is published now.
   */
  built(): void {
    this.#built = true;
    if (this.#traceWhenBuilt) this.#traceConnect();
    this.#traceWhenBuilt = false;
  }

  /** Tells the debug log and `sockit:connect` (and `sockit:tls`) subscribers, if any. */
  #traceConnect(): void {
    if (tracing("connect")) traceConnect(this.host, this.describePeer(), this.host.info());
    if (this.tls !== undefined && tracing("tls"))
      traceTls(this.host, this.describePeer(), this.tls);
  }

  /**
   * Puts the transport of a proxy tunnel in place of the placeholder (`connect()` through a
   * proxy), or a transport still connecting (`connect()` once a local name is looked up).
   * Returns false when the socket no longer wants it (destroyed meanwhile): the caller then
   * destroys the transport.
   */
  attachTunnel(ns: NetSocket, again = false): boolean {
    if (this.#destroyed || this.state === "closed") return false;
    const placeholder = this.ns;
    detach(placeholder);
    if ((placeholder.timeout ?? 0) > 0) ns.setTimeout(placeholder.timeout ?? 0);
    this.ns = ns;
    attach(ns, this);
    this.writer.setTransport(ns); // with a startTLS() pending, only the writes made before it
    this.reader.release(ns);
    if (this.upgrading) this.reader.hold(); // startTLS() serves reads after its handshake
    ns.resume(); // the tunnel left it paused, the target's first bytes unread
    if (placeholder.writableEnded) {
      // end() or close() came first: FIN after the queued writes, then settle what waits.
      const settle = (): void => void placeholder.destroy();
      ns.once("finish", settle);
      ns.once("close", settle);
      ns.end();
    } else placeholder.destroy();
    if (isConnecting(ns)) awaitConnect(ns);
    else this.transportConnected(again);
    return true;
  }

  transportFailed(error: unknown): void {
    const failure = this.toError(error);
    if (this.reconnect?.drop(failure) === true) return;
    this.fail(failure);
  }

  transportEnded(): void {
    // Bun emits 'end' after destroy(), Node does not: after the owner's destroy(), reads
    // fail with ERR_SOCKET_CLOSED on every runtime, not with an end of stream.
    if (this.#destroyed || this.reconnect?.drop(undefined) === true) return;
    // A TLS alert arrives as 'error' just before 'end': reads must see that, not EOF.
    this.reader.end(this.error);
    this.host.emit("end");
  }

  transportClosed(): void {
    if (this.#closeInfo !== undefined) return; // the transport's 'close' after the fallback
    if (this.reconnect?.drop(undefined) === true) return;
    if (this.#closeFallback !== undefined) clearTimeout(this.#closeFallback);
    this.addresses = snapshotAddresses(this.ns, this.addresses);
    const closing = this.state === "closing";
    this.state = "closed";
    const error = this.error;
    // Made only when something is left to fail: most sockets close with nothing pending.
    let closedError: SocketError | undefined;
    const closed = (): SocketError => {
      closedError ??= error ?? socketClosedError();
      return closedError;
    };
    if (this.#openedOutcome === undefined) {
      this.#openedOutcome = closed();
      this.#opened?.reject(this.#openedOutcome);
    }
    if (this.writer.pending) this.writer.failAll(closed());
    this.writer.closed();
    this.reader.end(this.#destroyed ? closed() : error);
    const info: CloseInfo = error === undefined ? { hadError: false } : { hadError: true, error };
    this.#closeInfo = info;
    unregister(this.host);
    if (tracing("close")) {
      const why =
        error !== undefined ? error.code : closing ? "closed by this side" : "closed by the peer";
      traceClose(this.host, this.describePeer(), info, why);
    }
    this.#closed?.resolve(info);
    this.host.emit("close", info);
  }

  /** Records the error that ends the socket, and reports it. */
  fail(error: SocketError): void {
    if (this.error === undefined && tracing("error")) {
      traceError(this.host, this.describePeer(), error);
    }
    this.error ??= error;
    this.report(error);
  }

  /** Reports an error to `'error'` listeners, if any: it never crashes the process. */
  report(error: SocketError): void {
    if (this.host.listenerCount("error") > 0) this.host.emit("error", error);
  }

  /** A transport error with its code, naming the peer. */
  toError(error: unknown): SocketError {
    return transportError(this.ns, error, this.describePeer());
  }

  /** How errors name the peer: the target connected to, or the peer's address. */
  describePeer(): string {
    if (this.target !== undefined) return formatEndpoint(this.target);
    const { remoteAddress, remotePort } = this.addresses;
    return remoteAddress === undefined ? "socket" : formatAddress(remoteAddress, remotePort ?? 0);
  }

  /** Throws `ERR_SOCKET_CLOSED` once the socket is closing, closed or ended. */
  checkWritable(): void {
    if (this.state === "closing" || this.state === "closed" || this.ns.writableEnded) {
      throw socketClosedError("write", "closed", this.describePeer());
    }
    if (this.reconnect?.refusesWrites === true) throw notConnectedError(this.describePeer());
  }

  /** `socket.end()`: no more reconnecting; flush, then FIN. */
  end(): Promise<void> {
    this.reconnect?.stop();
    return this.writer.end();
  }

  /** `socket.close()`: flush, FIN, wait up to `closeTimeout` for the peer, then destroy. */
  close(): Promise<CloseInfo> {
    if (this.state === "closing" || this.state === "closed") return this.closed();
    this.reconnect?.stop();
    this.state = "closing";
    this.reader.discardOverflow(); // a paused socket would never see the peer's FIN
    void this.writer.end();
    const timer = setTimeout(() => {
      this.ns.destroy();
      this.#boundClose();
    }, this.#closeTimeout);
    void this.closed().then(() => clearTimeout(timer));
    return this.closed();
  }

  /** `socket.destroy(error?)`: pending reads and writes fail; the connection is dropped. */
  destroy(error?: SocketError): Promise<CloseInfo> {
    if (this.state === "closed" || this.#destroyed) return this.closed();
    this.#destroyed = true;
    if (error !== undefined) this.fail(error);
    this.state = "closing";
    this.reader.failAll(error ?? socketClosedError(undefined, "destroyed"));
    this.reconnect?.stop();
    this.ns.destroy();
    this.#boundClose();
    return this.closed();
  }

  /** `socket.reset()`: as destroy, with a TCP RST where Node can send one. */
  reset(): Promise<CloseInfo> {
    if (this.state === "closed" || this.#destroyed) return this.closed();
    this.#destroyed = true;
    this.state = "closing";
    this.reader.failAll(socketClosedError(undefined, "reset"));
    this.reconnect?.stop();
    // While a FIN is being sent (end() or close() in the same tick), Node's reset fails with
    // EINVAL and never emits 'close', leaking the handle: that connection is destroyed
    // instead, as is one still connecting (nothing to reset yet).
    const finishing = this.ns.writableEnded && !this.ns.writableFinished;
    try {
      if (finishing || this.ns.connecting) this.ns.destroy();
      else this.ns.resetAndDestroy(); // Node's TCP handles only: it throws for TLS and pipes
    } catch {
      this.ns.destroy();
    }
    this.#boundClose();
    return this.closed();
  }

  /**
   * The transport was told to go; should it never emit `'close'` (a Node path that destroys
   * without it), the socket closes anyway after {@link CLOSE_FALLBACK} ms: `closed`, `end()`
   * and every pending operation settle whatever the transport does.
   */
  #boundClose(): void {
    if (this.#closeInfo !== undefined || this.#closeFallback !== undefined) return;
    this.#closeFallback = setTimeout(() => this.transportClosed(), CLOSE_FALLBACK);
  }
}
