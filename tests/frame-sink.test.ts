import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeFrame, type FrameOptions, frameDecoder } from "../src/codec/frame.js";
import { FrameSink } from "../src/frame-sink.js";
import type { Sink } from "../src/sink.js";
import { bytewise, cut, decodeAll } from "./helpers/chunking.js";
import { type Sunk, sinkAll } from "./helpers/sinks.js";

function frameSink(
  codec: FrameOptions,
  chunks: readonly Buffer[],
  handler?: (payload: Buffer, sink: Sink) => void,
  recycled = false,
  transient = false,
): Sunk<Buffer> {
  return sinkAll<Buffer>(
    (host, deliver, options) => new FrameSink(host, deliver, codec, options, transient),
    chunks,
    handler,
    recycled,
  );
}

/** Fed fresh chunks ('data'), and views of a recycled buffer overwritten after each read. */
const PATHS = [false, true] as const;

/** The sink's outcome as the decoder's test helper spells it. */
function summary(got: Sunk<Buffer>) {
  return {
    frames: got.messages.map((m) => m.toString("latin1")),
    end: got.end,
    rest: got.rest.toString("latin1"),
  };
}

const codecs: FrameOptions[] = [
  {},
  { width: 2 },
  { width: 1 },
  { width: 3, endian: "little" },
  { width: 4, endian: "little" },
  { width: 8 }, // the decoder's path: no fast path for 8-byte fields
  { width: 2, offset: 1 },
  { varint: true },
];

describe("onFrame's sink", () => {
  it("hands out each payload of a u32 big-endian stream", () => {
    const input = Buffer.concat([encodeFrame("hi"), encodeFrame(""), encodeFrame("there")]);
    const got = frameSink({}, [input]);
    expect(summary(got)).toEqual({ frames: ["hi", "", "there"], end: "eof", rest: "" });
    expect(got.outcomes).toBe(1);
  });

  it("gives the frames of readFrame() for any layout, payloads, limit and chunking", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...codecs),
        fc.array(fc.uint8Array({ maxLength: 160 }), { maxLength: 5 }),
        fc.uint8Array({ maxLength: 6 }),
        fc.option(fc.nat({ max: 200 }), { nil: undefined }),
        fc.array(fc.nat({ max: 900 }), { maxLength: 6 }),
        (layout, payloads, tail, maxLength, at) => {
          const input = Buffer.concat([
            ...payloads.map((p) => encodeFrame(Buffer.from(p), layout)),
            Buffer.from(tail), // a partial frame, or garbage
          ]);
          const codec = maxLength === undefined ? layout : { ...layout, maxLength };
          const want = decodeAll(() => frameDecoder(codec), [input]);
          for (const chunks of [[input], cut(input, at), bytewise(input)]) {
            for (const recycled of PATHS) {
              const got = frameSink(codec, chunks, undefined, recycled);
              expect(summary(got)).toEqual(want);
              expect(got.outcomes).toBe(1);
            }
          }
        },
      ),
      { numRuns: 300, seed: 0xf4a3e },
    );
  });

  it("keeps the payloads valid after the handler returns, from a recycled buffer too", () => {
    for (const recycled of PATHS) {
      const kept: Buffer[] = [];
      const input = Buffer.concat([encodeFrame("first"), encodeFrame("second")]);
      const third = encodeFrame("third");
      const chunks = [input, third.subarray(0, 6), third.subarray(6)];
      frameSink({}, chunks, (payload) => kept.push(payload), recycled);
      expect(kept.map(String)).toEqual(["first", "second", "third"]);
    }
  });

  it("transient: the same payloads, read inside the handler, for any layout and chunking", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...codecs),
        fc.array(fc.uint8Array({ maxLength: 160 }), { maxLength: 6 }),
        fc.array(fc.nat({ max: 900 }), { maxLength: 6 }),
        (layout, payloads, at) => {
          const input = Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p), layout)));
          const want = decodeAll(() => frameDecoder(layout), [input]).frames;
          for (const chunks of [[input], cut(input, at), bytewise(input)]) {
            for (const recycled of PATHS) {
              const seen: string[] = [];
              const got = frameSink(
                layout,
                chunks,
                (p) => seen.push(p.toString("latin1")),
                recycled,
                true,
              );
              expect(seen).toEqual(want);
              expect(got.outcomes).toBe(1);
            }
          }
        },
      ),
      { numRuns: 200, seed: 0x7a4e5 },
    );
  });

  it("transient: payloads of a recycled read are views of it, not copies (no copy per read)", () => {
    const input = Buffer.concat([encodeFrame("first"), encodeFrame("second")]);
    const third = encodeFrame("third");
    const chunks = [input, third.subarray(0, 6), third.subarray(6)];
    const kept: Buffer[] = [];
    frameSink({}, chunks, (payload) => kept.push(payload), true, true);
    // The read that held "first" and "second" was overwritten after it (as the next read
    // overwrites the recycled buffer); "third" was completed in the receive buffer, a copy.
    expect(kept.map((p) => p.toString("latin1"))).toEqual([
      "\xee".repeat(5),
      "\xee".repeat(6),
      "third",
    ]);
    // Without the opt-in, the same payloads survive (the default the socket test also checks).
    const safe: Buffer[] = [];
    frameSink({}, chunks, (payload) => safe.push(payload), true, false);
    expect(safe.map(String)).toEqual(["first", "second", "third"]);
  });

  it("refuses a declared length over maxLength from the header, keeping the frame's bytes", () => {
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xf0, 0x61]); // 4 GiB declared, 1 byte sent
    const input = Buffer.concat([encodeFrame("ok"), huge]);
    for (const chunks of [[input], bytewise(input)]) {
      for (const recycled of PATHS) {
        const got = frameSink({ maxLength: 1024 }, chunks, undefined, recycled);
        expect(summary(got)).toEqual({
          frames: ["ok"],
          end: "ERR_FRAME_TOO_LONG",
          rest: "\xff\xff\xff\xf0a",
        });
      }
    }
  });

  it("stops at a payload whose handler throws: ERR_HANDLER_FAILED once, later frames kept", () => {
    const input = Buffer.concat(["a", "b", "c"].map((p) => encodeFrame(p)));
    for (const chunks of [[input], bytewise(input), cut(input, [3, 7])]) {
      for (const recycled of PATHS) {
        const got = frameSink(
          {},
          chunks,
          (payload) => {
            if (String(payload) === "b") throw new Error("boom");
          },
          recycled,
        );
        expect(got).toMatchObject({ end: "ERR_HANDLER_FAILED", outcomes: 1 });
        expect(got.rest.equals(encodeFrame("c"))).toBe(true);
      }
    }
  });

  it("stops mid-chunk when the handler pauses, and hands a cut frame back at the end", () => {
    const input = Buffer.concat(["a", "b", "c"].map((p) => encodeFrame(p)));
    for (const recycled of PATHS) {
      const paused = frameSink(
        {},
        [input],
        (payload, sink) => {
          if (String(payload) === "a") sink.halted = true;
        },
        recycled,
      );
      expect(summary(paused)).toMatchObject({ frames: ["a"], end: "open" });
      expect(paused.rest.equals(input.subarray(5))).toBe(true);
    }
    const cutShort = frameSink({}, [encodeFrame("abcdef").subarray(0, 7)]);
    expect(summary(cutShort)).toEqual({
      frames: [],
      end: "ERR_INCOMPLETE_READ",
      rest: "\x00\x00\x00\x06abc",
    });
  });
});
