import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeFrame, type FrameOptions, frameDecoder } from "../../src/codec/frame.js";
import {
  encodeLengthPrefixed,
  LengthPrefixedDecoder,
  type LengthPrefixOptions,
} from "../../src/codec/length.js";
import { encodeVarint, VarintDecoder } from "../../src/codec/varint.js";
import { ReceiveBuffer } from "../../src/receive-buffer.js";
import { bytewise, cut, type Decoded, decodeAll } from "../helpers/chunking.js";

/** Decodes one frame out of `bytes` with a fresh decoder for `options`. */
function decodeOne(bytes: Buffer, options?: FrameOptions): Buffer | null {
  const buffer = new ReceiveBuffer();
  buffer.append(bytes);
  return frameDecoder(options).decode(buffer);
}

describe("frameDecoder and encodeFrame", () => {
  it("default to a 4-byte big-endian length, as Python's struct.pack('>I') writes", () => {
    const python = Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from("hello")]);
    expect(encodeFrame("hello")).toEqual(python);
    expect(decodeOne(python)?.toString()).toBe("hello");
  });

  it("give each call a fresh decoder", () => {
    expect(frameDecoder()).not.toBe(frameDecoder());
    expect(frameDecoder()).toBeInstanceOf(LengthPrefixedDecoder);
    expect(frameDecoder({ width: 2 })).toBeInstanceOf(LengthPrefixedDecoder);
    expect(frameDecoder({ varint: true })).toBeInstanceOf(VarintDecoder);
  });

  it.each<[string, FrameOptions]>([
    ["defaults", {}],
    ["a 2-byte little-endian field", { width: 2, endian: "little" }],
    ["a field that counts its header", { offset: 1, width: 3, lengthIncludesHeader: true }],
    ["varints", { varint: true }],
    ["varints with a limit", { varint: true, maxLength: 10 }],
  ])("encode as the codec itself does: %s", (_name, options) => {
    const direct =
      "varint" in options
        ? encodeVarint("payload", options)
        : encodeLengthPrefixed("payload", options);
    expect(encodeFrame("payload", options)).toEqual(direct);
    expect(decodeOne(direct, options)?.toString()).toBe("payload");
  });

  it("pass maxLength to either codec", () => {
    const tooLong = expect.objectContaining({ code: "ERR_FRAME_TOO_LONG", maxLength: 3 });
    expect(() => encodeFrame("abcd", { maxLength: 3 })).toThrow(tooLong);
    expect(() => encodeFrame("abcd", { varint: true, maxLength: 3 })).toThrow(tooLong);
    expect(() => decodeOne(Buffer.from([4]), { varint: true, maxLength: 3 })).toThrow(tooLong);
    expect(() => decodeOne(Buffer.from([0, 0, 0, 4]), { maxLength: 3 })).toThrow(tooLong);
  });

  it.each<[string, unknown]>([
    ["a width next to varint", { varint: true, width: 2 }],
    ["an offset next to varint", { varint: true, offset: 0 }],
    ["lengthIncludesHeader next to varint", { varint: true, lengthIncludesHeader: false }],
    ["a varint flag that is not a boolean", { varint: "yes" }],
    ["an invalid width", { width: 6 }],
    ["an invalid varint maxLength", { varint: true, maxLength: -1 }],
  ])("refuse %s with ERR_INVALID_ARGUMENT", (_name, options) => {
    const invalid = expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" });
    expect(() => frameDecoder(options as FrameOptions)).toThrow(invalid);
    expect(() => encodeFrame("x", options as FrameOptions)).toThrow(invalid);
  });

  it("take varint: false as the fixed-width default", () => {
    const options = { varint: false } as unknown as FrameOptions;
    expect(frameDecoder(options)).toBeInstanceOf(LengthPrefixedDecoder);
    expect(encodeFrame("x", options)).toEqual(encodeFrame("x"));
  });
});

/** Random valid fixed-width options; `strip` is left out (the default) half the time. */
const lengthOptions = fc
  .record({
    width: fc.constantFrom<1 | 2 | 3 | 4 | 8>(1, 2, 3, 4, 8),
    endian: fc.constantFrom<"big" | "little">("big", "little"),
    offset: fc.nat({ max: 3 }),
    mode: fc.constantFrom("plain", "includes", "adjust"),
    adjustment: fc.integer({ min: -6, max: 6 }),
    strip: fc.option(fc.nat({ max: 100 })),
  })
  .map(({ mode, adjustment, strip, ...rest }): LengthPrefixOptions => {
    const options: LengthPrefixOptions = { ...rest };
    if (strip !== null) options.strip = strip % (rest.offset + rest.width + 1);
    if (mode === "includes") options.lengthIncludesHeader = true;
    if (mode === "adjust") options.adjustment = adjustment;
    return options;
  });

const frameOptions: fc.Arbitrary<FrameOptions> = fc.oneof(
  lengthOptions,
  fc.constant({ varint: true as const }),
  fc.constant({ varint: true as const, maxLength: 300 }),
);

/** What a decoder hands out for one frame: the payload, or the frame less `strip` bytes. */
function handedOut(frame: Buffer, payload: Uint8Array, options: FrameOptions): Buffer {
  if ("varint" in options) return Buffer.from(payload);
  return frame.subarray(options.strip ?? (options.offset ?? 0) + (options.width ?? 4));
}

describe("framing round trip", () => {
  it("decodes what was encoded, whatever the options and the chunking", () => {
    fc.assert(
      fc.property(
        frameOptions,
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }),
        fc.array(fc.nat({ max: 1700 }), { maxLength: 20 }),
        (options, payloads, at) => {
          // A positive adjustment needs at least that many payload bytes.
          const pad = "adjustment" in options ? Math.max(0, options.adjustment ?? 0) : 0;
          const padded = payloads.map((p) => (p.length >= pad ? p : new Uint8Array(pad)));
          const frames = padded.map((p) => encodeFrame(p, options));
          const handed = frames.map((f, i) =>
            handedOut(f, padded[i] ?? new Uint8Array(0), options),
          );
          const expected: Decoded = {
            frames: handed.map((f) => f.toString("latin1")),
            end: "eof",
            rest: "",
          };
          const stream = Buffer.concat(frames);
          const make = () => frameDecoder(options);
          expect(decodeAll(make, cut(stream, at))).toEqual(expected);
          expect(decodeAll(make, bytewise(stream))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("encodes text as its UTF-8 bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), frameOptions, (random, options) => {
        const text = random.padEnd(6); // at least the largest positive adjustment
        const bytes = Buffer.from(text, "utf8");
        expect(encodeFrame(text, options)).toEqual(encodeFrame(bytes, options));
        expect(decodeOne(encodeFrame(text))?.toString("utf8")).toBe(text);
      }),
    );
  });
});
