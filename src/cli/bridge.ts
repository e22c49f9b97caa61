/**
 * The stdin/stdout bridge that `connect` and `listen` share: bytes in both directions,
 * binary-safe, with backpressure both ways, and ncat's half-close on end of input.
 *
 * The bridge ends when both directions are done, as ncat and socat do: the peer's FIN ends
 * the output only, and input goes on being sent until its own end (then our FIN). A peer
 * that half-closes at once (`ncat -l < /dev/null`) still receives every byte; a peer that is
 * gone entirely makes the next send fail, which is reported, never silently dropped.
 * The one exception is a terminal on stdin (`endOnPeerEof`): nothing is pending there, and a
 * person expects the session to end when the server closes, as telnet does.
 *
 * @module
 */
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { EolConverter, type Socket, SocketError } from "../index.js";
import { closedLine, type Log } from "./common.js";

/** The local ends of a bridge; stdin and stdout unless a caller gives others. */
export interface BridgeStreams {
  input: Readable;
  output: Writable;
}

const STDIO: BridgeStreams = { input: process.stdin, output: process.stdout };

/** How a bridge runs. */
export interface BridgeOptions {
  /** The local ends. @default stdin and stdout */
  streams?: BridgeStreams;
  /**
   * Send every line ending of the input (LF, CR or CRLF) as CRLF (`--crlf`), for protocols
   * that want CRLF (SMTP, HTTP, Telnet). A CR at the end of one chunk of input and an LF at
   * the start of the next are one line ending; that CR waits for the next chunk (or end of
   * input) to be sent. The other direction is never converted.
   */
  crlf?: boolean;
  /**
   * End the bridge at the peer's end of stream even while input is open. For a terminal on
   * stdin only: a pipe or file may still hold bytes to send. @default stdin is a TTY
   */
  endOnPeerEof?: boolean;
}

/**
 * Copies `input` to the socket until end of input, then half-closes (FIN). Rejects with the
 * send's error (the peer is gone: `EPIPE`, `ECONNRESET`) or the input's error, so that
 * input that could not be sent is always reported.
 */
async function pumpInput(
  socket: Socket,
  input: Readable,
  crlf: boolean,
  stopped: () => boolean,
): Promise<void> {
  const eol = crlf ? new EolConverter("crlf") : undefined;
  try {
    for await (const chunk of input) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      const data = eol === undefined ? bytes : eol.push(bytes);
      // Waiting for each send is the backpressure: stdin is not read while the socket is full.
      // (A chunk that was only a held-back CR has nothing to send yet.)
      if (data.length > 0) await socket.send(data);
    }
  } catch (error) {
    if (stopped()) return;
    throw error;
  }
  if (stopped()) return;
  const tail = eol?.end();
  if (tail !== undefined && tail.length > 0) await socket.send(tail);
  await socket.end();
}

/** Copies the socket to `output` until the peer's end of stream; rejects with the socket's error. */
async function pumpOutput(socket: Socket, output: Writable): Promise<void> {
  for (;;) {
    // Read only when the output has room, so a slow reader of stdout slows the peer down.
    const data = await socket.readAvailable();
    if (data.length === 0) return;
    if (!output.write(data)) await once(output, "drain");
  }
}

/** Turns an error of the output stream into the `SocketError` the command reports. */
function outputFailure(error: Error, output: Writable): SocketError {
  const code = (error as { code?: unknown }).code;
  // Named like a network error (`sockit: EPIPE stdout`): the reader of stdout went away.
  return new SocketError(typeof code === "string" ? code : "EIO", error.message, {
    cause: error,
    address: output === process.stdout ? "stdout" : "output",
  });
}

/**
 * Bridges a connected socket with stdin and stdout until both directions are done: the
 * peer's end of stream and the end of input (sent, then half-closed). Rejects with the
 * first error: the socket's (`ECONNRESET`, `EPIPE` for input the peer can no longer take),
 * the output's (`EPIPE stdout`) or the input's.
 */
export async function bridge(socket: Socket, options: BridgeOptions = {}): Promise<void> {
  const { input, output } = options.streams ?? STDIO;
  const endOnPeerEof =
    options.endOnPeerEof ?? (input === process.stdin && process.stdin.isTTY === true);
  let outputError: SocketError | undefined;
  let stopped = false;
  const stopInput = (): void => {
    stopped = true;
    // A pending read of stdin would keep the process alive.
    input.destroy();
  };
  // Without a listener, an EPIPE on stdout would crash the process instead of ending the bridge.
  const onOutputError = (error: Error): void => {
    outputError ??= outputFailure(error, output);
    void socket.destroy();
  };
  output.on("error", onOutputError);
  const sending = pumpInput(socket, input, options.crlf ?? false, () => stopped);
  const receiving = pumpOutput(socket, output).then(() => {
    if (endOnPeerEof) stopInput();
  });
  try {
    await Promise.all([sending, receiving]);
  } catch (error) {
    throw outputError ?? error;
  } finally {
    output.off("error", onOutputError);
    stopInput();
  }
  if (outputError !== undefined) throw outputError;
}

/**
 * Runs {@link bridge}, then closes the socket (gracefully after a clean end, at once after an
 * error), logs `closed` with the error code if any, and rethrows the bridge's error.
 */
export async function bridgeAndClose(
  socket: Socket,
  log: Log,
  options: BridgeOptions = {},
): Promise<void> {
  let failure: unknown;
  try {
    await bridge(socket, options);
  } catch (error) {
    failure = error;
  }
  const closed = failure === undefined ? await socket.close() : await socket.destroy();
  log(closedLine(closed.error));
  if (failure !== undefined) throw failure;
}
