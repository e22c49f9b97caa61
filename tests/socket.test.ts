import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import type { SocketError } from "../src/errors.js";
import { rawPeer, sleep } from "./helpers/raw-peer.js";

describe("reading from a socket", () => {
  it("serves every read form in order from one stream (hs.socket read queue)", async () => {
    const { target } = await rawPeer((s) => s.end("HEAD\r\n\r\n12345line one\r\nline two\nrest"));
    const socket = connect(target);
    const header = socket.readUntil("\r\n\r\n");
    const body = socket.readBytes(5);
    const lines = [socket.readLine(), socket.readLine()];
    const rest = socket.readAvailable();
    expect((await header).toString()).toBe("HEAD\r\n\r\n");
    expect((await body).toString()).toBe("12345");
    expect((await Promise.all(lines)).map(String)).toEqual(["line one", "line two"]);
    expect((await rest).toString()).toBe("rest");
    expect((await socket.readAvailable()).length).toBe(0); // clean end of stream
  });

  it("delivers tagged reads as 'read' events with their tags", async () => {
    const { target } = await rawPeer((s) => s.end("Content-Length: 3\r\n\r\nabc"));
    const socket = connect<string>(target);
    const events: [string, string | undefined][] = [];
    socket.on("read", (data, tag) => {
      events.push([data.toString(), tag]);
      if (tag === "header") socket.read(3, "body");
    });
    socket.read("\r\n\r\n", "header");
    await socket.closed;
    await sleep(10);
    expect(events).toEqual([
      ["Content-Length: 3\r\n\r\n", "header"],
      ["abc", "body"],
    ]);
  });

  it("hands back the partial bytes when the peer closes in the middle of readBytes", async () => {
    const { target } = await rawPeer((s) => s.end("only7by"));
    const socket = connect(target);
    await expect(socket.readBytes(100)).rejects.toMatchObject({
      code: "ERR_INCOMPLETE_READ",
      partial: Buffer.from("only7by"),
      expected: 100,
    });
    await expect(socket.readBytes(1)).rejects.toMatchObject({ code: "ERR_END_OF_STREAM" });
  });

  it("hands back the partial bytes when the peer closes in the middle of readUntil", async () => {
    const { target } = await rawPeer((s) => s.end("no delimiter here"));
    const socket = connect(target);
    await expect(socket.readUntil("\n")).rejects.toMatchObject({
      code: "ERR_INCOMPLETE_READ",
      partial: Buffer.from("no delimiter here"),
    });
  });

  it("reports a partial tagged read through 'readError' with its tag", async () => {
    const { target } = await rawPeer((s) => s.end("abc"));
    const socket = connect<number>(target);
    const failure = new Promise<[SocketError, number | undefined]>((r) =>
      socket.on("readError", (e, t) => r([e, t])),
    );
    socket.read(10, 7);
    const [error, tag] = await failure;
    expect(tag).toBe(7);
    expect(error).toMatchObject({ code: "ERR_INCOMPLETE_READ", partial: Buffer.from("abc") });
  });

  it("refuses a frame over maxLength and keeps its bytes in the buffer", async () => {
    const { target } = await rawPeer((s) => s.write("0123456789\n"));
    const socket = connect(target);
    await expect(socket.readUntil("\n", { maxLength: 4 })).rejects.toMatchObject({
      code: "ERR_FRAME_TOO_LONG",
    });
    expect((await socket.readUntil("\n")).toString()).toBe("0123456789\n");
    await socket.destroy();
  });

  it("times out one read, consumes nothing, and keeps the socket usable", async () => {
    let peer: import("node:net").Socket | undefined;
    const { target } = await rawPeer((s) => {
      peer = s;
      s.write("partial");
    });
    const socket = connect(target);
    await expect(socket.readLine({ timeout: 50 })).rejects.toMatchObject({
      code: "ERR_READ_TIMEOUT",
    });
    expect(socket.connected).toBe(true);
    peer?.write(" line\n");
    expect((await socket.readLine()).toString()).toBe("partial line");
    await socket.destroy();
  });

  it("finds the next line ending after a timed-out line read, once other reads took bytes", async () => {
    let peer: import("node:net").Socket | undefined;
    const { target } = await rawPeer((s) => {
      peer = s;
      s.write("abcdef");
    });
    const socket = connect(target);
    // The timed-out read had searched "abcdef"; its decoder is the socket's shared one.
    await expect(socket.readLine({ timeout: 50 })).rejects.toMatchObject({
      code: "ERR_READ_TIMEOUT",
    });
    peer?.write("\nXYZ\n");
    await sleep(30);
    expect((await socket.readBytes(3)).toString()).toBe("abc");
    expect((await socket.readLine()).toString()).toBe("def");
    expect((await socket.readLine()).toString()).toBe("XYZ");
    await socket.destroy();
  });

  it("stops reading from the kernel above the high-water mark and loses nothing", async () => {
    const payload = randomBytes(8 * 1024 * 1024);
    const { target } = await rawPeer((s) => s.end(payload));
    const socket = connect(target, { readHighWaterMark: 64 * 1024 });
    await socket.opened;
    await sleep(200); // the peer has written everything it can; nobody reads
    expect(socket.available).toBeGreaterThanOrEqual(64 * 1024);
    expect(socket.available).toBeLessThan(1024 * 1024);
    const all = await socket.readBytes(payload.length);
    expect(all.equals(payload)).toBe(true);
  });

  it("purges the receive buffer (Xojo Purge)", async () => {
    const { target } = await rawPeer((s) => s.write("junk"));
    const socket = connect(target);
    await new Promise<void>((r) => socket.once("dataAvailable", () => r()));
    expect(socket.purge()).toBe(4);
    expect(socket.available).toBe(0);
    await socket.destroy();
  });

  it("purges the receive buffer only: writes still queued reach the peer (Xojo Purge)", async () => {
    let received = "";
    const { target } = await rawPeer((s) => {
      s.write("junk");
      s.on("data", (chunk: Buffer) => {
        received += chunk.toString();
      });
    });
    const socket = connect(target);
    socket.write("queued before connect"); // still in the send queue while connecting
    expect(socket.purge()).toBe(0);
    await new Promise<void>((r) => socket.once("dataAvailable", () => r()));
    expect(socket.purge()).toBe(4);
    await socket.send(", and after");
    await expect.poll(() => received).toBe("queued before connect, and after");
    await socket.destroy();
  });

  it("returns the socket from a tagged read, so reads chain (hs.socket read returns self)", async () => {
    const { target } = await rawPeer((s) => s.end("ab\ncd"));
    const socket = connect<number>(target);
    const got: [string, number | undefined][] = [];
    socket.on("read", (data, tag) => got.push([data.toString(), tag]));
    expect(socket.read("\n", 1).read(2, 2)).toBe(socket);
    await socket.closed;
    await expect
      .poll(() => got)
      .toEqual([
        ["ab\n", 1],
        ["cd", 2],
      ]);
  });

  it("rejects bad read arguments with ERR_INVALID_ARGUMENT, and a tagged read throws", async () => {
    const { target } = await rawPeer(() => {});
    const socket = connect(target);
    const invalid = { code: "ERR_INVALID_ARGUMENT" };
    await expect(socket.readBytes(-1)).rejects.toMatchObject(invalid);
    await expect(socket.readUntil("")).rejects.toMatchObject(invalid);
    await expect(socket.readLine({ maxLength: 1.5 })).rejects.toMatchObject(invalid);
    expect(() => socket.read(-1, "tag")).toThrow(expect.objectContaining(invalid));
    await socket.destroy();
  });
});

describe("tagged reads that fail", () => {
  it("do not mark the socket as failed: a clean close stays clean", async () => {
    const { target } = await rawPeer((s) => {
      setTimeout(() => s.end("late\n"), 100);
    });
    const socket = connect(target);
    socket.read("\n", "first", { timeout: 20 }); // times out, nobody listens
    socket.read("\n", "pending at EOF"); // ends with ERR_END_OF_STREAM after "late"
    const lines: string[] = [];
    socket.on("read", (data) => lines.push(data.toString()));
    expect(await socket.closed).toEqual({ hadError: false });
    expect(lines).toEqual(["late\n"]);
  });

  it("go to 'error' listeners when no 'readError' listener is attached", async () => {
    const { target } = await rawPeer((s) => s.end("ab"));
    const socket = connect(target);
    const seen = new Promise<SocketError>((r) => socket.on("error", r));
    socket.read(5, "short");
    expect(await seen).toMatchObject({ code: "ERR_INCOMPLETE_READ", partial: Buffer.from("ab") });
  });
});

describe("reads served at once from the buffer", () => {
  it("still refuses a negative timeout when the bytes are already there", async () => {
    const { target } = await rawPeer((s) => s.write("ready\n"));
    const socket = connect(target);
    await new Promise<void>((r) => socket.once("dataAvailable", () => r()));
    await expect(socket.readLine({ timeout: -1 })).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    });
    expect((await socket.readLine()).toString()).toBe("ready");
    await socket.destroy();
  });
});
