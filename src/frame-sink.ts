/**
 * `socket.onFrame(handler)`: every length-prefixed payload, by a plain call. The fast path
 * reads a plain length field (1 to 4 bytes, either byte order, nothing else in the header)
 * straight from each chunk and hands out each payload as a view of that chunk; a frame that
 * straddles chunks is completed in the receive buffer (one copy), and every other layout
 * (`offset`, `adjustment`, `strip`, 8-byte fields, varints) goes through the frame decoder.
 * Views of a chunk stay valid after the handler returns (Node gives each `'data'` read a
 * fresh buffer); a payload kept keeps its chunk (up to 64 KiB) in memory. From the recycled
 * read buffer (client sockets), the chunk is copied once and payloads are views of the copy,
 * unless the handler opted into `transient` payloads: views of the recycled buffer itself,
 * valid until the handler returns (no copy at all).
 *
 * @module
 */
import type { Decoder } from "./codec/delimiter.js";
import { type FrameOptions, frameDecoder } from "./codec/frame.js";
import { DEFAULT_MAX_FRAME_LENGTH } from "./codec/length.js";
import { FrameTooLongError } from "./errors.js";
import type { ReceiveBuffer } from "./receive-buffer.js";
import {
  asError,
  callHandler,
  copyOf,
  handlerFailed,
  keep,
  type MessageHandlerOptions,
  Sink,
  type SinkHost,
} from "./sink.js";

/** What `onFrame()` takes besides the frame codec and the handler's outcomes. */
export interface TransientOption {
  /**
   * `true`: each payload may be a view of the recycled read buffer, valid only until the
   * handler returns, since the next read overwrites it; copy what you keep
   * (`Buffer.from(payload)`). It saves one copy of every read on client sockets (the
   * recycled read buffer); elsewhere payloads are views of a fresh chunk anyway. Default
   * `false`: payloads stay valid after the handler returns. A value that is not a boolean
   * is refused with `ERR_INVALID_ARGUMENT`. Issue 15's "views valid only inside the
   * callback" (W4r, `bench/README.md`).
   */
  transient?: boolean;
}

/**
 * Options of `onFrame()`: the frame codec (the socket's `frame` option as default), the
 * handler's outcomes, and `transient`.
 */
export type FrameHandlerOptions = FrameOptions & MessageHandlerOptions & TransientOption;

/** The layout the fast path reads: a bare length field of 1–4 bytes. */
interface PlainLength {
  readonly width: 1 | 2 | 3 | 4;
  readonly little: boolean;
  readonly maxLength: number;
}

/** The plain layout of `codec`, or undefined when it has more than a bare length field. */
function plainLength(codec: FrameOptions): PlainLength | undefined {
  const options = codec as Record<string, unknown>;
  const width = options.width ?? 4;
  const plain =
    options.varint !== true &&
    (width === 1 || width === 2 || width === 3 || width === 4) &&
    (options.offset ?? 0) === 0 &&
    (options.adjustment ?? 0) === 0 &&
    options.lengthIncludesHeader !== true &&
    (options.strip === undefined || options.strip === width);
  if (!plain) return undefined;
  const maxLength = (options.maxLength as number | undefined) ?? DEFAULT_MAX_FRAME_LENGTH;
  return { width, little: options.endian === "little", maxLength };
}

/** Payloads to a handler, with the in-chunk fast path for plain length fields. */
export class FrameSink extends Sink {
  readonly #handler: (payload: Buffer) => void;
  readonly #decoder: Decoder;
  readonly #plain: PlainLength | undefined;
  /** Payloads may be views of a transient chunk (the handler opted in). */
  readonly #lend: boolean;

  /**
   * @param lend hand out views of a transient chunk (`onFrame`'s `transient`).
   * @throws SocketError `ERR_INVALID_ARGUMENT` for invalid codec options.
   */
  constructor(
    host: SinkHost,
    handler: (payload: Buffer) => void,
    codec: FrameOptions,
    options: MessageHandlerOptions,
    lend = false,
  ) {
    super(host, options);
    this.#handler = handler;
    this.#decoder = frameDecoder(codec); // checks the options
    this.#plain = plainLength(codec);
    this.#lend = lend;
  }

  feed(buffer: ReceiveBuffer, chunk: Buffer | undefined, transient = false): void {
    if (transient && chunk !== undefined && this.#plain !== undefined && !this.#lend) {
      // Payloads outlive the read: one copy of the chunk, payloads as views of it, is cheaper
      // than a copy per payload (a 64 KiB read holds ≈ 125 of W4's frames).
      chunk = copyOf(chunk);
      transient = false;
    }
    try {
      if (chunk === undefined || this.#plain === undefined) {
        if (chunk !== undefined) keep(buffer, chunk, transient);
        this.#slow(buffer);
      } else if (buffer.length === 0) {
        this.#chunk(buffer, chunk, 0, this.#plain, transient);
      } else {
        this.#straddle(buffer, chunk, this.#plain, transient);
      }
    } catch (error) {
      this.fail(asError(error));
    }
  }

  override reset(): void {
    this.#decoder.reset?.();
  }

  /** The generic path: frame by frame through the decoder, from the buffer. */
  #slow(buffer: ReceiveBuffer): void {
    const handler = this.#handler;
    this.drain(buffer, this.#decoder, (payload) => callHandler(handler, payload));
  }

  /**
   * A frame's start waits in the buffer: take from the chunk just what completes its header
   * and payload, deliver it (one copy), then go on fast over the rest of the chunk.
   */
  #straddle(buffer: ReceiveBuffer, chunk: Buffer, plain: PlainLength, transient: boolean): void {
    const { width } = plain;
    let at = 0;
    if (buffer.length < width) {
      at = Math.min(width - buffer.length, chunk.length);
      keep(buffer, chunk.subarray(0, at), transient);
      if (buffer.length < width) return;
    }
    const length = buffer.readUInt(0, width, plain.little);
    const need = width + length - buffer.length;
    if (length > plain.maxLength || chunk.length - at < need) {
      keep(buffer, chunk.subarray(at), transient); // still partial, or refused next
      this.#slow(buffer);
      return;
    }
    keep(buffer, chunk.subarray(at, at + need), transient);
    at += need;
    try {
      this.#slow(buffer); // exactly the one frame
    } catch (error) {
      keep(buffer, chunk.subarray(at), transient);
      throw error;
    }
    if (this.halted) keep(buffer, chunk.subarray(at), transient);
    else this.#chunk(buffer, chunk, at, plain, transient);
  }

  /**
   * The fast path over `chunk` from `from`, with nothing buffered: each payload a view of the
   * chunk (a `transient` chunk reaches here only when the handler opted in), the bytes after
   * the last whole frame kept ({@link keep} copies them out of a transient chunk).
   */
  #chunk(
    buffer: ReceiveBuffer,
    chunk: Buffer,
    from: number,
    plain: PlainLength,
    transient: boolean,
  ): void {
    const { width, little, maxLength } = plain;
    const handler = this.#handler;
    const size = chunk.length;
    let at = from;
    try {
      while (size - at >= width) {
        const length = readLength(chunk, at, width, little);
        if (length > maxLength) {
          keep(buffer, chunk.subarray(at), transient);
          throw new FrameTooLongError(maxLength, width + length); // refused from the header
        }
        const end = at + width + length;
        if (end > size) break;
        const payload = chunk.subarray(at + width, end);
        at = end;
        handler(payload);
        if (this.halted) break;
      }
    } catch (error) {
      if (error instanceof FrameTooLongError) throw error;
      keep(buffer, chunk.subarray(at), transient);
      throw handlerFailed(error);
    }
    if (at < size) keep(buffer, chunk.subarray(at), transient);
  }

  protected finishClean(buffer: ReceiveBuffer): void {
    this.#slow(buffer);
    if (buffer.length > 0 && !this.halted) this.#decoder.decodeEof(buffer); // throws the partial
  }
}

/** A length field of `width` bytes at `at`. */
function readLength(chunk: Buffer, at: number, width: 1 | 2 | 3 | 4, little: boolean): number {
  if (width === 4) return little ? chunk.readUInt32LE(at) : chunk.readUInt32BE(at);
  if (width === 2) return little ? chunk.readUInt16LE(at) : chunk.readUInt16BE(at);
  if (width === 1) return chunk[at] as number;
  return little ? chunk.readUIntLE(at, 3) : chunk.readUIntBE(at, 3);
}
