/**
 * `sockit connect TARGET`: stdin to the socket, the socket to stdout, like `nc`.
 *
 * @module
 */
import { connect } from "../index.js";
import { bridgeAndClose } from "./bridge.js";
import { type Log, localOf, peerOf } from "./common.js";
import { clientConnectOptions, describeTls, type TlsFlags } from "./tls-flags.js";

/** Options of `sockit connect`. */
export interface ConnectCommandOptions extends TlsFlags {
  /** Connect timeout in milliseconds (`--timeout`); absent or 0: none. */
  timeout?: number;
  /** Send stdin's line endings (LF, CR or CRLF) as CRLF (`--crlf`, like `nc -C`). */
  crlf?: boolean;
  /** Connect through this proxy (`--proxy URL`, or `env`): the `proxy` option of `connect()`. */
  proxy?: string;
}

/**
 * Connects to `target` and bridges it with stdin and stdout until the peer closes.
 * @throws SocketError `ERR_INVALID_ADDRESS` synchronously for a malformed target (bad
 * usage); rejects with the connect or socket error (`ECONNREFUSED`, `ERR_CONNECT_TIMEOUT`, …).
 */
export async function runConnect(
  target: string,
  options: ConnectCommandOptions,
  log: Log,
): Promise<void> {
  const connectOptions = clientConnectOptions(options);
  if (options.proxy !== undefined) connectOptions.proxy = options.proxy;
  const socket = connect(target, connectOptions);
  const info = await socket.opened;
  const local = localOf(info);
  const peer =
    options.proxy === undefined ? peerOf(info, target) : `${target} through ${peerOf(info)}`; // the TCP peer is the proxy
  log(`connected to ${peer}${local === undefined ? "" : ` from ${local}`}`);
  const secure = describeTls(info);
  if (secure !== undefined) log(`secured: ${secure}`);
  await bridgeAndClose(socket, log, { crlf: options.crlf ?? false });
}
