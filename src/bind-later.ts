/**
 * A client socket whose local address is a name (`connect(t, { localAddress: "lo" })`): the
 * socket is handed out at once on a placeholder transport, the name is looked up, then the
 * real transport is opened and put in place, as a proxy tunnel's is.
 *
 * @module
 */
import type { Socket as NetSocket } from "node:net";
import type { SocketError } from "./errors.js";
import { type LocalBind, resolveLocalBind } from "./local-address.js";
import { attachTunnel, type Socket } from "./socket.js";

/**
 * Resolves `local` (its `localAddress` a name) for a connection to `remoteHost`, then calls
 * `open` with the bind made of IP addresses. A transport `open` returns is put under
 * `socket` (and destroyed when the socket no longer wants it); `open` returning undefined
 * has handed the socket its transport itself. A failed lookup destroys `socket` with
 * `ERR_UNKNOWN_INTERFACE`, which rejects `opened`. Nothing is opened once the socket has
 * closed (destroyed, aborted, `connectTimeout`) during the lookup.
 */
export function bindWhenResolved(
  socket: Socket<unknown>,
  local: LocalBind,
  remoteHost: string,
  open: (local: LocalBind) => NetSocket | undefined,
): void {
  let closed = false;
  void socket.closed.then(() => {
    closed = true;
  });
  resolveLocalBind(local, remoteHost).then(
    (bind) => {
      if (closed) return;
      const transport = open(bind);
      if (transport !== undefined && !socket[attachTunnel](transport)) transport.destroy();
    },
    (error: unknown) => void socket.destroy(error as SocketError),
  );
}
