import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchDecoder } from "../src/batch-decoder.js";
import { encodeFrame, frameDecoder } from "../src/codec/frame.js";
import { LineDecoder, type LineEnding } from "../src/codec/line.js";
import { SocketError } from "../src/errors.js";
import { FrameSink } from "../src/frame-sink.js";
import { LineSink } from "../src/line-sink.js";
import { ReceiveBuffer } from "../src/receive-buffer.js";
import { bytewise, cut, decodeAll } from "./helpers/chunking.js";

/** Feeds chunks as the read queue does; returns the batches, how it ended and what is left. */
function batchAll<T>(decoder: BatchDecoder<T>, chunks: readonly Buffer[]) {
  const buffer = new ReceiveBuffer();
  const batches: T[][] = [];
  let fed = 0;
  try {
    for (const chunk of chunks) {
      buffer.append(Buffer.from(chunk));
      fed++;
      for (let b = decoder.decode(buffer); b !== null; b = decoder.decode(buffer)) batches.push(b);
    }
    for (let b = decoder.decodeEof(buffer); b !== null; b = decoder.decodeEof(buffer)) {
      batches.push(b);
    }
    return { batches, end: "eof", rest: "" };
  } catch (error) {
    if (!(error instanceof SocketError)) throw error;
    const partial = (error as { partial?: Buffer }).partial;
    const rest = Buffer.concat([partial ?? buffer.peek(buffer.length), ...chunks.slice(fed)]);
    return { batches, end: error.code, rest: rest.toString("latin1") };
  }
}

const lines = (eol: LineEnding, maxLength?: number) =>
  new BatchDecoder<string>(
    (host, handler, options) =>
      new LineSink(host, handler, {
        eol,
        ...(maxLength === undefined ? {} : { maxLength }),
        ...options,
      }),
  );

describe("a batch per read", () => {
  it("hands every complete line buffered over in one array, the partial one kept", () => {
    const decoder = lines("any");
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from("a\r\nb\nc"));
    expect(decoder.decode(buffer)).toEqual(["a", "b"]);
    expect(decoder.decode(buffer)).toBeNull();
    expect(buffer.length).toBe(1);
    expect(decoder.decodeEof(buffer)).toEqual(["c"]); // the last line, as lines() gives it
  });

  it("gives the lines of readLine() for any bytes and chunking", () => {
    const byte = fc.constantFrom(0x0a, 0x0d, 0x61, 0xc3, 0xa9, 0xff);
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 50 }),
        fc.constantFrom<LineEnding>("any", "lf", "crlf"),
        fc.option(fc.nat({ max: 10 }), { nil: undefined }),
        fc.array(fc.nat({ max: 50 }), { maxLength: 5 }),
        (bytes, eol, maxLength, at) => {
          const input = Buffer.from(bytes);
          const options = maxLength === undefined ? { eol } : { eol, maxLength };
          const ref = decodeAll(() => new LineDecoder(options), [input]);
          const want = ref.frames.map((f) => Buffer.from(f, "latin1").toString());
          if (ref.end === "ERR_INCOMPLETE_READ")
            want.push(Buffer.from(ref.rest, "latin1").toString());
          const wantEnd = ref.end === "ERR_INCOMPLETE_READ" ? "eof" : ref.end;
          for (const chunks of [[input], cut(input, at), bytewise(input)]) {
            const got = batchAll(lines(eol, maxLength), chunks);
            expect(got.batches.flat()).toEqual(want);
            expect(got.end).toBe(wantEnd);
            if (wantEnd !== "eof") expect(got.rest).toBe(ref.rest);
            expect(got.batches.every((b) => b.length > 0)).toBe(true);
          }
        },
      ),
      { numRuns: 200, seed: 0xba7c4 },
    );
  });

  it("gives the frames of readFrame(), and a frame cut short as ERR_INCOMPLETE_READ", () => {
    const frames = () =>
      new BatchDecoder<Buffer>(
        (host, handler, options) => new FrameSink(host, handler, {}, options),
      );
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 5 }),
        fc.uint8Array({ maxLength: 5 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 5 }),
        (payloads, tail, at) => {
          const input = Buffer.concat([
            ...payloads.map((p) => encodeFrame(Buffer.from(p))),
            Buffer.from(tail),
          ]);
          const ref = decodeAll(() => frameDecoder(), [input]);
          for (const chunks of [[input], cut(input, at), bytewise(input)]) {
            const got = batchAll(frames(), chunks);
            expect(got.batches.flat().map((f) => f.toString("latin1"))).toEqual(ref.frames);
            expect({ end: got.end, rest: got.rest }).toEqual({ end: ref.end, rest: ref.rest });
          }
        },
      ),
      { numRuns: 200, seed: 0xf7a3 },
    );
  });

  it("hands out the lines before an over-long one, then refuses it with the bytes kept", () => {
    const got = batchAll(lines("lf", 4), [Buffer.from("ok\nfine\nmuch too long\nlater\n")]);
    expect(got.batches).toEqual([["ok", "fine"]]);
    expect(got).toMatchObject({ end: "ERR_FRAME_TOO_LONG", rest: "much too long\nlater\n" });
  });

  it("goes on cutting batches after a refused line is skipped (lines()'s onOverflow: skip)", () => {
    const decoder = lines("lf", 4);
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from("ok\nmuch too long\nla"));
    expect(decoder.decode(buffer)).toEqual(["ok"]);
    expect(() => decoder.decode(buffer)).toThrow(
      expect.objectContaining({ code: "ERR_FRAME_TOO_LONG" }),
    );
    buffer.take(buffer.indexOf(Buffer.from("\n")) + 1); // the skipper's part: the over-long line goes
    expect(decoder.decode(buffer)).toBeNull(); // "la" waits for its end
    buffer.append(Buffer.from("te\nx\ny"));
    expect(decoder.decode(buffer)).toEqual(["late", "x"]);
    expect(decoder.decodeEof(buffer)).toEqual(["y"]);
  });

  it("gives the same lines when several reads were buffered before the batch is taken", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0x0a, 0x0d, 0x61, 0xc3, 0xa9), { maxLength: 60 }),
        fc.array(fc.nat({ max: 60 }), { maxLength: 6 }),
        (bytes, at) => {
          const input = Buffer.from(bytes);
          const ref = decodeAll(() => new LineDecoder({ eol: "lf", maxLength: 8 }), [input]);
          const buffer = new ReceiveBuffer();
          for (const chunk of cut(input, at)) buffer.append(Buffer.from(chunk)); // not taken yet
          const decoder = lines("lf", 8);
          const got: string[] = [];
          let end = "none";
          try {
            for (let b = decoder.decode(buffer); b !== null; b = decoder.decode(buffer))
              got.push(...b);
          } catch (error) {
            end = (error as SocketError).code;
          }
          const want = ref.frames.map((f) => Buffer.from(f, "latin1").toString());
          expect(got).toEqual(want);
          expect(end).toBe(ref.end === "ERR_FRAME_TOO_LONG" ? ref.end : "none");
          // Nothing is lost: what was not handed out is still buffered, in order.
          const handed = ref.frames
            .slice(0, got.length)
            .map((f) => `${f}\n`)
            .join("");
          expect(buffer.peek(buffer.length).toString("latin1")).toBe(
            input.toString("latin1").slice(handed.length),
          );
        },
      ),
      { numRuns: 300, seed: 0x5eed5 },
    );
  });

  it("keeps every later read buffered, in order, behind an over-long line", () => {
    const buffer = new ReceiveBuffer();
    for (const part of ["ok\nfi", "ne\nmuch to", "o long\nla", "ter\n"])
      buffer.append(Buffer.from(part));
    const decoder = lines("lf", 4);
    expect(decoder.decode(buffer)).toEqual(["ok", "fine"]);
    expect(() => decoder.decode(buffer)).toThrow(
      expect.objectContaining({ code: "ERR_FRAME_TOO_LONG" }),
    );
    expect(buffer.peek(buffer.length).toString()).toBe("much too long\nlater\n");
  });
});
