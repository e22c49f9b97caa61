import { describe, expect, it } from "vitest";
import {
  availableDecoder,
  BytesDecoder,
  BytesSkipper,
  bytesDecoder,
} from "../../src/codec/bytes.js";
import { ReceiveBuffer } from "../../src/receive-buffer.js";
import { bytewise, decodeAll } from "../helpers/chunking.js";

describe("BytesDecoder", () => {
  it("takes exactly n bytes however the input is chunked", () => {
    const bytes = Buffer.from("abcdefg");
    const expected = { frames: ["abc", "def"], end: "ERR_INCOMPLETE_READ", rest: "g" };
    expect(decodeAll(() => new BytesDecoder(3), [bytes])).toEqual(expected);
    expect(decodeAll(() => new BytesDecoder(3), bytewise(bytes))).toEqual(expected);
  });

  it("hands back the partial bytes and the expected count at the end of the stream", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from("ab"));
    const error = (() => {
      try {
        new BytesDecoder(5).decodeEof(buffer);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({
      code: "ERR_INCOMPLETE_READ",
      expected: 5,
      partial: Buffer.from("ab"),
    });
    expect(buffer.length).toBe(0);
  });

  it("reads zero bytes at once", () => {
    expect(new BytesDecoder(0).decode(new ReceiveBuffer())).toEqual(Buffer.alloc(0));
  });
});

describe("bytesDecoder", () => {
  it("shares one decoder per small length, and each still takes exactly its length", () => {
    expect(bytesDecoder(4)).toBe(bytesDecoder(4));
    expect(bytesDecoder(1024)).toBe(bytesDecoder(1024));
    expect(bytesDecoder(1025)).not.toBe(bytesDecoder(1025));
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.alloc(2000, 0x61));
    expect(bytesDecoder(4).decode(buffer)?.length).toBe(4);
    expect(bytesDecoder(1025).decode(buffer)?.length).toBe(1025);
    expect(bytesDecoder(4).decode(buffer)?.length).toBe(4);
    expect(buffer.length).toBe(2000 - 1033);
  });
});

describe("availableDecoder", () => {
  it("takes everything buffered and waits when there is nothing", () => {
    const buffer = new ReceiveBuffer();
    expect(availableDecoder.decode(buffer)).toBeNull();
    buffer.append(Buffer.from("ab"));
    buffer.append(Buffer.from("cd"));
    expect(availableDecoder.decode(buffer)?.toString()).toBe("abcd");
  });

  it("yields an empty buffer at a clean end of stream and nothing after an error", () => {
    const buffer = new ReceiveBuffer();
    expect(availableDecoder.decodeEof(buffer)).toEqual(Buffer.alloc(0));
    expect(availableDecoder.decodeEof(buffer, new Error("reset"))).toBeNull();
  });
});

describe("BytesSkipper", () => {
  it("discards exactly n bytes as they arrive and leaves the rest", () => {
    const buffer = new ReceiveBuffer();
    const skipper = new BytesSkipper(5);
    buffer.append(Buffer.from("abc"));
    expect(skipper.decode(buffer)).toBeNull();
    expect(buffer.length).toBe(0); // nothing held while skipping
    buffer.append(Buffer.from("defgh"));
    expect(skipper.decode(buffer)).toEqual(Buffer.alloc(0));
    expect(buffer.takeAll().toString()).toBe("fgh");
  });

  it("ends quietly when the stream ends in the middle of the skipped frame", () => {
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from("ab"));
    expect(new BytesSkipper(10).decodeEof(buffer)).toEqual(Buffer.alloc(0));
    expect(buffer.length).toBe(0);
  });
});
