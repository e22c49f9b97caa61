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

  it("keeps every buffer's bytes its own as buffers empty and fill again", () => {
    // Empty buffers share one empty chunk list (W5): bytes appended to one must never
    // appear in another, whichever way each was emptied (take, discard, clear, takeAll).
    const taken = bufferOf("ab");
    taken.take(2);
    const discarded = bufferOf("cd", "e");
    discarded.discard(3);
    const cleared = bufferOf("f");
    cleared.clear();
    const all = bufferOf("g", "h");
    all.takeAll();
    taken.append(Buffer.from("1"));
    discarded.append(Buffer.from("22"));
    expect([taken, discarded, cleared, all].map((b) => b.length)).toEqual([1, 2, 0, 0]);
    expect(taken.takeAll().toString()).toBe("1");
    expect(discarded.takeAll().toString()).toBe("22");
    expect(cleared.indexOf(Buffer.from("1"))).toBe(-1);
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

describe("ReceiveBuffer.takeRange and takeText", () => {
  it("hands out a frame without its header and delimiter, consuming all of them", () => {
    const buffer = bufferOf("\x00\x03abc;rest");
    expect(buffer.takeRange(1, 4, 5).toString()).toBe("\x03ab"); // bytes 1..4 of the first 5
    expect(buffer.length).toBe(5);
    expect(buffer.takeAll().toString()).toBe(";rest");
  });

  it("copies a frame that spans chunks, and takes a frame that ends a chunk exactly", () => {
    const buffer = bufferOf("HEADab", "cd;", "xy");
    expect(buffer.takeRange(4, 8, 9).toString()).toBe("abcd");
    expect(buffer.takeRange(0, 1, 2).toString()).toBe("x"); // the last chunk ends with it
    expect(buffer.length).toBe(0);
  });

  it("hands over the only buffered chunk itself when the frame is all of it, and goes on", () => {
    const chunk = Buffer.from("PING\n");
    const buffer = new ReceiveBuffer();
    buffer.append(chunk);
    expect(buffer.takeRange(0, 5, 5)).toBe(chunk);
    expect(buffer.length).toBe(0);
    buffer.append(Buffer.from("next"));
    expect(buffer.takeAll().toString()).toBe("next");
  });

  it("returns a view into the chunk when the frame sits in one", () => {
    const chunk = Buffer.from("abc\ndef");
    const buffer = new ReceiveBuffer();
    buffer.append(chunk);
    const frame = buffer.takeRange(0, 3, 4);
    expect(frame.buffer).toBe(chunk.buffer);
    expect(frame.byteOffset).toBe(chunk.byteOffset);
  });

  it("decodes text inside one chunk and across chunks, a split character included", () => {
    const euro = Buffer.from("€"); // e2 82 ac
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.concat([Buffer.from("<"), euro.subarray(0, 2)]));
    buffer.append(Buffer.concat([euro.subarray(2), Buffer.from(">|€>|")]));
    expect(buffer.takeText(1, 4, 6)).toBe("€"); // across the two chunks
    expect(buffer.takeText(0, 3, 5)).toBe("€"); // inside the second one
    expect(buffer.takeText(0, 0, 0)).toBe("");
    expect(buffer.length).toBe(0);
  });
});

describe("ReceiveBuffer.takeChunk", () => {
  it("takes what is left of the first chunk only, as a view", () => {
    const first = Buffer.from("abcd");
    const buffer = new ReceiveBuffer();
    buffer.append(first);
    buffer.append(Buffer.from("ef"));
    buffer.discard(1);
    const chunk = buffer.takeChunk();
    expect(chunk.toString()).toBe("bcd");
    expect(chunk.buffer).toBe(first.buffer);
    expect(buffer.takeChunk().toString()).toBe("ef");
    expect(buffer.length).toBe(0);
  });
});

describe("ReceiveBuffer.readUInt", () => {
  it.each([
    [["\u0001\u0002\u0003\u0004"], 0, 4, false, 0x01020304, "in one chunk, big-endian"],
    [["\u0001\u0002\u0003\u0004"], 0, 4, true, 0x04030201, "in one chunk, little-endian"],
    [["\u0001\u0002", "\u0003\u0004"], 0, 4, false, 0x01020304, "split across chunks (1/2)"],
    [["x\u0001", "\u0002", "\u0003"], 1, 3, true, 0x030201, "offset, three chunks, little-endian"],
    [["\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff"], 0, 6, false, 2 ** 48 - 1, "six bytes"],
  ] as const)(
    "reads %j at %d, width %d, little %s: %d (%s)",
    (chunks, at, width, little, expected, _c) => {
      const buffer = bufferOf(...chunks);
      expect(buffer.readUInt(at, width, little)).toBe(expected);
      expect(buffer.length).toBe(chunks.join("").length); // nothing consumed
    },
  );

  it("reads past bytes already consumed from the first chunk", () => {
    const buffer = bufferOf("ab\u0000\u0007");
    buffer.discard(2);
    expect(buffer.readUInt(0, 2, false)).toBe(7);
  });
});

describe("ReceiveBuffer.indexOfByte", () => {
  it("finds a byte inside a bounded range, across chunks and past consumed bytes", () => {
    const buffer = bufferOf("xxab", "c\r", "d\n");
    buffer.discard(2);
    expect(buffer.indexOfByte(0x0d, 0, buffer.length)).toBe(3);
    expect(buffer.indexOfByte(0x0d, 0, 3)).toBe(-1); // the range ends before the CR
    expect(buffer.indexOfByte(0x0a, 4, buffer.length)).toBe(5);
    expect(buffer.indexOfByte(0x7a, 0, buffer.length)).toBe(-1);
  });

  it("answers each search right while the same chunk is searched again from later positions", () => {
    const buffer = bufferOf("a\nb\nc\rd\n");
    const found: number[] = [];
    for (let from = 0; from < buffer.length; from++) {
      found.push(buffer.indexOfByte(0x0a, from, buffer.length));
      found.push(buffer.indexOfByte(0x0d, from, buffer.length));
    }
    expect(found).toEqual([1, 5, 1, 5, 3, 5, 3, 5, 7, 5, 7, 5, 7, -1, 7, -1]);
  });
});

describe("ReceiveBuffer.dropNextLf", () => {
  it("drops an LF buffered right after the line that ended at a lone CR", () => {
    const buffer = bufferOf("\nrest");
    buffer.dropNextLf();
    expect(buffer.takeAll().toString()).toBe("rest");
  });

  it("drops the LF when it arrives, in the next chunk only", () => {
    const buffer = new ReceiveBuffer();
    buffer.dropNextLf();
    buffer.append(Buffer.from("\n"));
    expect(buffer.length).toBe(0);
    buffer.append(Buffer.from("\nx"));
    expect(buffer.takeAll().toString()).toBe("\nx"); // only one LF belongs to the CR
  });

  it("keeps a next byte that is not an LF", () => {
    const buffer = new ReceiveBuffer();
    buffer.dropNextLf();
    buffer.append(Buffer.from("x\n"));
    expect(buffer.takeAll().toString()).toBe("x\n");
  });
});
