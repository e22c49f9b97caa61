import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_LINE_LENGTH,
  type Delimiter,
  DelimiterDecoder,
  type DelimiterOptions,
} from "../../src/codec/delimiter.js";
import { SocketError } from "../../src/errors.js";
import { ReceiveBuffer } from "../../src/receive-buffer.js";
import {
  bytewise,
  cut,
  type Decoded,
  decodeAll,
  itDecodesUnderAnyChunking,
} from "../helpers/chunking.js";

type Row = [string, Delimiter | Delimiter[], DelimiterOptions, string, Decoded];

const rows: Row[] = [
  ["one frame with its delimiter", "\n", {}, "ab\n", { frames: ["ab\n"], end: "eof", rest: "" }],
  [
    "delimiter stripped",
    "\n",
    { include: false },
    "ab\ncd\n",
    { frames: ["ab", "cd"], end: "eof", rest: "" },
  ],
  ["empty frames", "\n", { include: false }, "\n\n", { frames: ["", ""], end: "eof", rest: "" }],
  [
    "multi-byte delimiter",
    "\r\n\r\n",
    {},
    "H: 1\r\n\r\nbody",
    { frames: ["H: 1\r\n\r\n"], end: "ERR_INCOMPLETE_READ", rest: "body" },
  ],
  [
    "shortest frame wins",
    [";", "\n"],
    { include: false },
    "a;b\nc\n",
    { frames: ["a", "b", "c"], end: "eof", rest: "" },
  ],
  [
    "same end: the longer delimiter wins",
    ["\n", "\r\n"],
    { include: false },
    "a\r\nb\n",
    { frames: ["a", "b"], end: "eof", rest: "" },
  ],
  [
    "a delimiter that is a prefix of another ends first and wins",
    ["\r", "\r\n"],
    { include: false },
    "a\r\nb\r",
    { frames: ["a", "\nb"], end: "eof", rest: "" },
  ],
  [
    "CR, LF and CR LF as delimiters: each frame ends at the first delimiter completed",
    ["\r\n", "\n", "\r"],
    {},
    "a\r\nb\rc\n",
    { frames: ["a\r", "\n", "b\r", "c\n"], end: "eof", rest: "" },
  ],
  [
    "frame exactly at maxLength",
    "\n",
    { maxLength: 3 },
    "abc\n",
    { frames: ["abc\n"], end: "eof", rest: "" },
  ],
  [
    "one byte over maxLength, delimiter present",
    "\n",
    { maxLength: 3 },
    "abcd\n",
    { frames: [], end: "ERR_FRAME_TOO_LONG", rest: "abcd\n" },
  ],
  [
    "one byte over maxLength, no delimiter yet",
    "\n",
    { maxLength: 3 },
    "abcd",
    { frames: [], end: "ERR_FRAME_TOO_LONG", rest: "abcd" },
  ],
  [
    "maxLength 0 accepts empty frames only",
    "\n",
    { maxLength: 0 },
    "\nx\n",
    { frames: ["\n"], end: "ERR_FRAME_TOO_LONG", rest: "x\n" },
  ],
  [
    "a good frame before an over-long one is delivered",
    "\n",
    { maxLength: 2 },
    "ab\ncdef",
    { frames: ["ab\n"], end: "ERR_FRAME_TOO_LONG", rest: "cdef" },
  ],
  [
    "leftover bytes at the end are handed back",
    "\n",
    {},
    "ab\ncd",
    { frames: ["ab\n"], end: "ERR_INCOMPLETE_READ", rest: "cd" },
  ],
  [
    "binary delimiter",
    Buffer.from([0, 0xff]),
    { include: false },
    "a\u0000\u00ffb\u0000\u00ff",
    { frames: ["a", "b"], end: "eof", rest: "" },
  ],
  [
    "delimiter prefix inside the frame",
    "\r\n",
    { include: false },
    "a\rb\r\n",
    { frames: ["a\rb"], end: "eof", rest: "" },
  ],
];

describe("DelimiterDecoder", () => {
  describe.each(rows)("%s", (_name, delimiters, options, input, expected) => {
    const make = () => new DelimiterDecoder(delimiters, options);
    const bytes = Buffer.from(input, "latin1");

    itDecodesUnderAnyChunking(make, bytes, expected, 200);
  });

  it("yields the same frames for random streams under random chunkings", () => {
    const alphabet = fc.constantFrom("a", "b", "\r", "\n", ";");
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 60 }),
        fc.array(fc.nat({ max: 60 })),
        (chars, at) => {
          const bytes = Buffer.from(chars.join(""), "latin1");
          const sets = [
            ["\r\n", ";"],
            ["\r", "\r\n", "\n"],
            ["b", "ab;", "a"],
          ];
          for (const delimiters of sets) {
            const make = () => new DelimiterDecoder(delimiters, { include: false, maxLength: 10 });
            const whole = decodeAll(make, [bytes]);
            expect(decodeAll(make, cut(bytes, at))).toEqual(whole);
            expect(decodeAll(make, bytewise(bytes))).toEqual(whole);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses an over-long frame before buffering past maxLength plus the delimiter", () => {
    const buffer = new ReceiveBuffer();
    const decoder = new DelimiterDecoder("\r\n", { maxLength: 4 });
    buffer.append(Buffer.from("abcd\r"));
    expect(decoder.decode(buffer)).toBeNull(); // "\r\n" may still end a 4-byte frame
    buffer.append(Buffer.from("x"));
    expect(() => decoder.decode(buffer)).toThrow(
      expect.objectContaining({ code: "ERR_FRAME_TOO_LONG", maxLength: 4 }),
    );
    expect(buffer.length).toBe(6); // nothing was consumed
  });

  it("defaults maxLength to 1 MiB", () => {
    expect(DEFAULT_MAX_LINE_LENGTH).toBe(1024 * 1024);
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.alloc(DEFAULT_MAX_LINE_LENGTH, 0x61));
    const decoder = new DelimiterDecoder("\n");
    expect(decoder.decode(buffer)).toBeNull();
    buffer.append(Buffer.from("a"));
    expect(() => decoder.decode(buffer)).toThrow(
      expect.objectContaining({ code: "ERR_FRAME_TOO_LONG" }),
    );
  });

  it("returns a view into the chunk when the frame sits in one chunk", () => {
    const chunk = Buffer.from("line\nrest");
    const buffer = new ReceiveBuffer();
    buffer.append(chunk);
    const frame = new DelimiterDecoder("\n").decode(buffer);
    expect(frame?.buffer).toBe(chunk.buffer);
  });

  it.each([
    ["an empty delimiter", ""],
    ["an empty list", []],
    ["an empty delimiter in a list", ["\n", ""]],
  ])("refuses %s with ERR_INVALID_ARGUMENT", (_name, delimiters) => {
    expect(() => new DelimiterDecoder(delimiters as Delimiter[])).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });

  it.each([-1, 1.5, Number.NaN])("refuses maxLength %s with ERR_INVALID_ARGUMENT", (maxLength) => {
    const make = () => new DelimiterDecoder("\n", { maxLength });
    expect(make).toThrow(SocketError);
    expect(make).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
  });
});

describe("DelimiterDecoder with delimiters that overlap", () => {
  it("takes a match as soon as its last byte arrives, never waiting for a longer delimiter", () => {
    const buffer = new ReceiveBuffer();
    const decoder = new DelimiterDecoder(["b", "abc"], { include: false });
    buffer.append(Buffer.from("xab"));
    expect(decoder.decode(buffer)?.toString()).toBe("xa"); // "abc" might follow; no wait
    buffer.append(Buffer.from("c"));
    expect(decoder.decode(buffer)).toBeNull();
    expect(buffer.peek(buffer.length).toString()).toBe("c");
  });

  it("ends a frame at a CR from a CR-only peer with no byte after it", () => {
    const buffer = new ReceiveBuffer();
    const decoder = new DelimiterDecoder(["\r\n", "\n", "\r"]);
    buffer.append(Buffer.from("PING\r"));
    expect(decoder.decode(buffer)?.toString()).toBe("PING\r");
  });

  it("matches the shortest-data model for random streams under random chunkings", () => {
    // asyncio's readuntil: the shortest prefix that ends with a delimiter; at the same end,
    // the longer delimiter.
    const model = (text: string, delimiters: string[]): string[] => {
      const frames: string[] = [];
      let start = 0;
      for (let end = 1; end <= text.length; end++) {
        const head = text.slice(start, end);
        const match = delimiters
          .filter((d) => head.endsWith(d))
          .sort((x, y) => y.length - x.length)[0];
        if (match !== undefined) {
          frames.push(head.slice(0, head.length - match.length));
          start = end;
        }
      }
      return frames;
    };
    const alphabet = fc.constantFrom("a", "b", "\r", "\n");
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }),
        fc.array(fc.nat({ max: 40 })),
        (chars, at) => {
          const text = chars.join("");
          const bytes = Buffer.from(text, "latin1");
          for (const delimiters of [
            ["\r\n", "\n", "\r"],
            ["b", "ab", "\r\n"],
          ]) {
            const make = () => new DelimiterDecoder(delimiters, { include: false });
            const frames = model(text, delimiters);
            expect(decodeAll(make, cut(bytes, at)).frames).toEqual(frames);
            expect(decodeAll(make, bytewise(bytes)).frames).toEqual(frames);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("DelimiterSkipper", () => {
  const skipAll = (delimiters: string[], chunks: Buffer[]) => {
    const buffer = new ReceiveBuffer();
    const skipper = new DelimiterDecoder(delimiters).skipper();
    let held = 0;
    for (const chunk of chunks) {
      buffer.append(chunk);
      if (skipper.decode(buffer) !== null) {
        const rest = chunks.slice(chunks.indexOf(chunk) + 1);
        return { rest: Buffer.concat([buffer.takeAll(), ...rest]).toString("latin1"), held };
      }
      held = Math.max(held, buffer.length);
    }
    return { rest: undefined, held };
  };

  it("discards exactly through the next delimiter, whole, byte by byte and in random chunkings", () => {
    const bytes = Buffer.from("aaaaaaaaaa\r\r\nnext\r\n", "latin1");
    const expected = "next\r\n";
    expect(skipAll(["\r\n"], [bytes]).rest).toBe(expected);
    expect(skipAll(["\r\n"], bytewise(bytes)).rest).toBe(expected);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 8 }), (at) => {
        expect(skipAll(["\r\n"], cut(bytes, at)).rest).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("holds back no more than the longest delimiter minus one byte while skipping", () => {
    const flood = bytewise(Buffer.alloc(10_000, 0x61));
    const { rest, held } = skipAll(["\r\n\r\n"], flood);
    expect(rest).toBeUndefined(); // no delimiter yet: still skipping
    expect(held).toBeLessThanOrEqual(3);
  });

  it("discards what is left at the end of the stream", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from("unterminated"));
    expect(new DelimiterDecoder("\n").skipper().decodeEof(buffer)).toEqual(Buffer.alloc(0));
    expect(buffer.length).toBe(0);
  });
});
