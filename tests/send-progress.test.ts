/**
 * `sendFrom()` / `sendFile()` on real loopback connections: Xojo's `SendProgress` and
 * `SendComplete(userAborted)`.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { listen } from "../src/listen.js";
import {
  PROGRESS_CHUNK_BYTES,
  type SendComplete,
  type SendProgress,
} from "../src/send-progress.js";
import type { Server } from "../src/server.js";
import type { Socket } from "../src/socket.js";
import { rejection } from "./helpers/errors.js";

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A server that collects each connection's bytes until its end, or holds them unread. */
async function collector(read = true): Promise<{ server: Server; received: Promise<Buffer> }> {
  let deliver: (data: Buffer) => void = () => {};
  const received = new Promise<Buffer>((resolve) => {
    deliver = resolve;
  });
  const server = await listen("127.0.0.1:0", { allowHalfOpen: true }, async (socket) => {
    if (!read) return;
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk);
    deliver(Buffer.concat(chunks));
    await socket.close();
  });
  cleanups.push(() => server.closeAll());
  return { server, received };
}

async function client(server: Server): Promise<Socket> {
  const socket = connect(`127.0.0.1:${server.port}`);
  cleanups.push(() => socket.destroy());
  await socket.opened;
  return socket;
}

function record(socket: Socket): { progress: SendProgress[]; complete: SendComplete[] } {
  const progress: SendProgress[] = [];
  const complete: SendComplete[] = [];
  socket.on("progress", (p) => progress.push(p));
  socket.on("sendComplete", (c) => complete.push(c));
  return { progress, complete };
}

describe("sendFrom", () => {
  it("sends a buffer in 64 KiB steps, reports each one, and completes with userAborted false", async () => {
    const { server, received } = await collector();
    const socket = await client(server);
    const events = record(socket);
    const data = randomBytes(3 * PROGRESS_CHUNK_BYTES + 100);
    const result = await socket.sendFrom(data);
    expect(result).toEqual({ userAborted: false, bytesSent: data.length });
    expect(events.progress.map((p) => p.bytesSent)).toEqual([
      PROGRESS_CHUNK_BYTES,
      2 * PROGRESS_CHUNK_BYTES,
      3 * PROGRESS_CHUNK_BYTES,
      data.length,
    ]);
    expect(events.progress.every((p) => p.bytesTotal === data.length)).toBe(true);
    expect(events.complete).toEqual([result]);
    await socket.end();
    expect((await received).equals(data)).toBe(true);
  });

  it("sends an async iterable chunk by chunk, with the total it is told", async () => {
    const { server, received } = await collector();
    const socket = await client(server);
    const events = record(socket);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.from("one ");
      yield new Uint8Array(0); // skipped: no empty progress step
      yield Buffer.from("two");
    }
    const result = await socket.sendFrom(source(), { total: 7 });
    expect(result).toEqual({ userAborted: false, bytesSent: 7 });
    expect(events.progress).toEqual([
      { bytesSent: 4, bytesTotal: 7 },
      { bytesSent: 7, bytesTotal: 7 },
    ]);
    await socket.end();
    expect((await received).toString()).toBe("one two");
  });

  it("stops when its signal aborts between chunks: userAborted true, only the sent bytes counted", async () => {
    const { server, received } = await collector();
    const socket = await client(server);
    const events = record(socket);
    const controller = new AbortController();
    socket.on("progress", (p) => {
      if (p.bytesSent === 2 * PROGRESS_CHUNK_BYTES) controller.abort(); // Xojo: return True
    });
    const data = Buffer.alloc(5 * PROGRESS_CHUNK_BYTES, 1);
    const result = await socket.sendFrom(data, { signal: controller.signal });
    expect(result).toEqual({ userAborted: true, bytesSent: 2 * PROGRESS_CHUNK_BYTES });
    expect(events.complete).toEqual([result]);
    await socket.end();
    expect((await received).length).toBe(2 * PROGRESS_CHUNK_BYTES);
  });

  it("stops at once when aborted while a chunk waits for a peer that does not read", async () => {
    const { server } = await collector(false);
    const socket = await client(server);
    const controller = new AbortController();
    const data = Buffer.alloc(64 * 1024 * 1024); // far more than the kernel buffers hold
    const sending = socket.sendFrom(data, { signal: controller.signal });
    await new Promise<void>((resolve) => {
      socket.on("progress", (p) => {
        if (p.bytesSent >= 4 * PROGRESS_CHUNK_BYTES) resolve();
      });
    });
    controller.abort();
    const result = await sending;
    expect(result.userAborted).toBe(true);
    expect(result.bytesSent).toBeLessThan(data.length);
  });

  it("rejects with ERR_SOCKET_CLOSED on a closed socket, without 'sendComplete'", async () => {
    const { server } = await collector();
    const socket = await client(server);
    const events = record(socket);
    await socket.destroy();
    expect((await rejection(socket.sendFrom("late"))).code).toBe("ERR_SOCKET_CLOSED");
    expect(events.complete).toEqual([]);
  });

  it("rejects a source that gives strings with ERR_INVALID_ARGUMENT", async () => {
    const { server } = await collector();
    const socket = await client(server);
    const error = await rejection(socket.sendFrom(["text"] as unknown as Uint8Array[]));
    expect(error.code).toBe("ERR_INVALID_ARGUMENT");
  });
});

describe("sendFile", () => {
  it("sends a file whole with its size as bytesTotal", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sockit-send-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "data.bin");
    const data = randomBytes(300_001);
    await writeFile(path, data);
    const { server, received } = await collector();
    const socket = await client(server);
    const events = record(socket);
    const result = await socket.sendFile(path);
    expect(result).toEqual({ userAborted: false, bytesSent: data.length });
    expect(events.progress.at(-1)).toEqual({ bytesSent: data.length, bytesTotal: data.length });
    await socket.end();
    expect((await received).equals(data)).toBe(true);
  });

  it("rejects a missing file with ENOENT and a directory with EISDIR, the path as address, sending nothing", async () => {
    const { server, received } = await collector();
    const socket = await client(server);
    const missing = await rejection(socket.sendFile("/nonexistent/sockit-file"));
    expect(missing.code).toBe("ENOENT");
    expect(missing.address).toBe("/nonexistent/sockit-file");
    expect((await rejection(socket.sendFile(tmpdir()))).code).toBe("EISDIR");
    await socket.end();
    expect((await received).length).toBe(0);
  });
});
