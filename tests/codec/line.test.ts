import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineDecoder, type LineOptions } from "../../src/codec/line.js";
import { bytewise, cut, type Decoded, decodeAll } from "../helpers/chunking.js";

const rows: [string, LineOptions, string, Decoded][] = [
  [
    "LF and CRLF both end a line by default",
    {},
    "a\nb\r\nc\n",
    { frames: ["a", "b", "c"], end: "eof", rest: "" },
  ],
  ["a lone CR stays in the line", {}, "a\rb\n", { frames: ["a\rb"], end: "eof", rest: "" }],
  [
    "CRLF split across chunks is one line ending",
    {},
    "ab\r\n",
    { frames: ["ab"], end: "eof", rest: "" },
  ],
  ["lf keeps the CR", { eol: "lf" }, "a\r\n", { frames: ["a\r"], end: "eof", rest: "" }],
  [
    "crlf keeps a bare LF in the line",
    { eol: "crlf" },
    "a\nb\r\n",
    { frames: ["a\nb"], end: "eof", rest: "" },
  ],
  [
    "a line at maxLength with CRLF is accepted",
    { maxLength: 2 },
    "ab\r\n",
    { frames: ["ab"], end: "eof", rest: "" },
  ],
  [
    "a line one byte over maxLength is refused",
    { maxLength: 2 },
    "abc\n",
    { frames: [], end: "ERR_FRAME_TOO_LONG", rest: "abc\n" },
  ],
  [
    "a line of maxLength + 1 without CR is refused",
    { maxLength: 2 },
    "ab\rx\n",
    { frames: [], end: "ERR_FRAME_TOO_LONG", rest: "ab\rx\n" },
  ],
  [
    "an unterminated last line is handed back",
    {},
    "a\nbc",
    { frames: ["a"], end: "ERR_INCOMPLETE_READ", rest: "bc" },
  ],
];

describe("LineDecoder", () => {
  describe.each(rows)("%s", (_name, options, input, expected) => {
    const make = () => new LineDecoder(options);
    const bytes = Buffer.from(input, "latin1");

    it("decodes the input whole, byte by byte and in random chunkings alike", () => {
      expect(decodeAll(make, [bytes])).toEqual(expected);
      expect(decodeAll(make, bytewise(bytes))).toEqual(expected);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 6 }), (at) => {
          expect(decodeAll(make, cut(bytes, at))).toEqual(expected);
        }),
        { numRuns: 100 },
      );
    });
  });
});
