/**
 * One connection's session, for `connect` and each connection of `listen`: the bridge with
 * stdin/stdout or with a `-e`/`-c` program, what is printed (`--lines`, `--frames`, `--json`),
 * what is recorded (`-o`, `-x`), and the `-v` and JSON events around it.
 *
 * @module
 */
import type { Socket, SocketInfo } from "../index.js";
import { type BridgeOptions, type BridgeStreams, type BridgeTap, bridge } from "./bridge.js";
import { closedLine, type Log, localOf, peerOf } from "./common.js";
import { type ExecSpec, type Program, startProgram } from "./exec.js";
import type { SessionFlags } from "./flags.js";
import { Encoder, type JsonEvent, jsonLine, Printer } from "./format.js";
import { Recorder } from "./record.js";
import { describeTls } from "./tls-flags.js";

/** What every session of one command shares. */
export class SessionContext {
  readonly flags: SessionFlags;
  readonly log: Log;
  readonly recorder: Recorder;
  #next = 1;

  constructor(flags: SessionFlags, log: Log) {
    this.flags = flags;
    this.log = log;
    this.recorder = new Recorder(flags.output, flags.hexDump);
  }

  /** A number for the next connection (JSON `conn`, hex dump `#n`). */
  nextConn(): number {
    return this.#next++;
  }

  /** Prints a JSON event on stdout with `--json`. */
  json(event: JsonEvent): void {
    if (this.flags.json) process.stdout.write(jsonLine(event));
  }

  /** Prints the JSON `error` event for a command that fails (`--json`). */
  error(error: unknown, peer: string): void {
    const coded = (error ?? {}) as { code?: unknown; message?: unknown; address?: unknown };
    this.json({
      event: "error",
      code: typeof coded.code === "string" ? coded.code : "ERROR",
      peer: typeof coded.address === "string" ? coded.address : peer,
      message: typeof coded.message === "string" ? coded.message : String(error),
    });
  }

  /** The program `-e`/`-c` asks for, if any. */
  get program(): ExecSpec | undefined {
    if (this.flags.exec !== undefined) return { exec: this.flags.exec };
    if (this.flags.shExec !== undefined) return { shell: this.flags.shExec };
    return undefined;
  }

  /** Whether received bytes are printed other than raw. */
  printer(conn: number): Printer | undefined {
    const { lines, frames, hex, json } = this.flags;
    if (!lines && frames === undefined && !json) return undefined;
    const split = lines ? "lines" : (frames ?? "none");
    return new Printer({ split, hex: hex ?? false, json: json ?? false }, conn);
  }

  encoder(): Encoder {
    const { crlf, frames, hex } = this.flags;
    return new Encoder({
      crlf: crlf ?? false,
      hex: hex ?? false,
      ...(frames === undefined ? {} : { frames }),
    });
  }
}

/** How one session is wired, besides the context. */
export interface SessionOptions {
  /** The local ends instead of stdin/stdout (a client's share of stdin in `listen -k`). */
  streams?: BridgeStreams;
  /** Also sees every byte (the live table). */
  tap?: BridgeTap;
  /** Whether the peer's end of stream ends the session (a terminal on stdin). */
  endOnPeerEof?: boolean;
  /** How `-v` names the peer, when not by its address: `TARGET through PROXY`. */
  peer?: string;
}

/** The `connected` line of `-v` and its JSON event. */
function announce(
  context: SessionContext,
  conn: number,
  info: SocketInfo,
  verb: string,
  named?: string,
): string {
  const peer = named ?? peerOf(info);
  const local = localOf(info);
  context.log(
    `${verb} ${peer}${verb === "connected to" && local !== undefined ? ` from ${local}` : ""}`,
  );
  const secure = describeTls(info);
  if (secure !== undefined) context.log(`secured: ${secure}`);
  context.json({ event: "connected", conn, peer, local, tls: info.tls?.protocol ?? undefined });
  return peer;
}

/** One tap for `-x`/`--hex-dump` recording and the caller's own, or none. */
function combinedTap(
  context: SessionContext,
  conn: number,
  own: BridgeTap | undefined,
): BridgeTap | undefined {
  const recording = context.recorder.active ? context.recorder.tap(conn) : undefined;
  if (recording === undefined && own === undefined) return undefined;
  return {
    sent: (b) => {
      recording?.sent(b);
      own?.sent(b);
    },
    received: (b) => {
      recording?.received(b);
      own?.received(b);
    },
  };
}

/**
 * Runs a session on a connected socket to its end, closes the socket, and rejects with the
 * session's error. `verb` is `connected to` or `connection from`, as `-v` prints it.
 */
export async function runSession(
  socket: Socket,
  context: SessionContext,
  verb: string,
  options: SessionOptions = {},
): Promise<void> {
  const conn = context.nextConn();
  const info = socket.info();
  const peer = announce(context, conn, info, verb, options.peer);
  const tap = combinedTap(context, conn, options.tap);
  const spec = context.program;
  let failure: unknown;
  const program =
    spec === undefined
      ? undefined
      : await startProgram(spec, { SOCKIT_PEER: peer }).catch((error: unknown) => {
          failure = error;
          return undefined;
        });
  if (failure === undefined) {
    const wiring = bridgeOptions(context, conn, peer, program, options, tap);
    await bridge(socket, wiring).catch((error: unknown) => {
      failure = error;
    });
  }
  program?.stop();
  await closeSession(socket, context, conn, peer, failure);
  if (failure !== undefined) throw failure;
}

/**
 * The bridge of one session: with a `-e`/`-c` program, its streams (the program's exit ends
 * the session, the peer's end of stream ends its stdin); else the caller's streams (or
 * stdin/stdout) and the printer of `--lines`/`--frames`/`--json`.
 */
function bridgeOptions(
  context: SessionContext,
  conn: number,
  peer: string,
  program: Program | undefined,
  options: SessionOptions,
  tap: BridgeTap | undefined,
): BridgeOptions {
  const { flags } = context;
  const printer = program === undefined ? context.printer(conn) : undefined;
  return {
    encoder: context.encoder(),
    send: flags.recvOnly !== true,
    receive: flags.sendOnly !== true,
    peer,
    ...(program === undefined
      ? options.streams === undefined
        ? {}
        : { streams: options.streams }
      : {
          streams: program.streams,
          endOutput: true,
          inputEndsSession: true,
          endOnPeerEof: false,
        }),
    ...(printer === undefined ? {} : { printer }),
    ...(options.endOnPeerEof === undefined || program !== undefined
      ? {}
      : { endOnPeerEof: options.endOnPeerEof }),
    ...(flags.idleTimeout === undefined ? {} : { idleTimeout: flags.idleTimeout }),
    ...(tap === undefined ? {} : { tap }),
  };
}

/**
 * Closes the socket (destroys it after a `failure`), then the `-v` line and the JSON
 * `closed` event, with the failure's code or the close's.
 */
async function closeSession(
  socket: Socket,
  context: SessionContext,
  conn: number,
  peer: string,
  failure: unknown,
): Promise<void> {
  const closed = failure === undefined ? await socket.close() : await socket.destroy();
  context.log(closedLine(closed.error, context.flags.keepOpen ? peer : undefined));
  const code = (failure as { code?: unknown } | undefined)?.code ?? closed.error?.code;
  context.json({ event: "closed", conn, peer, error: typeof code === "string" ? code : undefined });
}
