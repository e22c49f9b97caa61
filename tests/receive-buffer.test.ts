import { describe, expect, it } from "vitest";
import { ReceiveBuffer } from "../src/receive-buffer.js";
import { collector } from "./helpers/gc.js";

function bufferOf(...chunks: string[]): ReceiveBuffer {
  const buffer = new ReceiveBuffer();
  for (const chunk of chunks) buffer.append(Buffer.from(chunk, "latin1"));
  return buffer;
}

describe("ReceiveBuffer", () => {
  it("counts appended bytes and ignores empty chunks", () => {
    const buffer = bufferOf("ab", "", "cde");
    expect(buffer.length).toBe(5);
  });

  it.each([
    // [chunks, needle, from, expected, comment]
    [["hello\r\nworld"], "\r\n", 0, 5, "inside one chunk"],
    [["hello\r", "\nworld"], "\r\n", 0, 5, "split delimiter (1/2)"],
    [["a\r", "\n", "\r", "\n"], "\r\n\r\n", 0, 1, "four-byte delimiter over three chunks"],
    [["abc", "d", "ef"], "cde", 0, 2, "needle spans a one-byte chunk"],
    [["abc", "d"], "bcd", 0, 1, "needle ends exactly at the last byte"],
    [["abc", "d"], "cdef", 0, -1, "needle runs past the end"],
    [["xx\n", "yy\n"], "\n", 3, 5, "search resumes at from"],
    [["xx\n", "yy\n"], "\n", 6, -1, "from at the end"],
    [["ab", "ab", "ab"], "bab", 2, 3, "from skips an earlier match"],
    [["aaa", "aab"], "aab", 0, 3, "overlapping prefix candidates across a boundary"],
    [["aa", "ab"], "aab", 0, 1, "match starts before the boundary"],
  ] as const)(
    "indexOf finds %j / %j from %d at %d (%s)",
    (chunks, needle, from, expected, _comment) => {
      const buffer = bufferOf(...chunks);
      expect(buffer.indexOf(Buffer.from(needle, "latin1"), from)).toBe(expected);
    },
  );

  it("indexOf skips bytes already consumed from the first chunk", () => {
    const buffer = bufferOf("\nab\n");
    buffer.discard(1);
    expect(buffer.indexOf(Buffer.from("\n"))).toBe(2);
  });

  it("take hands out a zero-copy view when the bytes sit in one chunk", () => {
    const chunk = Buffer.from("hello world");
    const buffer = new ReceiveBuffer();
    buffer.append(chunk);
    const head = buffer.take(5);
    expect(head.toString()).toBe("hello");
    expect(head.buffer).toBe(chunk.buffer); // same memory: no copy
    expect(buffer.length).toBe(6);
    expect(buffer.take(6).toString()).toBe(" world");
  });

  it("take copies once when the bytes span chunks", () => {
    const buffer = bufferOf("ab", "cd", "ef");
    buffer.discard(1);
    expect(buffer.take(4).toString()).toBe("bcde");
    expect(buffer.takeAll().toString()).toBe("f");
    expect(buffer.length).toBe(0);
  });

  it("peek does not consume and byteAt reads across chunks", () => {
    const buffer = bufferOf("ab", "cd");
    expect(buffer.peek(3).toString()).toBe("abc");
    expect(buffer.byteAt(2)).toBe("c".charCodeAt(0));
    expect(buffer.byteAt(4)).toBeUndefined();
    expect(buffer.byteAt(-1)).toBeUndefined();
    expect(buffer.length).toBe(4);
  });

  it("refuses to take or discard more than it holds", () => {
    const buffer = bufferOf("abc");
    expect(() => buffer.take(4)).toThrow(RangeError);
    expect(() => buffer.discard(4)).toThrow(RangeError);
    expect(buffer.length).toBe(3);
  });

  it("clear drops everything and reports how much (Xojo Purge)", () => {
    const buffer = bufferOf("abc", "de");
    expect(buffer.clear()).toBe(5);
    expect(buffer.length).toBe(0);
    expect(buffer.indexOf(Buffer.from("a"))).toBe(-1);
  });

  it("keeps working after many chunks are consumed (compaction)", () => {
    const buffer = new ReceiveBuffer();
    let expected = "";
    for (let i = 0; i < 500; i++) {
      buffer.append(Buffer.from(`${i};`));
      expected += `${i};`;
      if (i % 3 === 0) {
        const at = buffer.indexOf(Buffer.from(";"));
        const frame = buffer.take(at + 1).toString();
        expect(expected.startsWith(frame)).toBe(true);
        expected = expected.slice(frame.length);
      }
    }
    expect(buffer.takeAll().toString()).toBe(expected);
  });

  it("lets go of a chunk once its last byte is consumed, while later chunks stay buffered", async () => {
    // A consumed chunk still referenced would be promoted by the young-generation collector
    // and pin its memory until a full collection (the W4 benchmark's page-fault storm).
    const gc = collector();
    const buffer = new ReceiveBuffer();
    let consumed: Buffer | undefined = Buffer.from(new ArrayBuffer(4096));
    const released = new WeakRef(consumed.buffer);
    buffer.append(consumed);
    buffer.append(Buffer.from("rest"));
    buffer.discard(4096 + 1);
    consumed = undefined;
    for (let i = 0; i < 5 && released.deref() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve)); // WeakRefs clear between jobs
      gc();
    }
    expect(released.deref()).toBeUndefined();
    expect(buffer.takeAll().toString()).toBe("est");
  });
});
