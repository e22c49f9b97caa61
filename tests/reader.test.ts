import { describe, expect, it } from "vitest";
import { availableDecoder, BytesDecoder } from "../src/codec/bytes.js";
import type { Decoder } from "../src/codec/delimiter.js";
import { DelimiterDecoder } from "../src/codec/delimiter.js";
import { SocketError } from "../src/errors.js";
import { LineSink } from "../src/line-sink.js";
import type { ReadOptions } from "../src/read-options.js";
import { Reader } from "../src/reader.js";
import type { Sink } from "../src/sink.js";
import { bytewise, cut } from "./helpers/chunking.js";

function setup(highWaterMark = 1024) {
  const flow = { paused: false, pauses: 0, resumes: 0 };
  const reader = new Reader(
    {
      pause: () => {
        flow.paused = true;
        flow.pauses++;
      },
      resume: () => {
        flow.paused = false;
        flow.resumes++;
      },
    },
    highWaterMark,
  );
  const read = (decoder: Decoder, options?: ReadOptions) =>
    new Promise<Buffer>((resolve, reject) => reader.enqueue(decoder, { resolve, reject }, options));
  return { reader, flow, read };
}

const text = (p: Promise<Buffer>) => p.then((b) => b.toString());

describe("Reader", () => {
  it("serves reads in the order they were queued", async () => {
    const { reader, read } = setup();
    const first = text(read(new DelimiterDecoder("\n")));
    const second = text(read(new BytesDecoder(3)));
    const third = text(read(availableDecoder));
    reader.push(Buffer.from("line\nabcrest"));
    expect(await Promise.all([first, second, third])).toEqual(["line\n", "abc", "rest"]);
  });

  it("times out one read without consuming bytes, and the next read goes on", async () => {
    const { reader, read } = setup();
    const slow = read(new DelimiterDecoder("\n"), { timeout: 20 });
    const after = text(read(new BytesDecoder(2)));
    reader.push(Buffer.from("ab"));
    await expect(slow).rejects.toMatchObject({ code: "ERR_READ_TIMEOUT" });
    expect(await after).toBe("ab");
  });

  it("aborts a queued read through its signal and leaves the bytes", async () => {
    const { reader, read } = setup();
    const controller = new AbortController();
    const pending = read(new BytesDecoder(4), { signal: controller.signal });
    reader.push(Buffer.from("ab"));
    controller.abort(new Error("user gave up"));
    await expect(pending).rejects.toMatchObject({
      code: "ERR_ABORTED",
      cause: new Error("user gave up"),
    });
    expect(reader.buffer.length).toBe(2);
  });

  it("rejects a read whose signal is already aborted without queueing it", async () => {
    const { reader, read } = setup();
    await expect(read(new BytesDecoder(1), { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: "ERR_ABORTED",
    });
    expect(reader.pending).toBe(0);
  });

  it("refuses a negative timeout", async () => {
    const { read } = setup();
    await expect(read(availableDecoder, { timeout: -1 })).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    });
  });

  it("hands partial bytes back when the stream ends mid-read, then reports the end", async () => {
    const { reader, read } = setup();
    const partial = read(new BytesDecoder(10));
    const next = read(new DelimiterDecoder("\n"));
    reader.push(Buffer.from("abc"));
    reader.end();
    await expect(partial).rejects.toMatchObject({
      code: "ERR_INCOMPLETE_READ",
      partial: Buffer.from("abc"),
      expected: 10,
    });
    await expect(next).rejects.toMatchObject({ code: "ERR_END_OF_STREAM" });
  });

  it("still serves buffered bytes after the end, and an empty readAvailable at EOF", async () => {
    const { reader, read } = setup();
    reader.push(Buffer.from("a\nb\n"));
    reader.end();
    expect(await text(read(new DelimiterDecoder("\n")))).toBe("a\n");
    expect(await text(read(new DelimiterDecoder("\n")))).toBe("b\n");
    expect((await read(availableDecoder)).length).toBe(0);
  });

  it("rejects with the socket's error when it ended by one with nothing buffered", async () => {
    const { reader, read } = setup();
    const pending = read(new BytesDecoder(1));
    const reset = new SocketError("ECONNRESET", "read ECONNRESET");
    reader.end(reset);
    await expect(pending).rejects.toBe(reset);
    await expect(read(availableDecoder)).rejects.toBe(reset);
  });

  it("keeps the cause on the partial-read error when an error ended the stream", async () => {
    const { reader, read } = setup();
    const pending = read(new DelimiterDecoder("\n"));
    reader.push(Buffer.from("half"));
    const reset = new SocketError("ECONNRESET", "read ECONNRESET");
    reader.end(reset);
    await expect(pending).rejects.toMatchObject({
      code: "ERR_INCOMPLETE_READ",
      partial: Buffer.from("half"),
      cause: reset,
    });
  });

  it("refuses an over-long frame, keeps the bytes, and lets the next read have them", async () => {
    const { reader, read } = setup();
    const tooLong = read(new DelimiterDecoder("\n", { maxLength: 3 }));
    const raw = text(read(new BytesDecoder(6)));
    reader.push(Buffer.from("abcdef"));
    await expect(tooLong).rejects.toMatchObject({ code: "ERR_FRAME_TOO_LONG", maxLength: 3 });
    expect(await raw).toBe("abcdef");
  });

  it("serves a read queued from inside another read's completion", async () => {
    const { reader } = setup();
    const got: string[] = [];
    const onLine = (data: Buffer) => {
      got.push(data.toString());
      if (got.length < 3)
        reader.enqueue(new DelimiterDecoder("\n"), { resolve: onLine, reject: () => {} });
    };
    reader.enqueue(new DelimiterDecoder("\n"), { resolve: onLine, reject: () => {} });
    reader.push(Buffer.from("1\n2\n3\n4\n"));
    expect(got).toEqual(["1\n", "2\n", "3\n"]);
    expect(reader.buffer.length).toBe(2);
  });

  it("pauses the transport when nothing reads and the buffer reaches the high-water mark", async () => {
    const { reader, flow, read } = setup(8);
    reader.push(Buffer.alloc(7));
    expect(flow.paused).toBe(false);
    reader.push(Buffer.alloc(1));
    expect(flow.paused).toBe(true);
    const pending = read(new BytesDecoder(20)); // a read that needs more: resume
    expect(flow.paused).toBe(false);
    reader.push(Buffer.alloc(12));
    expect((await pending).length).toBe(20);
    expect(flow).toMatchObject({ paused: false, pauses: 1, resumes: 1 });
  });

  it("resumes the transport when purge empties a full buffer", () => {
    const { reader, flow } = setup(4);
    reader.push(Buffer.alloc(10));
    expect(flow.paused).toBe(true);
    expect(reader.purge()).toBe(10);
    expect(flow.paused).toBe(false);
  });

  it("keeps every reader's queue its own as queues empty and fill again", async () => {
    // An empty queue is shared by the readers that have one (W5): a read queued on one must
    // never appear on another, whichever way their queues emptied.
    const a = setup();
    const b = setup();
    const controller = new AbortController();
    const aborted = a.read(new BytesDecoder(4), { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: "ERR_ABORTED" });
    const destroyed = b.read(new BytesDecoder(4));
    b.reader.failAll(new SocketError("ERR_SOCKET_CLOSED", "closed"));
    await expect(destroyed).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
    const served = text(a.read(new BytesDecoder(2)));
    expect([a.reader.pending, b.reader.pending]).toEqual([1, 0]);
    b.reader.push(Buffer.from("b?"));
    expect(b.reader.decodeNow(new BytesDecoder(2))?.toString()).toBe("b?");
    a.reader.push(Buffer.from("ok"));
    expect(await served).toBe("ok");
    expect([a.reader.pending, b.reader.pending]).toEqual([0, 0]);
  });

  it("fails every queued read at once when the owner destroys the socket", async () => {
    const { reader, read } = setup();
    const reads = [read(new BytesDecoder(1)), read(availableDecoder)];
    reader.failAll(new SocketError("ERR_SOCKET_CLOSED", "destroyed"));
    for (const r of reads) await expect(r).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
    expect(reader.pending).toBe(0);
  });
});

describe("Reader.purge with reads waiting", () => {
  it("resets a waiting delimiter read so it rescans the bytes that arrive after the purge", async () => {
    const { reader, read } = setup(1 << 20);
    const line = read(new DelimiterDecoder("\n"));
    reader.push(Buffer.from("garbage without end"));
    reader.purge();
    reader.push(Buffer.from("ok\n"));
    expect((await line).toString()).toBe("ok\n");
  });
});

describe("Reader and reused decoders", () => {
  it("restarts a reused decoder's scan when another read took bytes in between", async () => {
    const { reader, read } = setup(1 << 20);
    const lines = new DelimiterDecoder("\n"); // one instance, as a socket reuses for readLine()
    reader.push(Buffer.from("0123456789"));
    await expect(read(lines, { timeout: 10 })).rejects.toMatchObject({ code: "ERR_READ_TIMEOUT" });
    expect((await read(new BytesDecoder(8))).toString()).toBe("01234567"); // the scan stood at 10
    reader.push(Buffer.from("\nrest")); // before the next read: a stale scan would start past it
    expect((await read(lines, { timeout: 1000 })).toString()).toBe("89\n");
  });

  it("decodes at once only when no read is waiting", async () => {
    const { reader, read } = setup();
    reader.push(Buffer.from("a\nb\n"));
    const lines = new DelimiterDecoder("\n");
    expect(reader.decodeNow(lines)?.toString()).toBe("a\n");
    const waiting = read(new BytesDecoder(10));
    expect(reader.decodeNow(lines)).toBeNull(); // would jump the queue
    reader.push(Buffer.from("12345678"));
    expect((await waiting).toString()).toBe("b\n12345678");
  });
});

describe("Reader with a message handler attached", () => {
  function withLines(highWaterMark = 1024) {
    const { reader, flow, read } = setup(highWaterMark);
    const lines: string[] = [];
    const errors: string[] = [];
    let ended = 0;
    const host = {
      detach: (sink: Sink) => reader.detach(sink),
      report: () => {},
    };
    const attach = (onLine: (line: string) => void = () => {}) => {
      const sink = new LineSink(
        host,
        (line) => {
          lines.push(line);
          onLine(line);
        },
        { onError: (e) => errors.push(e.code), onEnd: () => ended++ },
      );
      reader.attach(sink);
      return sink;
    };
    return { reader, flow, read, lines, errors, attach, ended: () => ended };
  }

  it("delivers what was buffered before it was attached, then each chunk as it arrives", () => {
    const { reader, lines, attach } = withLines();
    reader.push(Buffer.from("early\nhalf"));
    attach();
    expect(lines).toEqual(["early"]);
    reader.push(Buffer.from(" done\nnext\n"));
    expect(lines).toEqual(["early", "half done", "next"]);
  });

  it("refuses reads while attached, and is refused while reads are queued", async () => {
    const { reader, read, attach } = withLines();
    const sink = attach();
    await expect(read(availableDecoder)).rejects.toMatchObject({ code: "ERR_INVALID_STATE" });
    reader.detach(sink);
    const pending = read(new BytesDecoder(2));
    expect(() => attach()).toThrow(expect.objectContaining({ code: "ERR_INVALID_STATE" }));
    reader.push(Buffer.from("ok"));
    expect((await pending).toString()).toBe("ok");
  });

  it("stops mid-chunk on pause() from the handler and stops the kernel; resume() goes on", () => {
    const { reader, flow, lines, attach } = withLines();
    attach((line) => {
      if (line === "b") reader.pause();
    });
    reader.push(Buffer.from("a\nb\nc\nd\n"));
    expect(lines).toEqual(["a", "b"]);
    expect(flow.paused).toBe(true);
    expect(reader.buffer.length).toBe(4); // "c\nd\n" kept
    reader.resume();
    expect(lines).toEqual(["a", "b", "c", "d"]);
    expect(flow.paused).toBe(false);
  });

  it("leaves the bytes after a detach buffered for the next read", async () => {
    const { reader, read, attach } = withLines();
    const sink = attach((line) => {
      if (line === "stop") reader.detach(sink);
    });
    reader.push(Buffer.from("go\nstop\nrest of it"));
    expect((await read(availableDecoder)).toString()).toBe("rest of it");
  });

  it("ends once at the end of the stream, with the last unterminated line", () => {
    const { reader, lines, attach, ended, errors } = withLines();
    attach();
    reader.push(Buffer.from("one\ntwo"));
    reader.end();
    reader.end();
    expect(lines).toEqual(["one", "two"]);
    expect(ended()).toBe(1);
    expect(errors).toEqual([]);
  });

  it("waits for resume() to deliver the end of a stream that ended while paused", () => {
    const { reader, lines, attach, ended } = withLines();
    attach();
    reader.pause();
    reader.push(Buffer.from("late\n"));
    reader.end();
    expect(ended()).toBe(0);
    reader.resume();
    expect(lines).toEqual(["late"]);
    expect(ended()).toBe(1);
  });

  it("reports the stream's error once, leaving the partial line buffered", () => {
    const { reader, attach, errors, ended } = withLines();
    attach();
    reader.push(Buffer.from("cut"));
    reader.end(new SocketError("ECONNRESET", "reset"));
    expect(errors).toEqual(["ECONNRESET"]);
    expect(ended()).toBe(0);
    expect(reader.buffer.length).toBe(3);
  });

  it("never pauses the kernel for size while a handler takes the bytes", () => {
    const { reader, flow, lines, attach } = withLines(8);
    attach();
    reader.push(Buffer.from("0123456789abcdef")); // a partial line over the high-water mark
    expect(flow.paused).toBe(false);
    reader.push(Buffer.from("\n"));
    expect(lines).toEqual(["0123456789abcdef"]);
  });
});

describe("a repeating tagged read", () => {
  /** A standing line read on a reader fed `chunks`; what it delivered and how it failed. */
  function standing(chunks: readonly Buffer[], options: { maxLength?: number; end?: boolean }) {
    const { reader, flow } = setup(64);
    const frames: string[] = [];
    const failures: string[] = [];
    const tags = new Set<unknown>();
    const decoder = new DelimiterDecoder("\n", { maxLength: options.maxLength ?? 1024 });
    const settle = {
      resolve: (data: Buffer, tag: unknown) => {
        frames.push(data.toString("latin1"));
        tags.add(tag);
      },
      reject: (error: SocketError, tag: unknown) => {
        failures.push(error.code);
        tags.add(tag);
      },
    };
    reader.enqueue(decoder, settle, { repeat: true }, "LINE");
    for (const chunk of chunks) reader.push(Buffer.from(chunk));
    if (options.end !== false) reader.end();
    return { reader, flow, frames, failures, tags };
  }

  it("delivers every frame with its tag, then fails once at the end, however cut", () => {
    const input = Buffer.from("a\nbb\n\nccc\ntail");
    for (const chunks of [[input], bytewise(input), cut(input, [1, 5, 9])]) {
      const got = standing(chunks, {});
      expect(got.frames).toEqual(["a\n", "bb\n", "\n", "ccc\n"]);
      expect(got.failures).toEqual(["ERR_INCOMPLETE_READ"]);
      expect([...got.tags]).toEqual(["LINE"]);
      expect(got.reader.pending).toBe(0);
    }
    const clean = standing([Buffer.from("x\ny\n")], {});
    expect(clean).toMatchObject({ frames: ["x\n", "y\n"], failures: ["ERR_END_OF_STREAM"] });
  });

  it("fails once on an over-long frame, leaving its bytes for the next read", () => {
    const input = Buffer.from("ok\nxxxxxxxxxx\nmore\n");
    for (const chunks of [[input], bytewise(input)]) {
      const got = standing(chunks, { maxLength: 4, end: false });
      expect(got).toMatchObject({ frames: ["ok\n"], failures: ["ERR_FRAME_TOO_LONG"] });
      expect(got.reader.pending).toBe(0);
      expect(got.reader.buffer.peek(got.reader.buffer.length).toString()).toBe(
        "xxxxxxxxxx\nmore\n",
      );
    }
  });

  it("holds later reads until its signal stops it; never pauses the kernel meanwhile", async () => {
    const { reader, flow, read } = setup(8);
    const controller = new AbortController();
    const frames: string[] = [];
    const failures: string[] = [];
    reader.enqueue(
      new DelimiterDecoder("\n"),
      {
        resolve: (data: Buffer) => frames.push(data.toString()),
        reject: (error: SocketError) => failures.push(error.code),
      },
      { repeat: true, signal: controller.signal },
    );
    const after = text(read(new BytesDecoder(3)));
    reader.push(Buffer.from("one\ntwo\nthree\npartial"));
    expect(frames).toEqual(["one\n", "two\n", "three\n"]);
    expect(flow.pauses).toBe(0);
    controller.abort();
    expect(failures).toEqual(["ERR_ABORTED"]);
    expect(await after).toBe("par");
  });

  it("refuses a timeout and a repeat that is not a boolean", () => {
    const { reader } = setup();
    const failures: string[] = [];
    const settle = { resolve: () => {}, reject: (e: SocketError) => failures.push(e.code) };
    reader.enqueue(new DelimiterDecoder("\n"), settle, { repeat: true, timeout: 50 });
    reader.enqueue(new DelimiterDecoder("\n"), settle, { repeat: "yes" as never });
    expect(failures).toEqual(["ERR_INVALID_ARGUMENT", "ERR_INVALID_ARGUMENT"]);
    expect(reader.pending).toBe(0);
  });
});
