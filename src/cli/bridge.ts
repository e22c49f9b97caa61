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
import { type Socket, SocketError, SYSTEM_ERROR_CODES } from "../index.js";
import { CliError, closedLine, type Log } from "./common.js";
import { Encoder, type Printer } from "./format.js";

/** The local ends of a bridge; stdin and stdout unless a caller gives others. */
export interface BridgeStreams {
  input: Readable;
  output: Writable;
}

const STDIO: BridgeStreams = { input: process.stdin, output: process.stdout };

/** Sees every byte of a session, both ways (`-o`, `-x`, the live table's counters). */
export interface BridgeTap {
  sent(bytes: Buffer): void;
  received(bytes: Buffer): void;
}

/** How a bridge runs. */
export interface BridgeOptions {
  /** The local ends. @default stdin and stdout */
  streams?: BridgeStreams;
  /**
   * Send every line ending of the input (LF, CR or CRLF) as CRLF (`--crlf`), for protocols
   * that want CRLF (SMTP, HTTP, Telnet). A CR at the end of one chunk of input and an LF at
   * the start of the next are one line ending; that CR waits for the next chunk (or end of
   * input) to be sent. The other direction is never converted. Ignored when `encoder` is given.
   */
  crlf?: boolean;
  /** Turns input into what is sent (CRLF, frames). @default bytes as they are, or `crlf` */
  encoder?: Encoder;
  /** Turns what the peer sends into what the output gets (`--lines`, `--json`, …). */
  printer?: Printer;
  /** Read input and send it. `false` for `--recv-only`. @default true */
  send?: boolean;
  /** Read the peer and write the output. `false` for `--send-only`. @default true */
  receive?: boolean;
  /**
   * End the bridge at the peer's end of stream even while input is open. For a terminal on
   * stdin only: a pipe or file may still hold bytes to send. @default stdin is a TTY
   */
  endOnPeerEof?: boolean;
  /** End the output stream at the peer's end of stream (a `-e` program's stdin). @default false */
  endOutput?: boolean;
  /**
   * End the bridge once input is done and sent (a `-e` program exited): what the peer sends
   * after that has nowhere to go. @default false
   */
  inputEndsSession?: boolean;
  /** Milliseconds without a byte either way before the bridge fails (`-i`). @default none */
  idleTimeout?: number;
  /** Sees every byte sent and received. */
  tap?: BridgeTap;
  /** The peer's name, for the idle-timeout error. */
  peer?: string;
}

/** What both pumps share. */
interface Pump {
  socket: Socket;
  tap: BridgeTap | undefined;
  activity: () => void;
}

/**
 * Copies `input` to the socket until end of input, then half-closes (FIN). Rejects with the
 * send's error (the peer is gone: `EPIPE`, `ECONNRESET`) or the input's error, so that
 * input that could not be sent is always reported.
 */
async function pumpInput(
  pump: Pump,
  input: Readable,
  encoder: Encoder,
  stopped: () => boolean,
): Promise<void> {
  const send = async (data: Buffer): Promise<void> => {
    // Waiting for each send is the backpressure: stdin is not read while the socket is full.
    // (A chunk that was only a held-back CR or part of a line has nothing to send yet.)
    if (data.length === 0) return;
    pump.activity();
    await pump.socket.send(data);
    pump.tap?.sent(data);
  };
  try {
    for await (const chunk of input) {
      await send(encoder.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer)));
    }
  } catch (error) {
    if (stopped()) return;
    throw error;
  }
  if (stopped()) return;
  await send(encoder.end());
  await pump.socket.end();
}

/** Writes `parts` to `output`, waiting for room. */
async function writeAll(output: Writable, parts: readonly (string | Buffer)[]): Promise<void> {
  for (const part of parts) {
    if (!output.write(part)) await once(output, "drain");
  }
}

/** Copies the socket to `output` until the peer's end of stream; rejects with the socket's error. */
async function pumpOutput(
  pump: Pump,
  output: Writable,
  printer: Printer | undefined,
): Promise<void> {
  for (;;) {
    // Read only when the output has room, so a slow reader of stdout slows the peer down.
    const data = await pump.socket.readAvailable();
    if (data.length === 0) break;
    pump.activity();
    pump.tap?.received(data);
    await writeAll(output, printer === undefined ? [data] : printer.data(data));
  }
  const last = printer?.end();
  if (last === undefined) return;
  await writeAll(output, last.out);
  if (last.incomplete !== undefined) throw last.incomplete;
}

/** Turns an error of the output stream into the `SocketError` the command reports. */
function outputFailure(error: Error, output: Writable): SocketError {
  const code = SYSTEM_ERROR_CODES.find((known) => known === (error as { code?: unknown }).code);
  // Named like a network error (`sockit: EPIPE stdout`): the reader of stdout went away.
  return new SocketError(code ?? "EIO", error.message, {
    cause: error,
    address: output === process.stdout ? "stdout" : "output",
  });
}

/** A timer that fails the bridge after `ms` without activity; `touch()` restarts it. */
function idleTimer(ms: number | undefined, fire: () => void): { touch(): void; stop(): void } {
  if (ms === undefined || ms <= 0) return { touch() {}, stop() {} };
  let timer = setTimeout(fire, ms);
  return {
    touch() {
      clearTimeout(timer);
      timer = setTimeout(fire, ms);
    },
    stop: () => clearTimeout(timer),
  };
}

/**
 * Bridges a connected socket with stdin and stdout until both directions are done: the
 * peer's end of stream and the end of input (sent, then half-closed). Rejects with the
 * first error: the socket's (`ECONNRESET`, `EPIPE` for input the peer can no longer take),
 * the output's (`EPIPE stdout`), the input's, or `ERR_IDLE_TIMEOUT` after `idleTimeout`.
 */
export async function bridge(socket: Socket, options: BridgeOptions = {}): Promise<void> {
  const { input, output } = options.streams ?? STDIO;
  let failure: Error | undefined;
  let stopped = false;
  const stopInput = (): void => {
    stopped = true;
    // A pending read of stdin would keep the process alive.
    input.destroy();
  };
  const fail = (error: Error): void => {
    failure ??= error;
    void socket.destroy();
  };
  const idle = idleTimer(options.idleTimeout, () => {
    const where = options.peer ?? "peer";
    fail(new CliError("ERR_IDLE_TIMEOUT", `${where} (no data for ${options.idleTimeout} ms)`));
  });
  // Without a listener, an EPIPE on stdout would crash the process instead of ending the bridge.
  const onOutputError = (error: Error): void => fail(outputFailure(error, output));
  output.on("error", onOutputError);
  const pump: Pump = { socket, tap: options.tap, activity: idle.touch };
  const { sending, receiving } = startPumps(pump, options, stopInput, () => stopped);
  try {
    await (options.inputEndsSession
      ? Promise.race([sending, receiving.then(() => sending)])
      : Promise.all([sending, receiving]));
  } catch (error) {
    throw failure ?? error;
  } finally {
    idle.stop();
    output.off("error", onOutputError);
    stopInput();
  }
  if (failure !== undefined) throw failure;
}

/**
 * Starts both directions of a bridge, each unless `options` turn it off. After the peer's
 * end of stream, the output is ended (`endOutput`) and the input stopped (`endOnPeerEof`,
 * or nothing is sent).
 */
function startPumps(
  pump: Pump,
  options: BridgeOptions,
  stopInput: () => void,
  stopped: () => boolean,
): { sending: Promise<void>; receiving: Promise<void> } {
  const { input, output } = options.streams ?? STDIO;
  const endOnPeerEof =
    options.endOnPeerEof ?? (input === process.stdin && process.stdin.isTTY === true);
  const encoder = options.encoder ?? new Encoder({ crlf: options.crlf ?? false, hex: false });
  const sending =
    options.send === false ? Promise.resolve() : pumpInput(pump, input, encoder, stopped);
  const receiving =
    options.receive === false
      ? Promise.resolve()
      : pumpOutput(pump, output, options.printer).then(() => {
          if (options.endOutput) output.end();
          if (endOnPeerEof || options.send === false) stopInput();
        });
  // The receiving side may still fail after an input-ended session: already handled here.
  receiving.catch(() => {});
  return { sending, receiving };
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
