/**
 * `sockit connect TARGET` (or ncat's `sockit HOST PORT`): stdin to the socket, the socket to
 * stdout, like `nc`; or a `-e`/`-c` program's stdio instead, or UDP with `-u`.
 *
 * @module
 */
import { type ConnectOptions, connect } from "../index.js";
import { type Log, peerOf } from "./common.js";
import { joinTarget, normalize, type SessionFlags } from "./flags.js";
import { runSession, SessionContext } from "./session.js";
import { clientConnectOptions, type TlsFlags } from "./tls-flags.js";
import { runUdpConnect } from "./udp-session.js";

/** Options of `sockit connect`: {@link SessionFlags}. */
export interface ConnectCommandOptions extends TlsFlags, SessionFlags {}

/** The connect options the flags ask for: timeout, TLS, `-4`/`-6`, `-s`/`-p`. */
function connectOptions(flags: SessionFlags): ConnectOptions {
  const options: ConnectOptions = {
    ...clientConnectOptions(flags),
    // Half-open: the peer's FIN must not close our side while input is still to be sent.
    allowHalfOpen: true,
  };
  if (flags.ipv4) options.family = 4;
  if (flags.ipv6) options.family = 6;
  if (flags.source !== undefined) options.localAddress = flags.source;
  if (flags.sourcePort !== undefined) options.localPort = flags.sourcePort;
  if (flags.proxy !== undefined) options.proxy = flags.proxy;
  return options;
}

/**
 * Connects to `target` (or `target port`, ncat's two words) and runs the session until both
 * directions are done.
 * @throws SocketError `ERR_INVALID_ADDRESS` synchronously for a malformed target (bad
 * usage); rejects with the connect or socket error (`ECONNREFUSED`, `ERR_CONNECT_TIMEOUT`, …).
 */
export async function runConnect(
  target: string,
  port: string | undefined,
  options: ConnectCommandOptions,
  log: Log,
): Promise<void> {
  const flags = normalize(options);
  const address = joinTarget(target, port, flags);
  const context = new SessionContext(flags, log);
  try {
    await context.recorder.opened();
    if (flags.udp) {
      await runUdpConnect(address, context);
      return;
    }
    const socket = connect(address, connectOptions(flags));
    try {
      await socket.opened;
    } catch (error) {
      await socket.destroy();
      throw error;
    }
    // Through a proxy the TCP peer is the proxy: name the target, then the proxy.
    const peer =
      flags.proxy === undefined ? undefined : `${address} through ${peerOf(socket.info())}`;
    await runSession(socket, context, "connected to", peer === undefined ? {} : { peer });
  } catch (error) {
    context.error(error, address);
    throw error;
  } finally {
    await context.recorder.close();
  }
}
