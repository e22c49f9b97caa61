import { describe, expect, it, vi } from "vitest";
import {
  DEFAULT_MAX_FRAME_LENGTH,
  encodeLengthPrefixed,
  LengthPrefixedDecoder,
  type LengthPrefixOptions,
} from "../../src/codec/length.js";
import { ReceiveBuffer } from "../../src/receive-buffer.js";
import { b, type Decoded, itDecodesUnderAnyChunking } from "../helpers/chunking.js";

const latin1 = (spec: string) => b(spec).toString("latin1");
const TOO_LONG = "ERR_FRAME_TOO_LONG";
const CORRUPT = "ERR_FRAME_CORRUPT";
const INCOMPLETE = "ERR_INCOMPLETE_READ";
const SAFE = Number.MAX_SAFE_INTEGER;

const HW = "'HELLO, WORLD'";
/** In a row's frames: the whole input is one frame, header included. */
const WHOLE = "=";

/**
 * A name, options, the input, the frames; then, when the stream does not end cleanly, the
 * error code and the bytes not delivered (by default the whole input).
 */
type Row = [string, LengthPrefixOptions, string, string[], string?, string?];

const rows: Row[] = [
  // Defaults: u32 BE, payload only.
  ["one frame", {}, "00000003 'abc'", ["'abc'"]],
  ["two frames back to back", {}, "00000001 'a' 00000002 'bc'", ["'a'", "'bc'"]],
  ["a zero-length frame", {}, "00000000", ["''"]],
  ["frame exactly at maxLength", { maxLength: 3 }, "00000003 'abc'", ["'abc'"]],
  ["one byte over maxLength", { maxLength: 3 }, "00000004 'abcd'", [], TOO_LONG],
  [
    "good frame, then too long",
    { width: 1, maxLength: 1 },
    "01'a' 02'bc'",
    ["'a'"],
    TOO_LONG,
    "02'bc'",
  ],
  ["maxLength 0 takes empty frames only", { maxLength: 0 }, "00000000", ["''"]],
  // Widths and byte orders: 258 is 00 01 02, so a swapped reading shows.
  ["width 1", { width: 1 }, "03 'abc'", ["'abc'"]],
  ["width 2 BE", { width: 2 }, "0102 'x'*258", ["'x'*258"]],
  ["width 2 LE", { width: 2, endian: "little" }, "0201 'x'*258", ["'x'*258"]],
  ["width 3 BE", { width: 3 }, "000102 'x'*258", ["'x'*258"]],
  ["width 3 LE", { width: 3, endian: "little" }, "020100 'x'*258", ["'x'*258"]],
  ["width 4 BE", { width: 4 }, "00000102 'x'*258", ["'x'*258"]],
  ["width 4 LE", { width: 4, endian: "little" }, "02010000 'x'*258", ["'x'*258"]],
  ["width 8 BE", { width: 8 }, "0000000000000102 'x'*258", ["'x'*258"]],
  ["width 8 LE", { width: 8, endian: "little" }, "0201000000000000 'x'*258", ["'x'*258"]],
  // A LE reader of a BE prefix waits for 768 bytes: the Xojo seed's byte-order bug.
  ["LE reading of BE bytes", { width: 2, endian: "little" }, "0003 'abc'", [], INCOMPLETE],
  // 8-byte lengths past what a number holds exactly.
  ["8 bytes: 2^53 - 1 waits", { width: 8, maxLength: SAFE }, "001fffffffffffff", [], INCOMPLETE],
  ["8 bytes: 2^53 is refused", { width: 8, maxLength: SAFE }, "0020000000000000", [], TOO_LONG],
  ["8 bytes: 2^64 - 1 is refused", { width: 8, maxLength: SAFE }, "ff".repeat(8), [], TOO_LONG],
  // Netty's LengthFieldBasedFrameDecoder documentation, example by example.
  ["Netty: 2-byte field, keep header", { width: 2, strip: 0 }, `000c${HW}`, [WHOLE]],
  ["Netty: 2-byte field, strip header", { width: 2 }, `000c${HW}`, [HW]],
  ["Netty: length includes header", { width: 2, adjustment: -2, strip: 0 }, `000e${HW}`, [WHOLE]],
  ["the same: lengthIncludesHeader", { width: 2, lengthIncludesHeader: true }, `000e${HW}`, [HW]],
  [
    "Netty: 3-byte field ends a 5-byte header",
    { offset: 2, width: 3, strip: 0 },
    `cafe00000c${HW}`,
    [WHOLE],
  ],
  [
    "Netty: 3-byte field starts a 5-byte header",
    { width: 3, adjustment: 2 },
    `00000ccafe${HW}`,
    [`cafe${HW}`],
  ],
  [
    "Netty: offset 1 of 4, strip 3",
    { offset: 1, width: 2, adjustment: 1, strip: 3 },
    `ca000cfe${HW}`,
    [`fe${HW}`],
  ],
  [
    "Netty: the same, whole length",
    { offset: 1, width: 2, adjustment: -3, strip: 3 },
    `ca0010fe${HW}`,
    [`fe${HW}`],
  ],
  [
    "offset 2 before a 2-byte field, strip 0",
    { offset: 2, width: 2, strip: 0 },
    "cafe0002'hi'",
    [WHOLE],
  ],
  ["offset 2, default strip: payload only", { offset: 2, width: 2 }, "cafe0002 'hi'", ["'hi'"]],
  // Corrupt headers: refused, nothing consumed.
  [
    "a length below the header it counts",
    { width: 2, lengthIncludesHeader: true },
    "0001'a'",
    [],
    CORRUPT,
  ],
  ["a frame shorter than strip", { width: 1, strip: 3 }, "01 'a' 02 'bc'", [], CORRUPT],
  ["strip past the header cuts the payload", { width: 1, strip: 2 }, "03 'abc'", ["'bc'"]],
  // The end of the stream hands the leftover bytes back.
  ["leftover header bytes at the end", {}, "00000001 'a' 0000", ["'a'"], INCOMPLETE, "0000"],
  ["a partial payload at the end", {}, "00000005 'ab'", [], INCOMPLETE],
];

describe("LengthPrefixedDecoder", () => {
  describe.each(rows)("%s", (_name, options, input, frames, end = "eof", rest) => {
    const make = () => new LengthPrefixedDecoder(options);
    const bytes = b(input);
    const unread = rest ?? (end === "eof" ? "" : input);
    const expected: Decoded = {
      frames: frames.map((f) => latin1(f === WHOLE ? input : f)),
      end,
      rest: latin1(unread),
    };

    itDecodesUnderAnyChunking(make, bytes, expected, 100);
  });
});

/** The error `fn` throws (or undefined). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("LengthPrefixedDecoder limits and buffering", () => {
  it("refuses a frame one byte over maxLength from its header alone", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(b("00000004"));
    const decoder = new LengthPrefixedDecoder({ maxLength: 3 });
    expect(() => decoder.decode(buffer)).toThrow(
      expect.objectContaining({ code: "ERR_FRAME_TOO_LONG", maxLength: 3 }),
    );
    expect(buffer.length).toBe(4); // nothing consumed
  });

  it("defaults maxLength to 8 MiB, checked on the header", () => {
    expect(DEFAULT_MAX_FRAME_LENGTH).toBe(8_388_608);
    const buffer = new ReceiveBuffer();
    buffer.append(b("00800001")); // 8 MiB + 1
    expect(thrown(() => new LengthPrefixedDecoder().decode(buffer))).toMatchObject({
      code: "ERR_FRAME_TOO_LONG",
      maxLength: DEFAULT_MAX_FRAME_LENGTH,
    });
    const exact = encodeLengthPrefixed(Buffer.alloc(DEFAULT_MAX_FRAME_LENGTH, 0x61));
    const whole = new ReceiveBuffer();
    whole.append(exact);
    expect(new LengthPrefixedDecoder().decode(whole)?.length).toBe(DEFAULT_MAX_FRAME_LENGTH);
  });

  it("decodes a length field split across chunks", () => {
    const buffer = new ReceiveBuffer();
    const decoder = new LengthPrefixedDecoder();
    buffer.append(b("0000"));
    expect(decoder.decode(buffer)).toBeNull();
    buffer.append(b("0003 'a'"));
    expect(decoder.decode(buffer)).toBeNull();
    buffer.append(Buffer.from("bc"));
    expect(decoder.decode(buffer)?.toString()).toBe("abc");
    expect(buffer.length).toBe(0);
  });

  it("hands out a view when the frame sits in one chunk", () => {
    const chunk = b("00000002 'hi' 'rest'");
    const buffer = new ReceiveBuffer();
    buffer.append(chunk);
    expect(new LengthPrefixedDecoder().decode(buffer)?.buffer).toBe(chunk.buffer);
  });

  it("hands out a view of the payload chunk when the header came alone", () => {
    const payload = Buffer.from("hello");
    const buffer = new ReceiveBuffer();
    buffer.append(b("00000005"));
    buffer.append(payload);
    expect(new LengthPrefixedDecoder().decode(buffer)?.buffer).toBe(payload.buffer);
  });

  it("parses the header once while a large frame arrives in many chunks", () => {
    const buffer = new ReceiveBuffer();
    const peek = vi.spyOn(buffer, "peek");
    const readUInt = vi.spyOn(buffer, "readUInt");
    const decoder = new LengthPrefixedDecoder();
    buffer.append(b("00000064")); // 100 bytes
    for (let i = 0; i < 99; i++) {
      buffer.append(Buffer.from("x"));
      expect(decoder.decode(buffer)).toBeNull();
    }
    // The header is read once, whichever way it is read (in place, or from a copy).
    expect(peek.mock.calls.length + readUInt.mock.calls.length).toBe(1);
    buffer.append(Buffer.from("x"));
    expect(decoder.decode(buffer)?.length).toBe(100);
  });

  it("reads the next header afresh after a frame, a purge or reset()", () => {
    const buffer = new ReceiveBuffer();
    const decoder = new LengthPrefixedDecoder({ width: 1 });
    buffer.append(b("05 'ab'"));
    expect(decoder.decode(buffer)).toBeNull();
    buffer.clear(); // the buffer shrank: the cached length is dropped
    buffer.append(b("01 'z'"));
    expect(decoder.decode(buffer)?.toString()).toBe("z");
    buffer.append(b("05 'ab'"));
    expect(decoder.decode(buffer)).toBeNull();
    buffer.clear();
    buffer.append(b("02 'yz' 'more'")); // at least as long as before: only reset() tells
    decoder.reset();
    expect(decoder.decode(buffer)?.toString()).toBe("yz");
  });

  it("reports the expected total at the end once the header is known", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(b("0005 'ab'"));
    const cause = new Error("reset");
    const error = thrown(() => new LengthPrefixedDecoder({ width: 2 }).decodeEof(buffer, cause));
    expect(error).toMatchObject({ code: "ERR_INCOMPLETE_READ", expected: 7, cause });
    expect(buffer.length).toBe(0);
    buffer.append(b("00"));
    const early = thrown(() => new LengthPrefixedDecoder({ width: 2 }).decodeEof(buffer));
    expect(early).toMatchObject({ code: "ERR_INCOMPLETE_READ", expected: undefined });
    expect(new LengthPrefixedDecoder().decodeEof(buffer)).toBeNull();
  });
});

describe("encodeLengthPrefixed", () => {
  it.each<[string, string | Uint8Array, LengthPrefixOptions, string]>([
    ["defaults: u32 BE, as struct.pack('>I')", "hi", {}, "000000026869"],
    ["width 1", "hi", { width: 1 }, "026869"],
    ["width 3 LE", "hi", { width: 3, endian: "little" }, "0200006869"],
    ["width 8 BE", "hi", { width: 8 }, "00000000000000026869"],
    ["width 8 LE", "hi", { width: 8, endian: "little" }, "02000000000000006869"],
    ["offset: zero bytes before the field", "hi", { offset: 2, width: 2 }, "000000026869"],
    ["lengthIncludesHeader", "hi", { width: 2, lengthIncludesHeader: true }, "00046869"],
    ["positive adjustment", "hi", { width: 2, adjustment: 2 }, "00006869"],
    ["strings as UTF-8", "é", { width: 1 }, "02c3a9"],
    ["an empty payload", new Uint8Array(0), {}, "00000000"],
  ])("%s", (_name, payload, options, hex) => {
    expect(encodeLengthPrefixed(payload, options).toString("hex")).toBe(hex);
  });

  it.each<[string, number, LengthPrefixOptions, string]>([
    ["a payload over maxLength", 4, { maxLength: 3 }, TOO_LONG],
    ["256 bytes in a 1-byte field", 256, { width: 1 }, TOO_LONG],
    ["65,536 bytes in a 2-byte field", 65_536, { width: 2 }, TOO_LONG],
    [
      "255 bytes plus the header in a 1-byte field",
      255,
      { width: 1, lengthIncludesHeader: true },
      "ERR_FRAME_TOO_LONG",
    ],
    ["a payload shorter than a positive adjustment", 1, { adjustment: 2 }, "ERR_INVALID_ARGUMENT"],
  ])("refuses %s", (_name, size, options, code) => {
    expect(() => encodeLengthPrefixed(Buffer.alloc(size), options)).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it("fits the largest payload a field can announce", () => {
    expect(encodeLengthPrefixed(Buffer.alloc(255), { width: 1 })[0]).toBe(255);
    expect(
      encodeLengthPrefixed(Buffer.alloc(254), { width: 1, lengthIncludesHeader: true })[0],
    ).toBe(255);
  });
});

describe("LengthPrefixedDecoder options", () => {
  it.each<[string, unknown]>([
    ["width 5", { width: 5 }],
    ["width 0", { width: 0 }],
    ["width as text", { width: "4" }],
    ["an unknown endian", { endian: "middle" }],
    ["a negative offset", { offset: -1 }],
    ["a fractional offset", { offset: 1.5 }],
    ["a NaN adjustment", { adjustment: Number.NaN }],
    ["an adjustment past 2^53", { adjustment: 2 ** 53 }],
    ["lengthIncludesHeader with an adjustment", { lengthIncludesHeader: true, adjustment: -4 }],
    ["lengthIncludesHeader as text", { lengthIncludesHeader: "yes" }],
    ["a negative strip", { strip: -1 }],
    ["a negative maxLength", { maxLength: -1 }],
    ["an infinite maxLength", { maxLength: Number.POSITIVE_INFINITY }],
  ])("refuses %s with ERR_INVALID_ARGUMENT", (_name, options) => {
    const invalid = expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" });
    expect(() => new LengthPrefixedDecoder(options as LengthPrefixOptions)).toThrow(invalid);
    expect(() => encodeLengthPrefixed("x", options as LengthPrefixOptions)).toThrow(invalid);
  });
});
