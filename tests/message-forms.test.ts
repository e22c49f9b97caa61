import { randomBytes } from "node:crypto";
import type { Socket as NetSocket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { encodeFrame } from "../src/codec/frame.js";
import { connect } from "../src/connect.js";
import type { SocketError } from "../src/errors.js";
import { Reader } from "../src/reader.js";
import type { Socket } from "../src/socket.js";
import { useRecycledReads } from "../src/transport.js";
import { rawPeer, sleep, waitFor } from "./helpers/raw-peer.js";

const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.destroy()));
});

/** A socket to a raw peer that runs `serve` on its end. */
async function socketTo(serve: (peer: NetSocket) => void): Promise<Socket> {
  const { target } = await rawPeer(serve);
  const socket = connect(target);
  sockets.push(socket);
  await socket.opened;
  return socket;
}

/** Writes `bytes` in random pieces (1 to 300 bytes), then ends. */
function dribble(peer: NetSocket, bytes: Buffer): void {
  let at = 0;
  const next = (): void => {
    if (at >= bytes.length) {
      peer.end();
      return;
    }
    const size = 1 + Math.floor(Math.random() * 300);
    peer.write(bytes.subarray(at, at + size), next);
    at += size;
  };
  next();
}

const many = Array.from({ length: 2000 }, (_, i) => `line ${i} ${"x".repeat(i % 90)}`);

/** Client sockets read into the recycled buffer (Node's onread), or fresh 'data' chunks. */
describe.each(["recycled", "data"] as const)("on the %s receive path", (path) => {
  beforeAll(() => useRecycledReads(path === "recycled"));
  afterAll(() => useRecycledReads(true));

  it("client sockets take this receive path, and what they hand out survives later reads", async () => {
    const push = vi.spyOn(Reader.prototype, "push");
    try {
      const wire = Buffer.concat(
        Array.from({ length: 300 }, (_, i) => encodeFrame(randomBytes(100 + (i % 400)))),
      );
      const [a, b] = await Promise.all([
        socketTo((peer) => dribble(peer, wire)),
        socketTo((peer) => dribble(peer, wire)),
      ]);
      const frames = async (socket: Socket) => {
        const got: Buffer[] = [];
        for await (const frame of socket.frames()) got.push(frame);
        return Buffer.concat(got.map((f) => encodeFrame(f)));
      };
      const [fromA, fromB] = await Promise.all([frames(a), frames(b)]);
      expect(fromA.equals(wire)).toBe(true);
      expect(fromB.equals(wire)).toBe(true);
      const transient = push.mock.calls.map((call) => call[1] === true);
      expect(new Set(transient)).toEqual(new Set([path === "recycled"]));
    } finally {
      push.mockRestore();
    }
  });

  it("a repeating tagged read emits every line with its tag, then one readError", async () => {
    const socket = await socketTo((peer) => dribble(peer, Buffer.from(`${many.join("\n")}\n`)));
    const lines: string[] = [];
    const errors: string[] = [];
    await new Promise<void>((resolve) => {
      socket.on("read", (data, tag) => {
        expect(tag).toBe("L");
        lines.push(data.toString());
      });
      socket.on("readError", (error, tag) => {
        errors.push(`${error.code} ${String(tag)}`);
        resolve();
      });
      socket.read("\n", "L", { repeat: true });
    });
    await sleep(20);
    expect(lines).toEqual(many.map((line) => `${line}\n`));
    expect(errors).toEqual(["ERR_END_OF_STREAM L"]);
  });

  describe("socket.onLine", () => {
    it("hands every line over as text, however the peer cut the bytes, then ends once", async () => {
      const socket = await socketTo((peer) =>
        dribble(peer, Buffer.from(`${many.join("\r\n")}\nlast`)),
      );
      const lines: string[] = [];
      let ends = 0;
      await new Promise<void>((resolve) => {
        socket.onLine((line) => lines.push(line), {
          onEnd: () => {
            ends++;
            resolve();
          },
        });
      });
      expect(lines).toEqual([...many, "last"]);
      await sleep(20);
      expect(ends).toBe(1);
    });

    it("stops at a handler that throws: ERR_HANDLER_FAILED once, later bytes readable", async () => {
      const socket = await socketTo((peer) => peer.end("one\ntwo\nthree\n"));
      const errors: SocketError[] = [];
      socket.onLine(
        (line) => {
          if (line === "two") throw new Error("boom");
        },
        { onError: (error) => errors.push(error) },
      );
      await waitFor(() => errors.length > 0);
      expect(errors.map((e) => e.code)).toEqual(["ERR_HANDLER_FAILED"]);
      expect(errors[0]?.cause).toMatchObject({ message: "boom" });
      expect(String(await socket.readLine())).toBe("three");
    });

    it("refuses other reads while attached, and the remover hands the stream back", async () => {
      const socket = await socketTo((peer) => peer.write("first\n"));
      const lines: string[] = [];
      const stop = socket.onLine((line) => lines.push(line));
      await expect(socket.readLine()).rejects.toMatchObject({ code: "ERR_INVALID_STATE" });
      expect(() => socket.onFrame(() => {})).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_STATE" }),
      );
      await waitFor(() => lines.length === 1);
      stop();
      stop(); // idempotent
      const next = socket.readLine();
      expect(await Promise.race([next.then(() => "read"), sleep(50).then(() => "waiting")])).toBe(
        "waiting",
      );
    });

    it("pauses from inside the handler, keeps the rest buffered, and resumes in order", async () => {
      const socket = await socketTo((peer) => peer.write("a\nb\nc\nd\n"));
      const lines: string[] = [];
      socket.onLine((line) => {
        lines.push(line);
        if (line === "b") socket.pause();
      });
      await waitFor(() => lines.length === 2);
      await sleep(30);
      expect(lines).toEqual(["a", "b"]);
      expect(socket.available).toBe(4);
      socket.resume();
      expect(lines).toEqual(["a", "b", "c", "d"]);
    });

    it("refuses a line over maxLength with ERR_FRAME_TOO_LONG and leaves it buffered", async () => {
      const socket = await socketTo((peer) => peer.write(`ok\n${"y".repeat(100)}`));
      const errors: string[] = [];
      socket.onLine(() => {}, { maxLength: 50, onError: (e) => errors.push(e.code) });
      await waitFor(() => errors.length > 0);
      expect(errors).toEqual(["ERR_FRAME_TOO_LONG"]);
      expect(socket.available).toBe(100);
    });

    it("reports the socket's error once to onError when the peer resets", async () => {
      const socket = await socketTo((peer) => {
        peer.once("data", () => peer.resetAndDestroy());
      });
      const errors: string[] = [];
      socket.onLine(() => {}, { onError: (e) => errors.push(e.code) });
      socket.write("go");
      await socket.closed;
      await sleep(20);
      expect(errors).toEqual(["ECONNRESET"]);
    });

    it("refuses a handler that is not a function, and unknown options", async () => {
      const socket = await socketTo(() => {});
      expect(() => socket.onLine("nope" as never)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
      );
      expect(() => socket.onLine(() => {}, { eol: "lf", maxLenght: 5 } as never)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
      );
    });
  });

  describe("socket.onFrame", () => {
    it("hands every payload over, as views that stay valid, then ends once", async () => {
      const payloads = Array.from({ length: 500 }, (_, i) => randomBytes(i % 700));
      const wire = Buffer.concat(payloads.map((p) => encodeFrame(p, { width: 2 })));
      const socket = await socketTo((peer) => dribble(peer, wire));
      const got: Buffer[] = [];
      await new Promise<void>((resolve) => {
        socket.onFrame((payload) => got.push(payload), { width: 2, onEnd: resolve });
      });
      expect(got.length).toBe(payloads.length);
      expect(got.every((p, i) => p.equals(payloads[i] as Buffer))).toBe(true);
    });

    it("transient: hands every payload over whole inside the handler, pauses mid-read", async () => {
      const payloads = Array.from({ length: 800 }, (_, i) => randomBytes(i % 900));
      const wire = Buffer.concat(payloads.map((p) => encodeFrame(p)));
      // Whole 64 KiB reads as well as dribbled ones: many frames of one recycled read.
      for (const serve of [
        (peer: NetSocket) => peer.end(wire),
        (peer: NetSocket) => dribble(peer, wire),
      ]) {
        const socket = await socketTo(serve);
        const copies: Buffer[] = [];
        await new Promise<void>((resolve, reject) => {
          socket.onFrame(
            (payload) => {
              copies.push(Buffer.from(payload)); // the handler keeps a copy, as documented
              if (copies.length % 100 === 0) {
                socket.pause(); // stops mid-read: the rest of the read must be kept
                setTimeout(() => socket.resume(), 1);
              }
            },
            { transient: true, onEnd: resolve, onError: reject },
          );
        });
        expect(copies.length).toBe(payloads.length);
        expect(copies.every((p, i) => p.equals(payloads[i] as Buffer))).toBe(true);
      }
    });

    it("refuses a transient that is not a boolean", async () => {
      const socket = await socketTo(() => {});
      expect(() => socket.onFrame(() => {}, { transient: "yes" } as never)).toThrow(
        expect.objectContaining({
          code: "ERR_INVALID_ARGUMENT",
          message: expect.stringMatching(/transient/),
        }),
      );
      // Refused before anything was attached: another handler may still take the stream.
      expect(() => socket.onFrame(() => {})).not.toThrow();
    });

    it("refuses a declared length over maxLength from the header alone", async () => {
      const socket = await socketTo((peer) => peer.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1])));
      const errors: string[] = [];
      socket.onFrame(() => {}, { maxLength: 1024, onError: (e) => errors.push(e.code) });
      await waitFor(() => errors.length > 0);
      expect(errors).toEqual(["ERR_FRAME_TOO_LONG"]);
      expect(socket.available).toBe(5);
    });

    it("hands a frame cut by the end of the stream back as ERR_INCOMPLETE_READ", async () => {
      const socket = await socketTo((peer) => peer.end(encodeFrame("abcdef").subarray(0, 7)));
      const errors: SocketError[] = [];
      socket.onFrame(() => {}, { onError: (e) => errors.push(e) });
      await waitFor(() => errors.length > 0);
      expect(errors[0]).toMatchObject({ code: "ERR_INCOMPLETE_READ" });
      expect((errors[0] as SocketError & { partial: Buffer }).partial.length).toBe(7);
    });
  });

  describe("a batch per read", () => {
    it("lineBatches() gives every line, in arrays of what each read brought", async () => {
      const socket = await socketTo((peer) => dribble(peer, Buffer.from(`${many.join("\n")}\n`)));
      const lines: string[] = [];
      for await (const batch of socket.lineBatches()) {
        expect(batch.length).toBeGreaterThan(0);
        lines.push(...batch);
      }
      expect(lines).toEqual(many);
    });

    it("frameBatches() gives every payload; a loop left early leaves the rest buffered", async () => {
      const socket = await socketTo((peer) => {
        peer.write(Buffer.concat([encodeFrame("a"), encodeFrame("b")]));
      });
      for await (const batch of socket.frameBatches()) {
        expect(batch.map(String)).toEqual(["a", "b"]);
        break;
      }
      expect(socket.available).toBe(0);
    });
  });

  describe("non-blocking try-reads", () => {
    it("return null without consuming anything until the message is buffered", async () => {
      let peerSocket: NetSocket | undefined;
      const socket = await socketTo((peer) => {
        peerSocket = peer;
        peer.write("par");
      });
      await waitFor(() => socket.available === 3);
      expect(socket.tryReadLine()).toBeNull();
      expect(socket.tryReadBytes(4)).toBeNull();
      expect(socket.available).toBe(3);
      peerSocket?.write(Buffer.concat([Buffer.from("tial\n"), encodeFrame("hi")]));
      await waitFor(() => socket.available === 14);
      expect(socket.tryReadLine({ encoding: "utf8" })).toBe("partial");
      expect(String(socket.tryReadFrame())).toBe("hi");
      expect(socket.available).toBe(0);
    });
  });
});
