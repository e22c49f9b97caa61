/**
 * The stdin/stdout bridge that `connect` and `listen` share: bytes in both directions,
 * binary-safe, with backpressure both ways, and `nc`'s half-close on end of input.
 * With `--crlf`, line endings from stdin are sent as CRLF (`nc -C`, `ncat --crlf`); what the
 * peer sends is written to stdout unchanged.
 *
 * @module
 */
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { EolConverter, type Socket, SocketError, SYSTEM_ERROR_CODES } from "../index.js";
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
}

/**
 * Copies `input` to the socket until end of input, then half-closes (FIN) and keeps
 * reading, as ncat does. Never rejects: a send that fails means the socket is closing, and
 * the reading side is the one that reports how it ended.
 */
async function pumpInput(socket: Socket, input: Readable, crlf: boolean): Promise<void> {
  const eol = crlf ? new EolConverter("crlf") : undefined;
  try {
    for await (const chunk of input) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      const data = eol === undefined ? bytes : eol.push(bytes);
      // Waiting for each send is the backpressure: stdin is not read while the socket is full.
      // (A chunk that was only a held-back CR has nothing to send yet.)
      if (data.length > 0) await socket.send(data);
    }
    const tail = eol?.end();
    if (tail !== undefined && tail.length > 0) await socket.send(tail);
    await socket.end();
  } catch {
    // The socket closed under us (peer gone, reset): pumpOutput reports it.
  }
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

/**
 * Bridges a connected socket with stdin and stdout until the peer closes its side.
 * Resolves at the peer's end of stream (whether or not stdin has ended); rejects with the
 * socket's error (`ECONNRESET`, …) or with the output's error (`EPIPE`).
 */
export async function bridge(socket: Socket, options: BridgeOptions = {}): Promise<void> {
  const { input, output } = options.streams ?? STDIO;
  let outputError: SocketError | undefined;
  // Without a listener, an EPIPE on stdout would crash the process instead of ending the bridge.
  const onOutputError = (error: Error): void => {
    const code = SYSTEM_ERROR_CODES.find((known) => known === (error as { code?: unknown }).code);
    // Named like a network error (`sockit: EPIPE stdout`): the reader of stdout went away.
    outputError ??= new SocketError(code ?? "EIO", error.message, {
      cause: error,
      address: output === process.stdout ? "stdout" : "output",
    });
    void socket.destroy();
  };
  output.on("error", onOutputError);
  void pumpInput(socket, input, options.crlf ?? false);
  try {
    await pumpOutput(socket, output);
  } catch (error) {
    throw outputError ?? error;
  } finally {
    output.off("error", onOutputError);
    // The peer is done: input no longer has anywhere to go, and a pending read would keep
    // the process alive.
    input.destroy();
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
