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
  ["a lone CR ends a line at once", {}, "a\rb\n", { frames: ["a", "b"], end: "eof", rest: "" }],
  [
    "the LF of a CR LF is dropped in whichever chunk and read it arrives",
    {},
    "a\r\nb\r\n",
    { frames: ["a", "b"], end: "eof", rest: "" },
  ],
  [
    "CR CR ends two lines, the second empty",
    {},
    "a\r\rb\r",
    { frames: ["a", "", "b"], end: "eof", rest: "" },
  ],
  [
    "CR LF CR LF ends two lines, the second empty",
    {},
    "a\r\n\r\nb\n",
    { frames: ["a", "", "b"], end: "eof", rest: "" },
  ],
  [
    "LF CR ends two lines: a CR after an LF is an ending of its own",
    {},
    "a\n\rb\n",
    { frames: ["a", "", "b"], end: "eof", rest: "" },
  ],
  [
    "a lone CR at maxLength is accepted",
    { maxLength: 2 },
    "ab\rcd\r",
    { frames: ["ab", "cd"], end: "eof", rest: "" },
  ],
  [
    "cr ends lines at CR only and keeps an LF in the line",
    { eol: "cr" },
    "a\nb\rc\r",
    { frames: ["a\nb", "c"], end: "eof", rest: "" },
  ],
  [
    "cr hands back the LF of a CR LF as the start of the next line",
    { eol: "cr" },
    "a\r\n",
    { frames: ["a"], end: "ERR_INCOMPLETE_READ", rest: "\n" },
  ],
  [
    "crlf keeps a lone CR in the line",
    { eol: "crlf" },
    "a\rb\r\n",
    { frames: ["a\rb"], end: "eof", rest: "" },
  ],
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
    "lf: a line of maxLength + 1 with a CR inside is refused",
    { maxLength: 2, eol: "lf" },
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

/** Java's `BufferedReader.readLine` rule, on a whole string: the model the decoder must match. */
function javaLines(text: string): { lines: string[]; rest: string } {
  const lines: string[] = [];
  let line = "";
  let skipLf = false;
  for (const c of text) {
    if (skipLf && c === "\n") {
      skipLf = false;
      continue;
    }
    skipLf = false;
    if (c === "\r" || c === "\n") {
      lines.push(line);
      line = "";
      skipLf = c === "\r";
    } else line += c;
  }
  return { lines, rest: line };
}

describe("LineDecoder with eol any (Java BufferedReader.readLine rule)", () => {
  it("matches the model for random streams of CR, LF and text under any chunking", () => {
    const alphabet = fc.constantFrom("a", "b", "\r", "\n");
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }),
        fc.array(fc.nat({ max: 40 })),
        (chars, at) => {
          const text = chars.join("");
          const bytes = Buffer.from(text, "latin1");
          const model = javaLines(text);
          const expected: Decoded =
            model.rest === ""
              ? { frames: model.lines, end: "eof", rest: "" }
              : { frames: model.lines, end: "ERR_INCOMPLETE_READ", rest: model.rest };
          const make = () => new LineDecoder();
          expect(decodeAll(make, [bytes])).toEqual(expected);
          expect(decodeAll(make, cut(bytes, at))).toEqual(expected);
          expect(decodeAll(make, bytewise(bytes))).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("drops an LF that arrives after a lone CR ended a line, whatever reads it next", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from("HELLO\r"));
    expect(new LineDecoder().decode(buffer)?.toString()).toBe("HELLO");
    buffer.append(Buffer.from("\nbody"));
    expect(buffer.take(4).toString()).toBe("body"); // a byte read, not a line read
  });

  it("keeps a byte other than LF that arrives after a lone CR", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from("a\r"));
    expect(new LineDecoder().decode(buffer)?.toString()).toBe("a");
    buffer.append(Buffer.from("x\n"));
    buffer.append(Buffer.from("\n"));
    expect(buffer.take(3).toString()).toBe("x\n\n"); // only the very next byte is checked
  });

  it("skips an over-long line through a lone CR and the LF after it", () => {
    const buffer = new ReceiveBuffer();
    const skipper = new LineDecoder({ maxLength: 2 }).skipper();
    buffer.append(Buffer.from("abcdef\r"));
    expect(skipper.decode(buffer)).toEqual(Buffer.alloc(0));
    buffer.append(Buffer.from("\nok\n"));
    expect(new LineDecoder().decode(buffer)?.toString()).toBe("ok");
  });

  it.each(["CR", "crlf ", "auto", 1])("refuses eol %s with ERR_INVALID_ARGUMENT", (eol) => {
    expect(() => new LineDecoder({ eol } as unknown as LineOptions)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
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
