/**
 * `-o FILE` and `-x FILE` (ncat's `--output` and `--hex-dump`): a copy of the session's data,
 * both directions in the order they passed, raw or as a hex dump. Several connections of
 * `listen -k` share the files; each hex line names its direction and its connection.
 *
 * @module
 */
import { createWriteStream, type WriteStream } from "node:fs";

/** One hex dump line per 16 bytes: `> #1 00000010  68 65 6c 6c 6f …  |hello.|`. */
export function hexDumpLines(
  direction: ">" | "<",
  conn: number,
  offset: number,
  bytes: Buffer,
): string {
  let text = "";
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = [...row].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...row]
      .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "."))
      .join("");
    const where = (offset + at).toString(16).padStart(8, "0");
    text += `${direction} #${conn} ${where}  ${hex.padEnd(47)}  |${ascii}|\n`;
  }
  return text;
}

/** The files of `-o` and `-x`, opened once, written in order. */
export class Recorder {
  readonly #raw: WriteStream | undefined;
  readonly #hex: WriteStream | undefined;

  /** Opens (truncates) the files; a file that cannot be opened is reported by {@link opened}. */
  constructor(output: string | undefined, hexDump: string | undefined) {
    this.#raw = output === undefined ? undefined : createWriteStream(output);
    this.#hex = hexDump === undefined ? undefined : createWriteStream(hexDump);
  }

  /** Whether any file is being written. */
  get active(): boolean {
    return this.#raw !== undefined || this.#hex !== undefined;
  }

  /** Resolves once the files are open; rejects with the error (`ENOENT`, `EACCES`, …). */
  async opened(): Promise<void> {
    const open = (stream: WriteStream | undefined): Promise<void> =>
      stream === undefined
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            stream.once("ready", () => resolve());
            stream.once("error", reject);
          });
    await Promise.all([open(this.#raw), open(this.#hex)]);
  }

  /** A tap for one connection: `sent` and `received` record its bytes. */
  tap(conn: number): { sent: (bytes: Buffer) => void; received: (bytes: Buffer) => void } {
    const offsets = { ">": 0, "<": 0 };
    const record = (direction: ">" | "<", bytes: Buffer): void => {
      this.#raw?.write(bytes);
      this.#hex?.write(hexDumpLines(direction, conn, offsets[direction], bytes));
      offsets[direction] += bytes.length;
    };
    return { sent: (bytes) => record(">", bytes), received: (bytes) => record("<", bytes) };
  }

  /** Flushes and closes the files. */
  async close(): Promise<void> {
    const end = (stream: WriteStream | undefined): Promise<void> =>
      stream === undefined || stream.destroyed
        ? Promise.resolve()
        : new Promise((resolve) => stream.end(() => resolve()));
    await Promise.all([end(this.#raw), end(this.#hex)]);
  }
}
