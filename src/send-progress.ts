/**
 * Large sends with progress (Xojo `SendProgress` and `SendComplete(userAborted)`): a source's
 * chunks written one after another, each awaited until the kernel took it (backpressure),
 * a `'progress'` event after each, and one `'sendComplete'` at the end, aborted or not.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { SocketError, toSocketError } from "./errors.js";
import { checkOptionNames, SEND_FROM } from "./options.js";

/** What `'progress'` reports (Xojo `SendProgress(bytesSent, bytesLeft)`). */
export interface SendProgress {
  /** Bytes of this send that reached the kernel so far. */
  readonly bytesSent: number;
  /** The whole send's size in bytes, when known (a buffer, a file, or `total`). */
  readonly bytesTotal: number | undefined;
}

/** How a `sendFrom()`/`sendFile()` ended; `'sendComplete'` carries it too. */
export interface SendComplete {
  /** Whether its `signal` stopped it (Xojo `SendComplete(userAborted)`). */
  readonly userAborted: boolean;
  /** Bytes that reached the kernel: all of them unless aborted. */
  readonly bytesSent: number;
}

/** Options of `sendFrom()` and `sendFile()`. */
export interface SendFromOptions {
  /**
   * Aborting stops the send after the chunk in flight, or at once when that chunk is stuck
   * behind a peer that does not read (its bytes may still leave later: `reset()` the
   * socket to be sure they do not). The promise then resolves with `userAborted: true`.
   */
  signal?: AbortSignal;
  /** The size to report as `bytesTotal` for a source of unknown length. */
  total?: number;
}

/** What a progress send draws from: bytes, text, or chunks (a Node `Readable` is one). */
export type SendSource = string | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** The socket side of a progress send. */
export interface ProgressTarget {
  send(data: Uint8Array, options: { signal?: AbortSignal }): Promise<void>;
  /** Emits `'progress'`. */
  progress(progress: SendProgress): void;
  /** Emits `'sendComplete'`. */
  complete(result: SendComplete): void;
}

/** The slice a buffer source is sent in, so that progress has steps: 64 KiB. */
export const PROGRESS_CHUNK_BYTES = 64 * 1024;

/**
 * Sends every chunk of `source` in order. Resolves once all reached the kernel, or its
 * signal stopped it; rejects with the socket's error (or the source's: `ENOENT`, …), with
 * no `'sendComplete'`.
 */
export async function sendWithProgress(
  target: ProgressTarget,
  source: SendSource,
  options: SendFromOptions = {},
): Promise<SendComplete> {
  checkOptionNames("sendFrom()", options, SEND_FROM);
  const { signal } = options;
  const bytesTotal =
    options.total ??
    (typeof source === "string"
      ? Buffer.byteLength(source)
      : source instanceof Uint8Array
        ? source.byteLength
        : undefined);
  let bytesSent = 0;
  const finish = (userAborted: boolean): SendComplete => {
    const result = { userAborted, bytesSent };
    target.complete(result);
    return result;
  };
  try {
    for await (const chunk of chunks(source)) {
      if (signal?.aborted) return finish(true);
      try {
        await target.send(chunk, signal === undefined ? {} : { signal });
      } catch (error) {
        if (error instanceof SocketError && error.code === "ERR_ABORTED") return finish(true);
        throw error;
      }
      bytesSent += chunk.byteLength;
      target.progress({ bytesSent, bytesTotal });
    }
  } catch (error) {
    throw toSocketError(error);
  }
  return finish(false); // every byte left, even if the signal fired after the last chunk
}

/**
 * Sends a file's bytes with progress; `bytesTotal` is its size.
 * @throws (rejects) the file's error (`ENOENT`, `EISDIR`, `EACCES`, with the path as
 * `address`) before anything is sent, or the socket's error.
 */
export async function sendFileWithProgress(
  target: ProgressTarget,
  path: string,
  options: SendFromOptions = {},
): Promise<SendComplete> {
  checkOptionNames("sendFile()", options, SEND_FROM);
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
    }
    size = info.size;
  } catch (error) {
    const coded = toSocketError(error);
    throw new SocketError(coded.code, coded.message, { cause: error, address: path });
  }
  const stream = createReadStream(path, { highWaterMark: PROGRESS_CHUNK_BYTES });
  try {
    return await sendWithProgress(target, stream, { total: size, ...options });
  } finally {
    stream.destroy();
  }
}

/** The chunks of a source; a buffer in {@link PROGRESS_CHUNK_BYTES} slices (views, no copy). */
async function* chunks(source: SendSource): AsyncGenerator<Uint8Array, void, undefined> {
  if (typeof source === "string" || source instanceof Uint8Array) {
    const bytes = typeof source === "string" ? Buffer.from(source, "utf8") : source;
    for (let offset = 0; offset < bytes.byteLength; offset += PROGRESS_CHUNK_BYTES) {
      yield bytes.subarray(offset, offset + PROGRESS_CHUNK_BYTES);
    }
    return;
  }
  for await (const chunk of source) {
    if (!(chunk instanceof Uint8Array)) {
      throw new SocketError("ERR_INVALID_ARGUMENT", "a send source must give Uint8Array chunks");
    }
    if (chunk.byteLength > 0) yield chunk;
  }
}
