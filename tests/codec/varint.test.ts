import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_MAX_FRAME_LENGTH } from "../../src/codec/length.js";
import {
  encodeVarint,
  encodeVarintLength,
  MAX_VARINT_BYTES,
  VarintDecoder,
  type VarintOptions,
} from "../../src/codec/varint.js";
import { ReceiveBuffer } from "../../src/receive-buffer.js";
import { b, type Decoded, itDecodesUnderAnyChunking } from "../helpers/chunking.js";

const latin1 = (spec: string) => b(spec).toString("latin1");
const TOO_LONG = "ERR_FRAME_TOO_LONG";
const CORRUPT = "ERR_FRAME_CORRUPT";
const INCOMPLETE = "ERR_INCOMPLETE_READ";
const SAFE = { maxLength: Number.MAX_SAFE_INTEGER };

/**
 * A name, options, the input, the frames; then, when the stream does not end cleanly, the
 * error code and the bytes not delivered (by default the whole input).
 */
type Row = [string, VarintOptions, string, string[], string?, string?];

const rows: Row[] = [
  ["one frame", {}, "03 'abc'", ["'abc'"]],
  ["two frames back to back", {}, "01'a' 02'bc'", ["'a'", "'bc'"]],
  ["a zero-length frame", {}, "00", ["''"]],
  // 300 = ac 02, protobuf's encoding-guide example.
  ["a two-byte varint", {}, "ac02 'x'*300", ["'x'*300"]],
  // Non-minimal encodings are accepted, as protobuf parsers accept them.
  ["non-minimal zero (80 00)", {}, "8000", ["''"]],
  ["non-minimal one (81 80 00)", {}, "818000 'a'", ["'a'"]],
  ["non-minimal zero in the full 10 bytes", {}, `${"80".repeat(9)}00`, ["''"]],
  // maxLength counts the payload, checked on the varint alone.
  ["frame exactly at maxLength", { maxLength: 3 }, "03 'abc'", ["'abc'"]],
  ["one byte over maxLength", { maxLength: 3 }, "04 'abcd'", [], TOO_LONG],
  ["good frame, then too long", { maxLength: 1 }, "01'a' 02'bc'", ["'a'"], TOO_LONG, "02'bc'"],
  ["a two-byte varint over maxLength", { maxLength: 127 }, "8001", [], TOO_LONG],
  // Corrupt varints: refused when the 10th byte shows it, nothing consumed.
  ["an 11-byte varint", {}, `${"80".repeat(10)}00`, [], CORRUPT],
  ["an 11-byte varint of ones", {}, `${"ff".repeat(10)}01`, [], CORRUPT],
  ["a 10th byte with bits beyond 64", {}, `${"80".repeat(9)}02`, [], CORRUPT],
  // Lengths no number holds exactly.
  ["a 10-byte varint of 2^63", SAFE, `${"80".repeat(9)}01`, [], TOO_LONG],
  ["2^53 in 8 bytes", SAFE, `${"80".repeat(7)}10`, [], TOO_LONG],
  ["2^53 - 1 waits for its payload", SAFE, `${"ff".repeat(7)}0f`, [], INCOMPLETE],
  // The end of the stream hands the leftover bytes back.
  ["an unfinished varint at the end", {}, "01'a' 80", ["'a'"], INCOMPLETE, "80"],
  ["a partial payload at the end", {}, "05 'ab'", [], INCOMPLETE],
];

describe("VarintDecoder", () => {
  describe.each(rows)("%s", (_name, options, input, frames, end = "eof", rest) => {
    const make = () => new VarintDecoder(options);
    const bytes = b(input);
    const unread = rest ?? (end === "eof" ? "" : input);
    const expected: Decoded = { frames: frames.map(latin1), end, rest: latin1(unread) };

    itDecodesUnderAnyChunking(make, bytes, expected, 100);
  });

  it("refuses an 11-byte varint as soon as its 10th byte arrives", () => {
    const buffer = new ReceiveBuffer();
    const decoder = new VarintDecoder();
    buffer.append(b("80".repeat(MAX_VARINT_BYTES - 1)));
    expect(decoder.decode(buffer)).toBeNull();
    buffer.append(b("80"));
    expect(() => decoder.decode(buffer)).toThrow(
      expect.objectContaining({ code: "ERR_FRAME_CORRUPT" }),
    );
    expect(buffer.length).toBe(MAX_VARINT_BYTES); // nothing consumed
  });

  it("defaults maxLength to 8 MiB, checked on the varint alone", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(encodeVarintLength(DEFAULT_MAX_FRAME_LENGTH));
    expect(new VarintDecoder().decode(buffer)).toBeNull();
    buffer.clear();
    buffer.append(encodeVarintLength(DEFAULT_MAX_FRAME_LENGTH + 1));
    expect(() => new VarintDecoder().decode(buffer)).toThrow(
      expect.objectContaining({ code: "ERR_FRAME_TOO_LONG", maxLength: DEFAULT_MAX_FRAME_LENGTH }),
    );
  });

  it("hands out a view when the frame sits in one chunk", () => {
    const chunk = b("02 'hi' 'rest'");
    const buffer = new ReceiveBuffer();
    buffer.append(chunk);
    expect(new VarintDecoder().decode(buffer)?.buffer).toBe(chunk.buffer);
  });

  it("reads the varint once while a large frame arrives in many chunks", () => {
    const buffer = new ReceiveBuffer();
    const byteAt = vi.spyOn(buffer, "byteAt");
    const decoder = new VarintDecoder();
    buffer.append(b("ac02")); // 300 bytes
    for (let i = 0; i < 299; i++) {
      buffer.append(Buffer.from("x"));
      expect(decoder.decode(buffer)).toBeNull();
    }
    expect(byteAt).toHaveBeenCalledTimes(2);
    buffer.append(Buffer.from("x"));
    expect(decoder.decode(buffer)?.length).toBe(300);
  });

  it("reads the next varint afresh after a purge or reset()", () => {
    const buffer = new ReceiveBuffer();
    const decoder = new VarintDecoder();
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

  it("reports the expected total at the end once the varint is known", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(b("ac02 'ab'"));
    expect(() => new VarintDecoder().decodeEof(buffer)).toThrow(
      expect.objectContaining({ code: INCOMPLETE, expected: 302, partial: b("ac02 'ab'") }),
    );
    buffer.append(b("ac"));
    expect(() => new VarintDecoder().decodeEof(buffer)).toThrow(
      expect.objectContaining({ code: INCOMPLETE, expected: undefined }),
    );
    expect(new VarintDecoder().decodeEof(buffer)).toBeNull();
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])("refuses maxLength %s", (maxLength) => {
    const invalid = expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" });
    expect(() => new VarintDecoder({ maxLength })).toThrow(invalid);
    expect(() => encodeVarint("x", { maxLength })).toThrow(invalid);
  });
});

/** A reference LEB128 reader in bigint arithmetic. */
function leb128(bytes: Buffer): bigint {
  return [...bytes].reduce((v, byte, i) => v | (BigInt(byte & 0x7f) << BigInt(7 * i)), 0n);
}

describe("encodeVarintLength", () => {
  it.each([
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "8001"],
    [150, "9601"], // protobuf's documented example
    [300, "ac02"],
    [2 ** 32, "8080808010"], // past 32 bits: no bitwise truncation
    [Number.MAX_SAFE_INTEGER, "ffffffffffffff0f"],
  ])("encodes %s as %s", (n, hex) => {
    expect(encodeVarintLength(n).toString("hex")).toBe(hex);
  });

  it("writes the minimal LEB128 of every safe integer", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const bytes = encodeVarintLength(n);
        expect(leb128(bytes)).toBe(BigInt(n));
        const last = bytes.length - 1;
        expect([...bytes].every((byte, i) => i < last === byte >= 0x80)).toBe(true);
        expect(last === 0 || bytes[last] !== 0).toBe(true); // no padding
      }),
    );
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])("refuses %s", (n) => {
    expect(() => encodeVarintLength(n)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });
});

describe("encodeVarint", () => {
  it("writes the varint then the payload, strings as UTF-8", () => {
    expect(encodeVarint("hi").toString("hex")).toBe("026869");
    expect(encodeVarint("é").toString("hex")).toBe("02c3a9");
    expect(encodeVarint(new Uint8Array(0)).toString("hex")).toBe("00");
  });

  it("refuses a payload over maxLength", () => {
    expect(encodeVarint("abc", { maxLength: 3 }).length).toBe(4);
    expect(() => encodeVarint("abcd", { maxLength: 3 })).toThrow(
      expect.objectContaining({ code: TOO_LONG, maxLength: 3 }),
    );
  });
});
