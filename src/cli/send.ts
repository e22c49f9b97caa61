/**
 * `sockit send FILE TARGET`: a file to a peer with a progress bar on stderr (Xojo
 * `SendProgress`/`SendComplete`), then the peer's reply to stdout until it closes.
 *
 * @module
 */
import { Presets, SingleBar } from "cli-progress";
import { connect } from "../index.js";
import { exit, type Log, onStopSignal, peerOf, STOP_SIGNALS } from "./common.js";
import { PROGRESS_FORMAT, progressTokens, RateMeter } from "./progress.js";
import { clientConnectOptions, type TlsFlags } from "./tls-flags.js";

/** Options of `sockit send`. */
export interface SendCommandOptions extends TlsFlags {
  /** Connect timeout in milliseconds (`--timeout`); absent or 0: none. */
  timeout?: number;
}

/**
 * Connects, sends `file` with a progress bar (drawn when stderr is a terminal), half-closes,
 * and copies the peer's reply to stdout until it closes. SIGINT or SIGTERM aborts the send:
 * `aborted after N of M bytes` on stderr, the connection reset, exit 130 or 143.
 * @throws (rejects) `ERR_INVALID_ADDRESS` (bad usage), the file's error (`ENOENT`, `EISDIR`:
 * nothing is sent), or the connect or socket error.
 */
export async function runSend(
  file: string,
  target: string,
  options: SendCommandOptions,
  log: Log,
): Promise<void> {
  const socket = connect(target, clientConnectOptions(options));
  const aborter = new AbortController();
  let stoppedBy: keyof typeof STOP_SIGNALS | undefined;
  onStopSignal((signal) => {
    stoppedBy ??= signal;
    aborter.abort();
  });
  try {
    const info = await socket.opened;
    log(`connected to ${peerOf(info, target)}`);
    const bar = new SingleBar(
      { format: PROGRESS_FORMAT, fps: 5, etaBuffer: 1 },
      Presets.shades_classic,
    );
    const meter = new RateMeter();
    let started = false;
    let total: number | undefined;
    socket.on("progress", ({ bytesSent, bytesTotal }) => {
      // bytesSent counts what the kernel took: the rate and ETA come from it alone.
      const now = performance.now();
      meter.add(now, bytesSent);
      total = bytesTotal;
      const tokens = progressTokens(bytesSent, bytesTotal, meter.rate(now));
      if (!started) bar.start(bytesTotal ?? bytesSent, 0, tokens);
      started = true;
      bar.update(bytesSent, tokens);
    });
    const result = await socket.sendFile(file, { signal: aborter.signal }).finally(() => {
      if (started) bar.stop();
    });
    if (result.userAborted) {
      const of = total === undefined ? "" : ` of ${total}`;
      process.stderr.write(`aborted after ${result.bytesSent}${of} bytes\n`);
      await socket.reset(); // a reset, not a FIN: bytes still queued must not leave
      await exit(STOP_SIGNALS[stoppedBy ?? "SIGINT"]);
    }
    log(`sent ${result.bytesSent} bytes`);
    await socket.end();
    for await (const chunk of socket) process.stdout.write(chunk);
    await socket.close();
  } catch (error) {
    await socket.destroy();
    throw error;
  }
}
