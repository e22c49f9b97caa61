import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineDecoder, type LineOptions } from "../../src/codec/line.js";
import { ReceiveBuffer } from "../../src/receive-buffer.js";
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

describe("LineDecoder.decodeText", () => {
  // UTF-8 of two, three and four bytes, an invalid byte, CRLF and LF endings.
  const input = Buffer.concat([
    Buffer.from("héllo wörld\r\n€ and 🎉\n", "utf8"),
    Buffer.from([0x62, 0x61, 0xff, 0x64, 0x0a]),
    Buffer.from("\nlast\r\n", "utf8"),
  ]);
  const expected = ["héllo wörld", "€ and 🎉", "ba\uFFFDd", "", "last"];

  function decodeText(chunks: readonly Buffer[], options?: LineOptions): string[] {
    const buffer = new ReceiveBuffer();
    const decoder = new LineDecoder(options);
    const lines: string[] = [];
    for (const chunk of chunks) {
      buffer.append(Buffer.from(chunk));
      for (let line = decoder.decodeText(buffer); line !== null; line = decoder.decodeText(buffer))
        lines.push(line);
    }
    expect(buffer.length).toBe(0);
    return lines;
  }

  it("gives each line as UTF-8 text, whole, byte by byte and in random chunkings alike", () => {
    expect(decodeText([input])).toEqual(expected);
    expect(decodeText(bytewise(input))).toEqual(expected); // every character cut apart
    fc.assert(
      fc.property(fc.array(fc.nat({ max: input.length }), { maxLength: 6 }), (at) => {
        expect(decodeText(cut(input, at))).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("ends lines at CRLF only with eol crlf, like decode", () => {
    const crlf = Buffer.from("a\nb\r\nc\r\n");
    expect(decodeText([crlf], { eol: "crlf" })).toEqual(["a\nb", "c"]);
    expect(decodeText(bytewise(crlf), { eol: "crlf" })).toEqual(["a\nb", "c"]);
  });

  it("refuses a line over maxLength and leaves its bytes buffered", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from("12345\n"));
    expect(() => new LineDecoder({ maxLength: 4 }).decodeText(buffer)).toThrow(
      expect.objectContaining({ code: "ERR_FRAME_TOO_LONG" }),
    );
    expect(buffer.length).toBe(6);
  });
});
