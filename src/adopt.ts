/**
 * `adopt()`: a sockit {@link Socket} made of a `net.Socket` (or `tls.TLSSocket`) that some
 * other code connected: a proxy library, an HTTP server's `'upgrade'`, a child process's
 * handle.
 *
 * @module
 */
import { Socket as NetSocket } from "node:net";
import { TLSSocket } from "node:tls";
import { type Endpoint, parseTarget, type TargetInput } from "./address.js";
import { SocketError } from "./errors.js";
import { Socket } from "./socket.js";
import { resolveSocketOptions, type SocketOptions } from "./socket-options.js";

/** Options of {@link adopt}. */
export interface AdoptOptions extends Omit<SocketOptions, "allowHalfOpen"> {
  /**
   * Bytes that were read from the connection before it was handed over, delivered before
   * anything else: the `head` of an HTTP server's `'upgrade'` event, say.
   * @default none
   */
  head?: Uint8Array;
  /**
   * Where the connection leads, `"host:port"` (or `"host:port|name"`): the name in error
   * messages, `socket.name`, and the host `startTLS()` verifies. Useful when the socket
   * reaches its host through a tunnel that a library opened.
   * @default the socket's remote address
   */
  target?: TargetInput;
}

const KNOWN = new Set([
  "head",
  "target",
  "frame",
  "timeout",
  "noDelay",
  "keepAlive",
  "readHighWaterMark",
  "writeHighWaterMark",
  "closeTimeout",
  "encoding",
]);

/**
 * Makes a sockit {@link Socket} of an existing, connected (or connecting) `net.Socket` or
 * `tls.TLSSocket`. The bytes already read come first: `head`, then whatever waits in the
 * Node socket's readable buffer, then what arrives. From then on the sockit socket owns the
 * connection: do not read from, write to or listen for data on the Node socket yourself.
 * `allowHalfOpen` stays what the Node socket was made with. A TLS socket is adopted before
 * its TCP connect or after its handshake, not in between. An adopted socket counts as a
 * client: `startTLS()` on one a server accepted takes `{ side: "server", … }`.
 *
 * @param netSocket the connection to take over.
 * @throws SocketError `ERR_INVALID_ARGUMENT` (not a `net.Socket`, a bad or unknown option,
 * a `head` that is not bytes), `ERR_INVALID_ADDRESS` (a malformed `target`),
 * `ERR_INVALID_STATE` (the socket is destroyed, not connected, its stream has already
 * ended, or its TLS handshake is half done).
 * @example
 * ```ts
 * import type { Socket as NetSocket } from "node:net";
 * httpServer.on("upgrade", async (request, netSocket, head) => {
 *   const socket = adopt(netSocket as NetSocket, { head }); // Node types it a Duplex
 *   socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: line\r\nConnection: Upgrade\r\n\r\n");
 *   for await (const line of socket.lines()) socket.write(`${line.toUpperCase()}\n`);
 * });
 * ```
 */
export function adopt<Tag = unknown>(
  netSocket: NetSocket,
  options: AdoptOptions = {},
): Socket<Tag> {
  if (!(netSocket instanceof NetSocket)) {
    throw new SocketError("ERR_INVALID_ARGUMENT", "adopt() takes a net.Socket or tls.TLSSocket");
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new SocketError(
        "ERR_INVALID_ARGUMENT",
        `adopt(): unknown option ${JSON.stringify(key)}`,
      );
    }
  }
  const { head, target: targetInput, ...socketOptions } = options;
  if (head !== undefined && !(head instanceof Uint8Array)) {
    throw new SocketError("ERR_INVALID_ARGUMENT", "head must be a Buffer or Uint8Array");
  }
  const target: Endpoint | undefined =
    targetInput === undefined ? undefined : parseTarget(targetInput);
  const resolved = resolveSocketOptions(socketOptions);
  if (netSocket.destroyed) {
    throw new SocketError("ERR_INVALID_STATE", "adopt(): the socket is already destroyed");
  }
  if (netSocket.readableEnded) {
    // Its 'end' has been emitted to the previous owner: the new one would never see it.
    throw new SocketError("ERR_INVALID_STATE", "adopt(): the socket's stream has already ended");
  }
  if (netSocket.pending && !netSocket.connecting) {
    throw new SocketError("ERR_INVALID_STATE", "adopt(): the socket is not connected");
  }
  if (netSocket instanceof TLSSocket && !netSocket.connecting && !handshaken(netSocket)) {
    throw new SocketError(
      "ERR_INVALID_STATE",
      "adopt(): the TLS handshake is under way: adopt the socket on 'secureConnect' (or 'secureConnection')",
    );
  }
  if (head !== undefined && head.byteLength > 0) {
    netSocket.unshift(Buffer.from(head.buffer, head.byteOffset, head.byteLength));
  }
  const socket = new Socket<Tag>(netSocket, {
    ...(target === undefined ? {} : { target }),
    options: resolved,
  });
  netSocket.resume(); // one paused by its previous owner would never deliver
  return socket;
}

/** Whether both sides' TLS `Finished` messages have gone by: the handshake is over. */
function handshaken(socket: TLSSocket): boolean {
  return socket.getFinished() !== undefined && socket.getPeerFinished() !== undefined;
}
