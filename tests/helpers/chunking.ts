import fc from "fast-check";
import { expect, it } from "vitest";
import type { Decoder } from "../../src/codec/delimiter.js";
import { SocketError } from "../../src/errors.js";
import { ReceiveBuffer } from "../../src/receive-buffer.js";

/** What a decoder made of a stream: frames (as latin1 text) and how it ended. */
export interface Decoded {
  frames: string[];
  /** The error code that ended decoding, or "eof" for a clean end. */
  end: string;
  /** Bytes handed back by ERR_INCOMPLETE_READ, or left unread after an error. */
  rest: string;
}

/** Cuts `bytes` at the given positions (sorted, deduplicated, inside the range). */
export function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** One byte a chunk. */
export function bytewise(bytes: Buffer): Buffer[] {
  return [...bytes].map((b) => Buffer.from([b]));
}

/**
 * Feeds chunks to a fresh decoder the way the read queue does, then ends the stream.
 * After an error, `rest` is every byte not delivered: the buffer plus the chunks not fed yet.
 */
export function decodeAll(make: () => Decoder, chunks: readonly Buffer[]): Decoded {
  const buffer = new ReceiveBuffer();
  const frames: string[] = [];
  let decoder = make();
  let fed = 0;
  try {
    for (const chunk of chunks) {
      buffer.append(Buffer.from(chunk)); // a copy: views must not alias the test's input
      fed++;
      for (let frame = decoder.decode(buffer); frame !== null; frame = decoder.decode(buffer)) {
        frames.push(frame.toString("latin1"));
        decoder = make(); // each read is a new request
      }
    }
    for (let frame = decoder.decodeEof(buffer); frame !== null; frame = decoder.decodeEof(buffer)) {
      frames.push(frame.toString("latin1"));
      decoder = make();
    }
    return { frames, end: "eof", rest: "" };
  } catch (error) {
    if (!(error instanceof SocketError)) throw error;
    const partial = (error as { partial?: Buffer }).partial;
    const unread = Buffer.concat([partial ?? buffer.peek(buffer.length), ...chunks.slice(fed)]);
    return { frames, end: error.code, rest: unread.toString("latin1") };
  }
}

/** Bytes from a spec: hex ("00 0c") and 'latin1 text', optionally repeated ('x'*256). */
export function b(spec: string): Buffer {
  const parts = [...spec.matchAll(/'([^']*)'(?:\*(\d+))?|([0-9a-f\s]+)/g)].map(([, q, n, hex]) => {
    if (q !== undefined) return Buffer.from(q.repeat(Number(n ?? 1)), "latin1");
    const digits = (hex ?? "").replace(/\s+/g, "");
    if (digits.length % 2 !== 0) throw new Error(`odd hex in ${spec}`);
    return Buffer.from(digits, "hex");
  });
  return Buffer.concat(parts);
}

/**
 * The three tests every decoder table row gets: the input fed whole, one byte at a time,
 * and in random chunkings (fast-check), each giving `expected`.
 */
export function itDecodesUnderAnyChunking(
  make: () => Decoder,
  bytes: Buffer,
  expected: Decoded,
  numRuns = 100,
): void {
  it("decodes the input fed whole", () => {
    expect(decodeAll(make, [bytes])).toEqual(expected);
  });

  it("decodes the input fed one byte at a time", () => {
    expect(decodeAll(make, bytewise(bytes))).toEqual(expected);
  });

  it("decodes every random chunking the same way", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 8 }), (at) => {
        expect(decodeAll(make, cut(bytes, at))).toEqual(expected);
      }),
      { numRuns },
    );
  });
}
