import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "../src/codec/frame.js";
import { connect } from "../src/connect.js";
import { listen } from "../src/listen.js";
import type { Server } from "../src/server.js";
import type { Socket } from "../src/socket.js";
import { rawPeer, sleep } from "./helpers/raw-peer.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

/** A raw peer that writes `bytes` in pieces of `piece` bytes, then ends. */
async function sender(bytes: Buffer, piece = bytes.length): Promise<string> {
  const { target } = await rawPeer((s) => {
    for (let i = 0; i < bytes.length; i += piece) s.write(bytes.subarray(i, i + piece));
    s.end();
  });
  return target;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("length-prefixed frames on a socket", () => {
  it("reads frames written with writeFrame, the payloads only", async () => {
    const server = await listen("127.0.0.1:0", (s) => {
      s.writeFrame("hello");
      s.writeFrame(Buffer.alloc(0));
      s.writeFrame(Buffer.from([0, 255]));
      void s.end();
    });
    servers.push(server);
    const socket = connect(`127.0.0.1:${server.port}`);
    expect((await socket.readFrame()).toString()).toBe("hello");
    expect((await socket.readFrame()).length).toBe(0);
    expect([...(await socket.readFrame())]).toEqual([0, 255]);
    await expect(socket.readFrame()).rejects.toMatchObject({ code: "ERR_END_OF_STREAM" });
  });

  it("uses the socket's frame option unless a call overrides it", async () => {
    const stream = Buffer.concat([
      encodeFrame("two", { width: 2, endian: "little" }),
      encodeFrame("four"),
    ]);
    const socket = connect(await sender(stream, 1), { frame: { width: 2, endian: "little" } });
    expect((await socket.readFrame()).toString()).toBe("two");
    expect((await socket.readFrame({ width: 4, endian: "big" })).toString()).toBe("four");
  });

  it("iterates over frames split across many chunks, then ends at the end of the stream", async () => {
    const payloads = Array.from({ length: 50 }, (_, i) => randomBytes(i * 37));
    const socket = connect(await sender(Buffer.concat(payloads.map((p) => encodeFrame(p))), 61));
    const got = await collect(socket.frames());
    expect(got.map((b) => b.toString("hex"))).toEqual(payloads.map((b) => b.toString("hex")));
  });

  it("refuses an over-long frame before its payload arrives, keeping its bytes", async () => {
    const { target } = await rawPeer((s) => s.write(Buffer.from([0, 0, 1, 0]))); // 256 bytes declared, none sent
    const socket = connect(target);
    await expect(socket.readFrame({ maxLength: 100 })).rejects.toMatchObject({
      code: "ERR_FRAME_TOO_LONG",
      frameLength: 260,
    });
    expect(socket.available).toBe(4);
    await socket.destroy();
  });

  it("skips an over-long frame exactly and goes on with the next (onOverflow skip)", async () => {
    const stream = Buffer.concat([
      encodeFrame("ok1"),
      encodeFrame(Buffer.alloc(5000, 0x61)),
      encodeFrame("ok2"),
    ]);
    const socket = connect(await sender(stream, 100));
    const got = await collect(socket.frames({ maxLength: 1000, onOverflow: "skip" }));
    expect(got.map(String)).toEqual(["ok1", "ok2"]);
  });

  it("ends the loop with ERR_FRAME_TOO_LONG by default", async () => {
    const stream = Buffer.concat([encodeFrame("ok"), encodeFrame(Buffer.alloc(50))]);
    const socket = connect(await sender(stream));
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const frame of socket.frames({ maxLength: 10 })) got.push(frame.toString());
      })(),
    ).rejects.toMatchObject({ code: "ERR_FRAME_TOO_LONG" });
    expect(got).toEqual(["ok"]);
  });

  it("throws ERR_INCOMPLETE_READ with the partial bytes for a frame cut short", async () => {
    const cut = encodeFrame("truncated").subarray(0, 7);
    const socket = connect(await sender(cut));
    await expect(collect(socket.frames())).rejects.toMatchObject({
      code: "ERR_INCOMPLETE_READ",
      partial: cut,
    });
  });

  it("leaves unread bytes in the buffer when the loop breaks", async () => {
    const stream = Buffer.concat([
      encodeFrame("first"),
      encodeFrame("second"),
      Buffer.from("tail"),
    ]);
    const socket = connect(await sender(stream));
    for await (const frame of socket.frames()) {
      expect(frame.toString()).toBe("first");
      break;
    }
    expect((await socket.readFrame()).toString()).toBe("second");
    expect((await socket.readAvailable()).toString()).toBe("tail");
  });

  it("broadcasts one frame to every connection with the server's codec", async () => {
    const server = await listen("127.0.0.1:0", { frame: { width: 1 } });
    servers.push(server);
    const clients: Socket[] = [
      connect(`127.0.0.1:${server.port}`),
      connect(`127.0.0.1:${server.port}`),
    ];
    await Promise.all(clients.map((c) => c.opened));
    await sleep(30);
    expect(server.broadcastFrame("all")).toBe(2);
    for (const c of clients) expect((await c.readFrame({ width: 1 })).toString()).toBe("all");
    await Promise.all(clients.map((c) => c.destroy()));
  });

  it("refuses a bad frame option before connecting", () => {
    expect(() => connect("127.0.0.1:9", { frame: { width: 5 as 4 } })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });
});

describe("lines on a socket", () => {
  it("iterates over lines as UTF-8 text and yields a last unterminated line", async () => {
    const socket = connect(await sender(Buffer.from("héllo\r\nwörld\nlast"), 3));
    expect(await collect(socket.lines())).toEqual(["héllo", "wörld", "last"]);
  });

  it("decodes latin1 and replaces invalid UTF-8 unless told to refuse it", async () => {
    const bytes = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café" in latin1
    expect(await collect(connect(await sender(bytes)).lines({ encoding: "latin1" }))).toEqual([
      "café",
    ]);
    expect(await collect(connect(await sender(bytes)).lines())).toEqual(["caf\ufffd"]);
    await expect(
      collect(connect(await sender(bytes)).lines({ invalidText: "error" })),
    ).rejects.toMatchObject({
      code: "ERR_INVALID_TEXT",
    });
  });

  it("skips a line over maxLength exactly through its line ending", async () => {
    const flood = `${"x".repeat(10_000)}\r\n`;
    const socket = connect(await sender(Buffer.from(`short\n${flood}after\n`), 512));
    expect(await collect(socket.lines({ maxLength: 100, onOverflow: "skip" }))).toEqual([
      "short",
      "after",
    ]);
  });

  it("ends the loop through its signal", async () => {
    const { target } = await rawPeer((s) => s.write("one\n"));
    const socket = connect(target);
    const controller = new AbortController();
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const line of socket.lines({ signal: controller.signal })) {
          got.push(line);
          controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: "ERR_ABORTED" });
    expect(got).toEqual(["one"]);
    await socket.destroy();
  });

  it("refuses an invalid last line without a line ending, rejecting the loop, not crashing", async () => {
    const bytes = Buffer.from([0x6f, 0x6b, 0x0a, 0x62, 0x61, 0xff]); // "ok\n" then "ba\xff", EOF
    const socket = connect(await sender(bytes));
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const line of socket.lines({ invalidText: "error" })) got.push(line);
      })(),
    ).rejects.toMatchObject({ code: "ERR_INVALID_TEXT" });
    expect(got).toEqual(["ok"]);
  });

  it("settles overlapping next() calls in order, each with its own line", async () => {
    const { target } = await rawPeer((s) => {
      setTimeout(() => s.end("first\nsecond\n"), 50); // both steps wait for the bytes
    });
    const lines = connect(target).lines();
    const steps = [lines.next(), lines.next(), lines.next()];
    expect(await Promise.all(steps)).toEqual([
      { done: false, value: "first" },
      { done: false, value: "second" },
      { done: true, value: undefined },
    ]);
  });

  it("answers a CR-only peer's request at once: readLine() ends a line at a lone CR", async () => {
    const { target } = await rawPeer((s) => {
      s.write("PING\r"); // and wait for the reply: no LF will ever come
      s.on("data", (reply) => s.end(`got ${reply.toString("latin1")}`));
    });
    const socket = connect(target);
    expect((await socket.readLine({ timeout: 5000 })).toString()).toBe("PING");
    socket.write("PONG\r");
    expect((await socket.readAvailable({ timeout: 5000 })).toString()).toBe("got PONG\r");
    await socket.destroy();
  });

  it("reads lines ended by CR only with eol cr, keeping an LF inside the line", async () => {
    const socket = connect(await sender(Buffer.from("a\nb\rc\r")));
    expect((await socket.readLine({ eol: "cr" })).toString()).toBe("a\nb");
    expect(await socket.readLine({ eol: "cr", encoding: "latin1" })).toBe("c");
  });

  it("drops the LF of a CR LF split across reads, whatever read takes the next bytes", async () => {
    const { target } = await rawPeer((s) => {
      s.write("HELLO\r");
      s.once("data", () => s.end("\nbody"));
    });
    const socket = connect(target);
    expect((await socket.readLine({ timeout: 5000 })).toString()).toBe("HELLO");
    socket.write("ok");
    expect((await socket.readBytes(4, { timeout: 5000 })).toString()).toBe("body");
  });

  it("iterates over CR, LF and CR LF lines alike, however the bytes were cut", async () => {
    const bytes = Buffer.from("one\rtwo\r\nthree\nfour\r\r\nfive");
    for (const piece of [1, 3, bytes.length]) {
      const socket = connect(await sender(bytes, piece));
      expect(await collect(socket.lines())).toEqual(["one", "two", "three", "four", "", "five"]);
    }
  });

  it("ends a readUntil frame at a lone CR among CR LF, LF and CR delimiters without waiting", async () => {
    const { target } = await rawPeer((s) => s.write("PING\r"));
    const socket = connect(target);
    const frame = await socket.readUntil(["\r\n", "\n", "\r"], { timeout: 5000 });
    expect(frame.toString()).toBe("PING\r");
    await socket.destroy();
  });

  it("reads one line or one delimited frame as text with an encoding", async () => {
    const socket = connect(await sender(Buffer.from("name=ß;rest\n")));
    expect(await socket.readUntil(";", { encoding: "utf8", include: false })).toBe("name=ß");
    expect(await socket.readLine({ encoding: "utf8" })).toBe("rest");
  });
});

describe("iterating over a socket", () => {
  it("yields chunks as they arrive until the end of the stream", async () => {
    const payload = randomBytes(256 * 1024);
    const socket = connect(await sender(payload, 8192));
    const chunks = await collect(socket);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });
});

describe("iterating over a socket's chunks", () => {
  it("yields every byte in order, a chunk at a time as received, and ends at EOF", async () => {
    const bytes = randomBytes(256 * 1024);
    const socket = connect(await sender(bytes, 1000));
    await sleep(50); // let several chunks pile up in the receive buffer
    const chunks = await collect(socket);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((chunk) => chunk.length > 0)).toBe(true);
  });

  it("hands out buffered chunks as they arrived, not joined into a copy", async () => {
    const { target } = await rawPeer((s) => {
      s.write("abc");
      setTimeout(() => s.end("def"), 30); // a second arrival
    });
    const socket = connect(target);
    const first = await socket.readBytes(1);
    await sleep(100); // both arrivals are buffered before the loop starts
    const chunks = await collect(socket);
    expect(first.toString()).toBe("a");
    expect(chunks.map(String)).toEqual(["bc", "def"]);
    expect(chunks[0]?.buffer).toBe(first.buffer); // the first arrival's memory: a view
  });
});
