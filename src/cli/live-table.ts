/**
 * The live table of `listen -k -v` on a terminal: one row per connection (peer, bytes each
 * way, age, state), redrawn in place on stderr. Only when stderr is a TTY: a log file or a
 * pipe gets the plain `-v` lines instead.
 *
 * @module
 */
import type { Writable } from "node:stream";
import type { Log } from "./common.js";
import { formatBytes, formatDuration } from "./progress.js";

/** One connection as the table shows it. */
export interface Row {
  peer: string;
  /** `performance.now()` when it connected. */
  since: number;
  received: number;
  sent: number;
  /** `open`, `closed`, or `closed (ECONNRESET)`. */
  state: string;
  /** `performance.now()` when it closed. */
  closedAt?: number;
}

/** How long a closed connection stays in the table, in milliseconds. */
export const CLOSED_ROW_MS = 5000;

/** The table's text at `now`: a header and one line per row, columns padded. */
export function renderTable(rows: ReadonlyMap<number, Row>, now: number): string {
  const cells = [["#", "PEER", "IN", "OUT", "AGE", "STATE"]];
  for (const [conn, row] of rows) {
    cells.push([
      String(conn),
      row.peer,
      formatBytes(row.received),
      formatBytes(row.sent),
      formatDuration(((row.closedAt ?? now) - row.since) / 1000),
      row.state,
    ]);
  }
  const widths =
    cells[0]?.map((_, i) => Math.max(...cells.map((line) => line[i]?.length ?? 0))) ?? [];
  const open = [...rows.values()].filter((row) => row.closedAt === undefined).length;
  const body = cells.map((line) =>
    line
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  return `${body.join("\n")}\n${open} open, ${rows.size - open} recently closed\n`;
}

/** The table on a terminal, redrawn at most every `intervalMs` and on each change. */
export class LiveTable {
  readonly rows = new Map<number, Row>();
  readonly #out: Writable;
  #drawnLines = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(out: Writable, intervalMs = 1000) {
    this.#out = out;
    this.#timer = setInterval(() => this.draw(), intervalMs);
    this.#timer.unref();
  }

  /** A `-v` logger that prints above the table. */
  get log(): Log {
    return (line) => {
      this.#erase();
      this.#out.write(`${line}\n`);
      this.draw();
    };
  }

  /** Redraws the table in place, dropping rows closed more than {@link CLOSED_ROW_MS} ago. */
  draw(): void {
    const now = performance.now();
    for (const [conn, row] of this.rows) {
      if (
        row.state !== "open" &&
        now - row.since > CLOSED_ROW_MS &&
        row.state.startsWith("closed")
      ) {
        // `since` of a closed row is its closing time (see close()).
        this.rows.delete(conn);
      }
    }
    this.#erase();
    const text = renderTable(this.rows, now);
    this.#out.write(text);
    this.#drawnLines = text.split("\n").length - 1;
  }

  /** Marks a row closed; it stays a few seconds so that a short connection is seen. */
  close(conn: number, state: string): void {
    const row = this.rows.get(conn);
    if (row === undefined) return;
    row.state = state;
    row.closedAt = performance.now();
    this.draw();
  }

  /** Stops redrawing; the last table stays on screen. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #erase(): void {
    // Up to the table's first line, then clear to the end of the screen.
    if (this.#drawnLines > 0) this.#out.write(`\x1b[${this.#drawnLines}A\x1b[J`);
    this.#drawnLines = 0;
  }
}
