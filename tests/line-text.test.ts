import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineDecoder, type LineEnding } from "../src/codec/line.js";
import type { SocketError } from "../src/errors.js";
import { iterateLines } from "../src/iterate.js";
import { LineText } from "../src/line-text.js";
import { Reader } from "../src/reader.js";
import { ReceiveBuffer } from "../src/receive-buffer.js";
import { bytewise, cut, decodeAll } from "./helpers/chunking.js";
import { heapPerHeldLine, SLICED_STRINGS } from "./helpers/gc.js";
import { longLines } from "./helpers/long-lines.js";
import { skipOn } from "./helpers/runtime.js";

/** What readLine() in a loop gives for the same bytes, with a last unterminated line kept. */
function expected(bytes: Buffer, eol: LineEnding, maxLength?: number) {
  const options = maxLength === undefined ? { eol } : { eol, maxLength };
  const ref = decodeAll(() => new LineDecoder(options), [bytes]);
  const lines = ref.frames.map((f) => Buffer.from(f, "latin1").toString("utf8"));
  if (ref.end === "ERR_INCOMPLETE_READ") {
    lines.push(Buffer.from(ref.rest, "latin1").toString("utf8"));
    return { lines, end: "eof", rest: "" };
  }
  return { lines, end: ref.end, rest: ref.rest };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * `for await` over lines() of a reader fed `chunks` one by one (each pushed as a fresh copy,
 * or as a view of one scratch buffer overwritten after the push: the recycled read buffer).
 * `other`: every other line is taken by a plain read (decodeNow) instead of the iterator.
 */
async function iterate(
  chunks: readonly Buffer[],
  options: { eol: LineEnding; maxLength?: number },
  how: { recycled?: boolean; other?: boolean; stopAfter?: number } = {},
) {
  const reader = new Reader({ pause() {}, resume() {} });
  const lines: string[] = [];
  let end = "eof";
  const plain = new LineDecoder(options);
  const consumer = (async () => {
    try {
      for await (const line of iterateLines(reader, options)) {
        lines.push(line);
        if (how.stopAfter !== undefined && lines.length >= how.stopAfter) break;
        if (how.other) {
          const next = reader.decodeNow(plain);
          if (next !== null) lines.push(next.toString("utf8"));
        }
      }
    } catch (error) {
      end = (error as SocketError).code;
    }
  })();
  const scratch = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  for (const chunk of chunks) {
    if (how.recycled) {
      chunk.copy(scratch);
      reader.push(scratch.subarray(0, chunk.length), true);
      scratch.fill(0xee);
    } else reader.push(Buffer.from(chunk));
    await settle();
  }
  reader.end();
  await consumer;
  return { lines, end, rest: reader.buffer.peek(reader.buffer.length).toString("latin1") };
}

const byte = fc.constantFrom(0x0a, 0x0d, 0x61, 0x62, 0xc3, 0xa9, 0xff, 0x20);

describe("lines() cutting a chunk's decoded text", () => {
  it("gives the lines of readLine() for any bytes, line ending, limit and chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(byte, { maxLength: 60 }),
        fc.constantFrom<LineEnding>("any", "lf", "crlf"),
        fc.option(fc.nat({ max: 12 }), { nil: undefined }),
        fc.array(fc.nat({ max: 60 }), { maxLength: 6 }),
        fc.boolean(),
        async (bytes, eol, maxLength, at, recycled) => {
          const input = Buffer.from(bytes);
          const want = expected(input, eol, maxLength);
          const options = maxLength === undefined ? { eol } : { eol, maxLength };
          for (const chunks of [[input], cut(input, at), bytewise(input)]) {
            expect(await iterate(chunks, options, { recycled })).toEqual(want);
          }
        },
      ),
      { numRuns: 150, seed: 0x11e },
    );
  });

  it("takes only the line it hands out: plain reads interleaved see the next bytes", async () => {
    const input = Buffer.from("one\ntwo\r\nthree\nfour\rfive\nsix\n\nseven");
    const want = ["one", "two", "three", "four", "five", "six", "", "seven"];
    for (const chunks of [[input], cut(input, [6, 17]), bytewise(input)]) {
      for (const recycled of [false, true]) {
        const got = await iterate(chunks, { eol: "any" }, { recycled, other: true });
        expect(got.lines).toEqual(want);
        expect(got.end).toBe("eof");
      }
    }
  });

  it("leaves every byte after the last line handed out buffered when the loop breaks", async () => {
    const input = Buffer.from("a\nbb\nccc\ndddd\n");
    for (const chunks of [[input], cut(input, [3, 9]), bytewise(input)]) {
      const got = await iterate(chunks, { eol: "lf" }, { stopAfter: 2 });
      expect(got.lines).toEqual(["a", "bb"]);
      expect(got.rest).toBe("ccc\ndddd\n");
    }
  });

  it("refuses a line over maxLength with ERR_FRAME_TOO_LONG, keeping it and what follows", async () => {
    const input = Buffer.from(`ok\n${"x".repeat(20)}\nafter\n`);
    for (const chunks of [[input], bytewise(input)]) {
      const got = await iterate(chunks, { eol: "any", maxLength: 10 });
      expect(got).toEqual({
        lines: ["ok"],
        end: "ERR_FRAME_TOO_LONG",
        rest: `${"x".repeat(20)}\nafter\n`,
      });
    }
  });

  it("gives the lines of readLine() for reads of long lines, across 8 KiB text segments", async () => {
    await fc.assert(
      fc.asyncProperty(
        longLines,
        fc.constantFrom<LineEnding>("any", "lf", "crlf"),
        async (t, eol) => {
          const want = expected(t.input, eol);
          for (const chunks of [[t.input], cut(t.input, t.at)]) {
            const got = await iterate(chunks, { eol });
            expect(got).toEqual(want);
          }
        },
      ),
      { numRuns: 40, seed: 0x5e9 },
    );
  });

  it("keeps at most one 8 KiB text segment alive per line held, not the whole 64 KiB read", (context) => {
    skipOn("bun", SLICED_STRINGS, context);
    // A line is a slice of the text it was cut from: held, it keeps that text in memory.
    const cursor = new LineText({ eol: "lf", encoding: "utf8", maxLength: 1 << 20 });
    const perLine = heapPerHeldLine((read) => {
      const buffer = new ReceiveBuffer();
      buffer.append(read);
      const line = cursor.take(buffer) ?? "";
      cursor.reset();
      return line;
    });
    expect(perLine).toBeLessThan(16 * 1024); // the whole read's text would be 64 KiB a line
  });
});
