/**
 * `listen()`: checks the options, makes a {@link Server} and has it bind.
 *
 * @module
 */
import { parseLocal, type TargetInput } from "./address.js";
import { checkInteger, checkOptions } from "./arguments.js";
import { abortedError, SocketError } from "./errors.js";
import { checkOptionNames, LISTEN, TLS_SERVER } from "./options.js";
import { proxyGate } from "./proxy-protocol/accept.js";
import { Server } from "./server.js";
import type { ConnectionHandler, ListenOptions } from "./server-types.js";
import { resolveSocketOptions } from "./socket-options.js";

/**
 * Listens for connections (Tcl `socket -server`, hs.socket `server`/`listen`, Xojo
 * `ServerSocket`). Resolves once listening. `target` is `"port"`, `":port"`, `"host:port"`,
 * `"[v6]:port"`, `"unix:/path"`, a port number, or an object; port 0 picks a free port
 * (read it from `server.port`). Without a host it listens on every interface, IPv6 and IPv4
 * both where the system has them. The host may be an interface name (`"lo:0"`,
 * CocoaAsyncSocket's `"en1:port"`) or a host name; one that stands for several addresses
 * (`127.0.0.1` and `::1`) is listened on at every one of them, on one port (Tcl `-myaddr`):
 * `server.addresses` lists them, and one handler, iterator, `maxConnections` and `stats`
 * serve them all. The port may be a service name (`":http"`). Accepted sockets get ids 1,
 * 2, … in order.
 *
 * @throws (rejects) `ERR_INVALID_ADDRESS`, `ERR_INVALID_ARGUMENT`, `ERR_UNKNOWN_SERVICE`,
 * `ERR_UNKNOWN_INTERFACE` (a name that is no interface and does not resolve), `EADDRINUSE`
 * (also for a Unix path another server is listening on), `EACCES` (a privileged port),
 * `EADDRNOTAVAIL`.
 * @example
 * ```ts
 * const server = await listen(0, (socket) => {
 *   socket.write("hello\n");
 * });
 * const client = connect(`127.0.0.1:${server.port}`);
 * await client.readLine(); // <Buffer "hello">
 * ```
 */
export async function listen<Data = unknown>(
  target: TargetInput | number,
  optionsOrHandler?: ListenOptions<Data> | ConnectionHandler<Data>,
  handler?: ConnectionHandler<Data>,
): Promise<Server<Data>> {
  const local = parseLocal(target);
  const options =
    typeof optionsOrHandler === "function" ? {} : checkOptions("options", optionsOrHandler, {});
  if (handler !== undefined && typeof handler !== "function") {
    throw new SocketError("ERR_INVALID_ARGUMENT", "the connection handler must be a function");
  }
  const onConnection = typeof optionsOrHandler === "function" ? optionsOrHandler : handler;
  checkOptionNames("listen()", options, LISTEN);
  if (options.data !== undefined && typeof options.data !== "function") {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      "listen()'s data must be a function that makes each connection's data",
    );
  }
  if (options.tls !== undefined) checkOptionNames("listen() tls", options.tls, TLS_SERVER);
  const idleTimeout = checkInteger("idleTimeout", options.idleTimeout ?? 0, 0, 2 ** 31 - 1);
  if (idleTimeout > 0 && (options.timeout ?? 0) > 0) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      "give idleTimeout (the server drops idle connections) or timeout (it only emits 'timeout'), not both",
    );
  }
  // Checked once, not per connection; `idleTimeout` is also the accepted sockets' idle timer.
  const resolved = resolveSocketOptions(options);
  const gate = proxyGate(options);
  const allowHalfOpen = options.allowHalfOpen ?? false;
  const transport = { tls: options.tls, allowHalfOpen, gate };
  const { signal } = options;
  if (signal?.aborted) throw abortedError("listen", signal.reason);
  const server = new Server<Data>(local, resolved, transport, onConnection);
  await server.start(options);
  if (signal !== undefined) {
    const stop = (): void => void server.closeAll();
    if (signal.aborted) stop();
    else {
      signal.addEventListener("abort", stop, { once: true });
      server.once("close", () => signal.removeEventListener("abort", stop));
    }
  }
  return server;
}
