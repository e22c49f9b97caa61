/**
 * `listen -k` (ncat's `--keep-open` without `--broker`): many connections at once; each
 * chunk of stdin goes to every connected client, and every client's data to stdout. With
 * `-e`/`-c` each client gets its own program instead. With `-v` on a terminal, a live table
 * of the connections is drawn on stderr.
 *
 * @module
 */
import { once } from "node:events";
import { PassThrough } from "node:stream";
import type { Server, Socket } from "../index.js";
import type { BridgeTap } from "./bridge.js";
import { exit, type Log, onStopSignal, peerOf, type StopSignal } from "./common.js";
import type { SessionFlags } from "./flags.js";
import { LiveTable, type Row } from "./live-table.js";
import { runSession, SessionContext } from "./session.js";

/**
 * Reads stdin once and hands each chunk to every client's own stream, waiting for the slowest
 * (backpressure: stdin is not read while a client cannot take more). A client that connects
 * after the end of stdin gets an ended stream: the bridge half-closes at once.
 */
export class StdinHub {
  readonly #clients = new Set<PassThrough>();
  #ended = false;

  /** A stream of stdin from now on, for one client; ends with stdin. */
  attach(): PassThrough {
    const stream = new PassThrough();
    if (this.#ended) stream.end();
    else {
      this.#clients.add(stream);
      stream.once("close", () => this.#clients.delete(stream));
    }
    return stream;
  }

  /** Copies stdin to every client until its end, then ends their streams. */
  async run(): Promise<void> {
    for await (const chunk of process.stdin) {
      const waits: Promise<unknown>[] = [];
      for (const client of this.#clients) {
        if (!client.write(chunk)) {
          waits.push(Promise.race([once(client, "drain"), once(client, "close")]));
        }
      }
      await Promise.all(waits);
    }
    this.#ended = true;
    for (const client of this.#clients) client.end();
  }
}

/** Serves every connection until SIGINT or SIGTERM (the normal end of a server: exit 0). */
export async function serveMany(server: Server, flags: SessionFlags, log: Log): Promise<void> {
  const table =
    flags.verbose && process.stderr.isTTY === true ? new LiveTable(process.stderr) : undefined;
  const context = new SessionContext(flags, table?.log ?? log);
  await context.recorder.opened();
  // Every client writes to stdout and listens for its errors and drains.
  process.stdout.setMaxListeners(0);
  const hub = context.program === undefined && !flags.recvOnly ? new StdinHub() : undefined;
  void hub?.run().catch((error: unknown) => context.log(`stdin: ${String(error)}`));
  let conn = 0;
  server.on("connection", (socket: Socket) => {
    serveClient(socket, ++conn, context, hub, table);
  });
  table?.draw();
  const signal = await new Promise<StopSignal>(onStopSignal);
  table?.stop();
  context.log(`stopping on ${signal}`);
  await server.closeAll();
  await context.recorder.close();
  await exit(0);
}

/** Runs the session of client `id` (its share of stdin from `hub`), and its row in `table`. */
function serveClient(
  socket: Socket,
  id: number,
  context: SessionContext,
  hub: StdinHub | undefined,
  table: LiveTable | undefined,
): void {
  const row = table === undefined ? undefined : addRow(table, id, socket);
  void runSession(socket, context, "connection from", {
    ...(hub === undefined ? {} : { streams: { input: hub.attach(), output: process.stdout } }),
    ...(row === undefined ? {} : { tap: countInto(row) }),
    // As ncat -k: a client's end of stream closes it (stdin is shared, never done for one).
    endOnPeerEof: true,
  })
    .then(() => table?.close(id, "closed"))
    .catch((error: { code?: string }) => {
      table?.close(id, error.code === undefined ? "failed" : `closed (${error.code})`);
    });
  if (row === undefined) return;
  row.peer =
    socket.info().remoteAddress === undefined
      ? "unix"
      : `${socket.info().remoteAddress}:${socket.info().remotePort}`;
}

/** A new open row in the live table for client `id`. */
function addRow(table: LiveTable, id: number, socket: Socket): Row {
  const row: Row = {
    peer: peerOf(socket.info()),
    since: performance.now(),
    received: 0,
    sent: 0,
    state: "open",
  };
  table.rows.set(id, row);
  return row;
}

/** A tap that counts a client's bytes each way into its row. */
function countInto(row: Row): BridgeTap {
  return {
    sent: (bytes: Buffer) => {
      row.sent += bytes.length;
    },
    received: (bytes: Buffer) => {
      row.received += bytes.length;
    },
  };
}
