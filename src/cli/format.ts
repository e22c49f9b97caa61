/**
 * What a session prints and sends besides raw bytes: `--lines` and `--frames` cut what the
 * peer sends into messages printed one per line (the bytes, or `--hex`), `--json` prints one
 * event per line for scripts, and with `--frames` each line of stdin is sent as one frame.
 *
 * @module
 */
import { isUtf8 } from "node:buffer";
import {
  type Decoder,
  EolConverter,
  encodeFrame,
  type FrameOptions,
  frameDecoder,
  IncompleteReadError,
  LineDecoder,
  ReceiveBuffer,
  SocketError,
} from "../index.js";

/** How received bytes are printed. */
export interface PrintFormat {
  /** Cut into lines (`--lines`), frames (`--frames`), or not at all. */
  split: "none" | "lines" | FrameOptions;
  /** Print messages as hex (`--hex`). */
  hex: boolean;
  /** One JSON event per line (`--json`). */
  json: boolean;
}

/** One JSON event (`--json`): `connected`, `data`, `closed`, `error`, `listening`. */
export type JsonEvent = { event: string } & Record<string, string | number | undefined>;

/** One line of JSON for `event`, without its undefined fields. */
export function jsonLine(event: JsonEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** A message's bytes for JSON: `text` when they are UTF-8, else `base64`. */
export function jsonData(bytes: Buffer): { text: string } | { base64: string } {
  return isUtf8(bytes) ? { text: bytes.toString("utf8") } : { base64: bytes.toString("base64") };
}

/**
 * Turns the bytes a peer sends into what stdout shows. `conn` names the connection in JSON
 * events (a number, for scripts to tell clients of `listen -k` apart).
 */
export class Printer {
  readonly #format: PrintFormat;
  readonly #conn: number;
  readonly #buffer = new ReceiveBuffer();
  readonly #decoder: Decoder | undefined;

  constructor(format: PrintFormat, conn: number) {
    this.#format = format;
    this.#conn = conn;
    const { split } = format;
    this.#decoder =
      split === "none" ? undefined : split === "lines" ? new LineDecoder() : frameDecoder(split);
  }

  /** What to print for a chunk received. @throws FrameTooLongError for an over-long message. */
  data(chunk: Buffer): (string | Buffer)[] {
    if (this.#decoder === undefined) return [this.#message(chunk, false)];
    this.#buffer.append(chunk);
    const out: (string | Buffer)[] = [];
    for (let message = this.#decoder.decode(this.#buffer); message !== null; ) {
      out.push(this.#message(message, true));
      message = this.#decoder.decode(this.#buffer);
    }
    return out;
  }

  /**
   * What to print at the peer's end of stream: a last line without its ending; a frame cut
   * short is printed too, and reported as `ERR_INCOMPLETE_READ` by the caller.
   */
  end(): { out: (string | Buffer)[]; incomplete?: SocketError } {
    if (this.#decoder === undefined) return { out: [] };
    try {
      const last = this.#decoder.decodeEof(this.#buffer);
      return { out: last === null ? [] : [this.#message(last, true)] };
    } catch (error) {
      if (!(error instanceof IncompleteReadError)) throw error;
      const partial = Buffer.from(error.partial);
      return { out: [this.#message(partial, true)], incomplete: error };
    }
  }

  #message(bytes: Buffer, framed: boolean): string | Buffer {
    if (this.#format.json) {
      return jsonLine({ event: "data", conn: this.#conn, bytes: bytes.length, ...jsonData(bytes) });
    }
    if (!framed) return bytes;
    if (this.#format.hex) return `${bytes.toString("hex")}\n`;
    return Buffer.concat([bytes, Buffer.from("\n")]);
  }
}

/** How stdin becomes bytes for the peer. */
export interface SendFormat {
  /** Line endings as CRLF (`-C`). */
  crlf: boolean;
  /** Each line of input sent as one frame (`--frames`). */
  frames?: FrameOptions;
  /** With `frames`: lines are hex (`--hex`). */
  hex: boolean;
}

/** Turns chunks of stdin into the bytes to send (CRLF, frames) or passes them through. */
export class Encoder {
  readonly #format: SendFormat;
  readonly #eol: EolConverter | undefined;
  readonly #lines = new ReceiveBuffer();
  readonly #decoder = new LineDecoder();

  constructor(format: SendFormat) {
    this.#format = format;
    this.#eol = format.crlf && format.frames === undefined ? new EolConverter("crlf") : undefined;
  }

  /** The bytes to send for `chunk` (may be empty: a held-back CR, a partial line). */
  push(chunk: Buffer): Buffer {
    if (this.#format.frames === undefined) return this.#eol?.push(chunk) ?? chunk;
    this.#lines.append(chunk);
    const frames: Buffer[] = [];
    for (let line = this.#decoder.decode(this.#lines); line !== null; ) {
      frames.push(this.#frame(line));
      line = this.#decoder.decode(this.#lines);
    }
    return Buffer.concat(frames);
  }

  /** What is left at the end of input: a held-back CR, or a last line without its ending. */
  end(): Buffer {
    if (this.#format.frames === undefined) return this.#eol?.end() ?? Buffer.alloc(0);
    const rest = this.#lines.takeAll();
    return rest.length === 0 ? rest : this.#frame(rest);
  }

  #frame(line: Buffer): Buffer {
    if (!this.#format.hex) return encodeFrame(line, this.#format.frames);
    const text = line.toString("latin1").replace(/\s+/g, "");
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) {
      throw new SocketError("ERR_INVALID_ARGUMENT", `not hex: ${text.slice(0, 40)}`);
    }
    return encodeFrame(Buffer.from(text, "hex"), this.#format.frames);
  }
}
