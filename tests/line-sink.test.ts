import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineDecoder, type LineEnding } from "../src/codec/line.js";
import { type LineHandlerOptions, LineSink } from "../src/line-sink.js";
import { ReceiveBuffer } from "../src/receive-buffer.js";
import { bytewise, cut, decodeAll } from "./helpers/chunking.js";
import { heapPerHeldLine, SLICED_STRINGS } from "./helpers/gc.js";
import { longLines } from "./helpers/long-lines.js";
import { skipOn } from "./helpers/runtime.js";
import { sinkAll } from "./helpers/sinks.js";

const lineSink =
  (options: LineHandlerOptions) =>
  (
    chunks: readonly Buffer[],
    handler?: (line: string, sink: import("../src/sink.js").Sink) => void,
    recycled = false,
  ): ReturnType<typeof sinkAll<string>> =>
    sinkAll(
      (host, deliver: (line: string) => void, handlers) =>
        new LineSink(host, deliver, { ...options, ...handlers }),
      chunks,
      handler,
      recycled,
    );

/** Fed fresh chunks ('data'), and views of a recycled buffer overwritten after each read. */
const PATHS = [false, true] as const;

/** What readLine() in a loop gives for the same bytes, with a last unterminated line kept. */
function expected(bytes: Buffer, eol: LineEnding, maxLength?: number) {
  const options = maxLength === undefined ? { eol } : { eol, maxLength };
  const ref = decodeAll(() => new LineDecoder(options), [bytes]);
  const lines = ref.frames.map((f) => Buffer.from(f, "latin1").toString("utf8"));
  if (ref.end === "ERR_INCOMPLETE_READ") {
    lines.push(Buffer.from(ref.rest, "latin1").toString("utf8"));
    return { messages: lines, end: "eof", rest: "" };
  }
  return { messages: lines, end: ref.end, rest: ref.rest };
}

const text = (bytes: Buffer) => bytes.toString("latin1");

describe("onLine's sink", () => {
  it("hands out each line as a string without its line ending", () => {
    const out = lineSink({})([Buffer.from("HELO a\r\nQUIT\nlast")]);
    expect(out).toMatchObject({ messages: ["HELO a", "QUIT", "last"], end: "eof", outcomes: 1 });
  });

  it("gives the lines of readLine() for any bytes, line ending, limit and chunking", () => {
    const byte = fc.constantFrom(0x0a, 0x0d, 0x61, 0x62, 0xc3, 0xa9, 0xff, 0x20);
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 60 }),
        fc.constantFrom<LineEnding>("any", "lf", "crlf"),
        fc.option(fc.nat({ max: 12 }), { nil: undefined }),
        fc.array(fc.nat({ max: 60 }), { maxLength: 6 }),
        (bytes, eol, maxLength, at) => {
          const input = Buffer.from(bytes);
          const want = expected(input, eol, maxLength);
          const options = maxLength === undefined ? { eol } : { eol, maxLength };
          for (const chunks of [[input], cut(input, at), bytewise(input)]) {
            for (const recycled of PATHS) {
              const got = lineSink(options)(chunks, undefined, recycled);
              const summary = { messages: got.messages, end: got.end, rest: text(got.rest) };
              expect(summary).toEqual(want);
              expect(got.outcomes).toBe(1);
            }
          }
        },
      ),
      { numRuns: 300, seed: 0x5eed },
    );
  });

  it("stops at a line that throws: ERR_HANDLER_FAILED once, the bytes after that line kept", () => {
    const input = Buffer.from("one\ntwo\nthree\nfour\n");
    for (const chunks of [[input], bytewise(input), cut(input, [5, 9])]) {
      for (const recycled of PATHS) {
        const got = lineSink({})(
          chunks,
          (line) => {
            if (line === "two") throw new Error("boom");
          },
          recycled,
        );
        expect(got.messages).toEqual(["one", "two"]);
        expect(got).toMatchObject({ end: "ERR_HANDLER_FAILED", outcomes: 1 });
        expect(text(got.rest)).toBe("three\nfour\n");
      }
    }
  });

  it("stops mid-chunk when the handler pauses, keeping the rest buffered", () => {
    const input = Buffer.from("a\nb\nc\nd");
    for (const chunks of [[input], cut(input, [3])]) {
      for (const recycled of PATHS) {
        const got = lineSink({})(
          chunks,
          (line, sink) => {
            if (line === "b") sink.halted = true; // what socket.pause() does to the sink
          },
          recycled,
        );
        expect(got).toMatchObject({ messages: ["a", "b"], end: "open", outcomes: 0 });
        expect(text(got.rest)).toBe("c\nd");
      }
    }
  });

  it("refuses a line longer than maxLength before its line ending arrives, keeping it", () => {
    const chunks = [Buffer.from("ok\nxxxx"), Buffer.from("xxxx"), Buffer.from("x\n")];
    for (const recycled of PATHS) {
      const got = lineSink({ maxLength: 8 })(chunks, undefined, recycled);
      expect(got).toMatchObject({ messages: ["ok"], end: "ERR_FRAME_TOO_LONG", outcomes: 1 });
      expect(text(got.rest)).toBe("xxxxxxxxx\n"); // buffered bytes and the chunk not fed yet
    }
  });

  it("decodes latin1 and UTF-16 lines, and multi-byte UTF-8 split across chunks", () => {
    const utf8 = Buffer.from("h\u00e9llo\n\u20ac\n");
    expect(lineSink({})(bytewise(utf8)).messages).toEqual(["h\u00e9llo", "\u20ac"]);
    const latin1 = Buffer.from("caf\u00e9\n", "latin1");
    expect(lineSink({ encoding: "latin1" })([latin1]).messages).toEqual(["caf\u00e9"]);
    const utf16 = Buffer.from("hi\n", "utf16le"); // its LF byte is followed by a 0x00
    expect(lineSink({ encoding: "utf16le", eol: "lf" })([utf16]).end).toBe("eof");
  });

  it("refuses invalid text with ERR_INVALID_TEXT when asked to", () => {
    const got = lineSink({ invalidText: "error" })([Buffer.from([0x61, 0x0a, 0xff, 0x0a])]);
    expect(got).toMatchObject({ messages: ["a"], end: "ERR_INVALID_TEXT", outcomes: 1 });
  });

  it("refuses an unknown encoding when the handler is made", () => {
    expect(() => lineSink({ encoding: "klingon" as BufferEncoding })([])).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });

  it("gives the lines of readLine() for reads of long lines, across 8 KiB text segments", () => {
    fc.assert(
      fc.property(longLines, fc.constantFrom<LineEnding>("any", "lf", "crlf"), (t, eol) => {
        const want = expected(t.input, eol);
        for (const chunks of [[t.input], cut(t.input, t.at)]) {
          for (const recycled of PATHS) {
            const got = lineSink({ eol })(chunks, undefined, recycled);
            expect({ messages: got.messages, end: got.end, rest: text(got.rest) }).toEqual(want);
            expect(got.outcomes).toBe(1);
          }
        }
      }),
      { numRuns: 40, seed: 0x5ea },
    );
  });

  it("hands out a CR LF line that a bare LF cut at a text segment's end at once, not at the next read", () => {
    const lines: string[] = [];
    const sink = new LineSink({ detach() {}, report() {} }, (line) => lines.push(line), {
      eol: "crlf",
    });
    const buffer = new ReceiveBuffer();
    // The bare LF at byte 8,190 ends the first 8 KiB segment; with "crlf" it is inside a line.
    sink.feed(buffer, Buffer.from(`${"a".repeat(8190)}\nb\r\nc\r\nd`));
    expect(lines).toEqual([`${"a".repeat(8190)}\nb`, "c"]);
    expect(buffer.peek(buffer.length).toString()).toBe("d");
  });

  it("keeps at most one 8 KiB text segment alive per line held, not the whole 64 KiB read", (context) => {
    skipOn("bun", SLICED_STRINGS, context);
    const perLine = heapPerHeldLine((read) => {
      let first: string | undefined;
      lineSink({})([read], (line) => {
        first ??= line;
      });
      return first ?? "";
    });
    expect(perLine).toBeLessThan(16 * 1024); // the whole read's text would be 64 KiB a line
  });
});
