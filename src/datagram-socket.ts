/**
 * `DatagramSocket`: a bound UDP socket over IPv4 or IPv6, with a pull form (`receive()`,
 * `for await`) beside the `'message'` event, multicast groups and broadcast. Opened by
 * `openDatagram()` (`datagram.ts`). The seeds: LiveCode `open datagram socket`, Xojo
 * `UDPSocket` (through `SocketCore`), Hammerspoon `hs.socket.udp`.
 *
 * @module
 */
import type { Socket as DgramSocket, RemoteInfo } from "node:dgram";
import { EventEmitter } from "node:events";
import { isIP } from "node:net";
import { type TargetInput, type TcpEndpoint, unmapIPv4 } from "./address.js";
import { checkInteger, checkReadOptions } from "./arguments.js";
import { broadcastRefusal } from "./broadcast.js";
import { connectedPeer, describe, isMulticast, udpEndpoint } from "./datagram-address.js";
import type {
  Datagram,
  DatagramEvents,
  DatagramInfo,
  DatagramPeer,
  DatagramType,
} from "./datagram-types.js";
import { MAX_DATAGRAM_IPV4, MAX_DATAGRAM_IPV6 } from "./datagram-types.js";
import { abortedNow, type Deadline, startDeadline } from "./deadline.js";
import { SocketError, socketClosedError, toSocketError } from "./errors.js";
import { checkOptionNames, MEMBERSHIP, READ } from "./options.js";
import type { ReadOptions } from "./read-options.js";

export {
  type Datagram,
  type DatagramEvents,
  type DatagramInfo,
  type DatagramPeer,
  type DatagramType,
  MAX_DATAGRAM_IPV4,
  MAX_DATAGRAM_IPV6,
} from "./datagram-types.js";

/** A `receive()` waiting for a datagram. */
interface Waiter {
  resolve(datagram: Datagram): void;
  reject(error: SocketError): void;
  deadline: Deadline | undefined;
}

/**
 * A bound UDP socket. Made by {@link openDatagram}. Datagrams arrive whole, as `'message'`
 * events and through `receive()` / `for await`; `send()` resolves once the kernel took one.
 * Errors never crash the process: they reject what waits, and reach `'error'` only when a
 * listener is attached.
 *
 * @example
 * ```ts
 * const udp = await openDatagram({ localPort: 0 });
 * await udp.send("ping", "127.0.0.1:9999");
 * const reply = await udp.receive({ timeout: 1000 }); // { data, address, port, family }
 * await udp.close();
 * ```
 */
export class DatagramSocket extends EventEmitter<DatagramEvents> {
  readonly #ds: DgramSocket;
  readonly #type: DatagramType;
  readonly #local: { address: string; port: number };
  readonly #remote: DatagramPeer | undefined;
  /** `SO_BROADCAST`, as last set. */
  #broadcast = false;
  /** The multicast memberships joined: source, group and interface. */
  readonly #groups = new Set<string>();
  readonly #queueLength: number;
  readonly #queue: Datagram[] = [];
  readonly #waiters: Waiter[] = [];
  #open = true;
  #closing: Promise<void> | undefined;
  #received = 0;
  #bytesReceived = 0;
  #sent = 0;
  #bytesSent = 0;
  #dropped = 0;

  /** @internal Use {@link openDatagram}. */
  constructor(ds: DgramSocket, type: DatagramType, queueLength: number) {
    super();
    this.#ds = ds;
    this.#type = type;
    this.#queueLength = queueLength;
    const { address, port } = ds.address();
    this.#local = { address, port };
    this.#remote = connectedPeer(ds);
    ds.on("message", (data: Buffer, rinfo: RemoteInfo) => this.#onMessage(data, rinfo));
    ds.on("error", (error: Error) => this.#onError(toSocketError(error)));
    ds.on("close", () => this.#onClose());
  }

  /** The bound port (Xojo `Port`): the real one when the OS picked it. */
  get localPort(): number {
    return this.#local.port;
  }

  /** The socket's addresses and counters; kept after close. */
  info(): DatagramInfo {
    return {
      type: this.#type,
      localAddress: this.#local.address,
      localPort: this.#local.port,
      remoteAddress: this.#remote?.address,
      remotePort: this.#remote?.port,
      open: this.#open,
      received: this.#received,
      bytesReceived: this.#bytesReceived,
      sent: this.#sent,
      bytesSent: this.#bytesSent,
      dropped: this.#dropped,
      queued: this.#queue.length,
    };
  }

  /**
   * Sends one datagram. `to` is `"host:port"`, `"[v6]:port"`, `{ host, port }`, or a sender
   * as `'message'` and `receive()` give it (`{ address, port }`: a reply); it is required
   * unless the socket was opened with `remote`, and refused when it was.
   * Resolves once the kernel took the datagram (UDP says nothing of its arrival).
   * @throws (rejects) `ERR_DATAGRAM_TOO_LARGE` over {@link MAX_DATAGRAM_IPV4} /
   * {@link MAX_DATAGRAM_IPV6} bytes (nothing is sent, nothing truncated);
   * `ERR_INVALID_ADDRESS`, `ERR_INVALID_ARGUMENT`, `ERR_SOCKET_CLOSED`, or the system's code
   * (`EACCES` for a broadcast address without `broadcast`, `ENOTFOUND`, `EMSGSIZE`, …).
   */
  send(data: string | Uint8Array, to?: TargetInput | DatagramPeer): Promise<void> {
    try {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      const max = this.#type === "udp4" ? MAX_DATAGRAM_IPV4 : MAX_DATAGRAM_IPV6;
      if (bytes.byteLength > max) {
        throw new SocketError(
          "ERR_DATAGRAM_TOO_LARGE",
          `a datagram of ${bytes.byteLength} bytes is over the ${max}-byte UDP limit`,
        );
      }
      const target = this.#destination(to);
      if (!this.#open) throw socketClosedError();
      return new Promise<void>((resolve, reject) => {
        const done = (error: Error | null): void => {
          if (error !== null) {
            const peer = target ?? this.#remote;
            const host = target?.host ?? this.#remote?.address;
            const refusal = broadcastRefusal(error, host, this.#broadcast); // Deno: UNKNOWN
            reject(toSocketError(refusal, peer === undefined ? undefined : describe(peer)));
            return;
          }
          this.#sent++;
          this.#bytesSent += bytes.byteLength;
          resolve();
        };
        try {
          if (target === undefined) this.#ds.send(bytes, done);
          else this.#ds.send(bytes, target.port, this.#sendHost(target.host), done);
        } catch (error) {
          reject(toSocketError(error));
        }
      });
    } catch (error) {
      return Promise.reject(toSocketError(error));
    }
  }

  /**
   * The host to hand to the kernel: an IPv4 address (as sockit reports an IPv4 sender of a
   * dual-stack socket) is written IPv4-mapped for an IPv6 socket, so a reply reaches it.
   */
  #sendHost(host: string): string {
    return this.#type === "udp6" && isIP(host) === 4 ? `::ffff:${host}` : host;
  }

  /** Where a datagram goes: `to`, or the connected peer (undefined). */
  #destination(to: TargetInput | DatagramPeer | undefined): TcpEndpoint | undefined {
    if (to === undefined) {
      if (this.#remote !== undefined) return undefined;
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        "send() needs a destination: pass `to`, or open the socket with `remote`",
      );
    }
    if (this.#remote !== undefined) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `the socket is connected to ${describe(this.#remote)}: send() takes no destination`,
      );
    }
    return udpEndpoint(to);
  }

  /**
   * The next datagram: one kept while none waited, or the next to arrive. Waiting
   * `receive()` calls are served in order. After close, kept datagrams are still handed out.
   * @throws (rejects) `ERR_READ_TIMEOUT` (nothing consumed), `ERR_ABORTED`,
   * `ERR_SOCKET_CLOSED` once closed with nothing kept, `ERR_INVALID_ARGUMENT`, or an error
   * the socket reported while this call waited (`ECONNREFUSED` on a connected socket).
   */
  receive(options: ReadOptions = {}): Promise<Datagram> {
    try {
      checkOptionNames("receive()", options, READ);
    } catch (error) {
      return Promise.reject(error);
    }
    const kept = this.#queue.shift();
    if (kept !== undefined) return Promise.resolve(kept);
    const invalid = checkReadOptions(options); // the stream reads' own check
    if (invalid !== undefined) return Promise.reject(invalid);
    if (!this.#open) return Promise.reject(socketClosedError());
    const aborted = abortedNow("receive", options.signal);
    if (aborted !== undefined) return Promise.reject(aborted);
    return new Promise<Datagram>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, deadline: undefined };
      waiter.deadline = startDeadline("receive", options.timeout ?? 0, options.signal, (error) =>
        this.#cancel(waiter, error),
      );
      this.#waiters.push(waiter);
    });
  }

  /** Datagrams until the socket closes (kept ones included); an error ends the loop by throwing. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Datagram, undefined, undefined> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (error) {
        if (error instanceof SocketError && error.code === "ERR_SOCKET_CLOSED") return undefined;
        throw error;
      }
    }
  }

  #cancel(waiter: Waiter, error: SocketError): void {
    const index = this.#waiters.indexOf(waiter);
    if (index < 0) return;
    this.#waiters.splice(index, 1);
    waiter.deadline?.clear();
    waiter.reject(error);
  }

  #onMessage(data: Buffer, rinfo: RemoteInfo): void {
    const address = unmapIPv4(rinfo.address);
    // A connected socket hears only its peer. The kernel filters on Node and Bun; Deno's
    // dgram delivers every sender's datagrams, so sockit drops the others itself.
    const peer = this.#remote;
    if (peer !== undefined && (rinfo.port !== peer.port || address !== peer.address)) return;
    this.#received++;
    this.#bytesReceived += data.byteLength;
    const family = rinfo.family === "IPv6" && address === rinfo.address ? "IPv6" : "IPv4";
    const sender: DatagramPeer = { address, port: rinfo.port, family };
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.deadline?.clear();
      waiter.resolve({ data, ...sender });
    } else if (this.listenerCount("message") === 0) {
      // Kept for a later receive(), bounded: UDP may drop, a library must not grow without end.
      if (this.#queue.length >= this.#queueLength) {
        this.#dropped++;
        if (this.#queueLength > 0) this.#queue.shift();
      }
      if (this.#queueLength > 0) this.#queue.push({ data, ...sender });
    }
    this.emit("message", data, sender);
  }

  /** UDP errors are per datagram: the socket stays open; waiting receives hear of it. */
  #onError(error: SocketError): void {
    this.#failWaiters(error);
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  #onClose(): void {
    this.#open = false;
    this.#failWaiters(socketClosedError());
    this.emit("close");
  }

  /** Rejects every waiting `receive()` with `error`. */
  #failWaiters(error: SocketError): void {
    for (const waiter of this.#waiters.splice(0)) {
      waiter.deadline?.clear();
      waiter.reject(error);
    }
  }

  /** `await using udp = await openDatagram(…)`: {@link close} when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Lets the process exit while this socket is bound (Node's `unref()`). Returns it. */
  unref(): this {
    this.#ds.unref();
    return this;
  }

  /** Undoes {@link unref}. Returns the socket. */
  ref(): this {
    this.#ds.ref();
    return this;
  }

  /** Closes the socket; waiting `receive()` calls reject with `ERR_SOCKET_CLOSED`. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (!this.#open) {
        resolve();
        return;
      }
      this.#ds.close(() => resolve());
    });
    return this.#closing;
  }

  /**
   * Joins a multicast group (Xojo `JoinMulticastGroup`), on the interface of the local
   * address `iface` (default: the system's choice); with `source`, source-specific
   * (RFC 4607: only that sender's datagrams).
   * @throws SocketError `ERR_INVALID_ADDRESS` when `group` is not a multicast address, or
   * the system's code (`EADDRINUSE` when already joined, `ENODEV`, …).
   */
  joinGroup(group: string, options: { iface?: string; source?: string } = {}): void {
    this.#membership("join", group, options);
  }

  /** Leaves a multicast group joined with {@link joinGroup} (the same `iface` and `source`). */
  leaveGroup(group: string, options: { iface?: string; source?: string } = {}): void {
    this.#membership("leave", group, options);
  }

  #membership(what: "join" | "leave", group: string, options: { iface?: string; source?: string }) {
    if (!isMulticast(group)) {
      throw new SocketError(
        "ERR_INVALID_ADDRESS",
        `${JSON.stringify(group)} is not a multicast group address (224.0.0.0/4 or ff00::/8)`,
      );
    }
    checkOptionNames(`${what}Group()`, options, MEMBERSHIP);
    const { iface, source } = options;
    // The kernel refuses a second identical join with EADDRINUSE (Node, Bun); Deno says
    // EINVAL, so sockit refuses it itself.
    const key = `${source ?? ""}>${group}%${iface ?? ""}`;
    if (what === "join" && this.#groups.has(key)) {
      throw new SocketError("EADDRINUSE", `already a member of ${group} there`);
    }
    this.#call(() => {
      if (source === undefined) {
        if (what === "join") this.#ds.addMembership(group, iface);
        else this.#ds.dropMembership(group, iface);
      } else if (what === "join") this.#ds.addSourceSpecificMembership(source, group, iface);
      else this.#ds.dropSourceSpecificMembership(source, group, iface);
    });
    if (what === "join") this.#groups.add(key);
    else this.#groups.delete(key);
  }

  /** `SO_BROADCAST` on or off. */
  setBroadcast(on: boolean): void {
    this.#call(() => this.#ds.setBroadcast(on));
    this.#broadcast = on;
  }

  /** Unicast hops, 1–255. @throws SocketError `ERR_INVALID_ARGUMENT` out of range. */
  setTtl(hops: number): void {
    const ttl = checkInteger("ttl", hops, 1, 255);
    this.#call(() => this.#ds.setTTL(ttl));
  }

  /** Multicast hops, 0–255 (0: this host only). @throws SocketError `ERR_INVALID_ARGUMENT`. */
  setMulticastTtl(hops: number): void {
    const ttl = checkInteger("multicastTtl", hops, 0, 255);
    this.#call(() => this.#ds.setMulticastTTL(ttl));
  }

  /** Whether this host's own members receive the multicast it sends. */
  setMulticastLoopback(on: boolean): void {
    this.#call(() => this.#ds.setMulticastLoopback(on));
  }

  /** The interface (by one of its local addresses) that sends multicast. */
  setMulticastInterface(address: string): void {
    this.#call(() => this.#ds.setMulticastInterface(address));
  }

  /** Runs a socket-option call, turning Node's throw into a coded error. */
  #call(option: () => unknown): void {
    if (!this.#open) throw socketClosedError();
    try {
      option();
    } catch (error) {
      throw toSocketError(error);
    }
  }
}
