import type { Socket as NetSocket } from "node:net";
import { describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import type { SocketError } from "../src/errors.js";
import { collect, rawPeer, sleep } from "./helpers/raw-peer.js";

describe("writing to a socket", () => {
  it("fires 'written' per tag in order and calls each onWritten exactly once", async () => {
    let received: Promise<Buffer> | undefined;
    const { target } = await rawPeer((s) => {
      received = collect(s);
    });
    const socket = connect<number>(target);
    const written: (number | undefined)[] = [];
    const callbacks: [SocketError | null, number | undefined][] = [];
    socket.on("written", (tag) => written.push(tag));
    for (let tag = 1; tag <= 3; tag++)
      socket.write(`part${tag};`, tag, (e, t) => callbacks.push([e, t]));
    await socket.send("last");
    expect(written).toEqual([1, 2, 3, undefined]);
    expect(callbacks).toEqual([
      [null, 1],
      [null, 2],
      [null, 3],
    ]);
    await socket.close();
    expect((await received)?.toString()).toBe("part1;part2;part3;last");
  });

  it("returns false above the write high-water mark and emits 'drain' once there is room", async () => {
    let peer: NetSocket | undefined;
    const { target } = await rawPeer((s) => {
      peer = s;
      s.pause(); // reads nothing until the mark is crossed: the kernel buffers fill up
    });
    const socket = connect(target, { writeHighWaterMark: 1024 });
    await socket.opened;
    const drained = new Promise<void>((r) => socket.once("drain", () => r()));
    let room = true;
    for (let i = 0; i < 2048 && room; i++) room = socket.write(Buffer.alloc(64 * 1024)); // ≤ 128 MiB
    expect(room).toBe(false);
    peer?.resume();
    await drained;
    await socket.destroy();
  });

  it("rejects send with ERR_WRITE_TIMEOUT when the peer does not read", async () => {
    const { target } = await rawPeer((s) => s.pause());
    const socket = connect(target);
    await socket.opened;
    await expect(
      socket.send(Buffer.alloc(64 * 1024 * 1024), { timeout: 100 }),
    ).rejects.toMatchObject({
      code: "ERR_WRITE_TIMEOUT",
    });
    expect(socket.connected).toBe(true);
    await socket.destroy();
  });

  it("rejects send with ERR_ABORTED through its signal", async () => {
    const { target } = await rawPeer((s) => s.pause());
    const socket = connect(target);
    await socket.opened;
    const controller = new AbortController();
    const sending = socket.send(Buffer.alloc(64 * 1024 * 1024), { signal: controller.signal });
    controller.abort();
    await expect(sending).rejects.toMatchObject({ code: "ERR_ABORTED" });
    await expect(socket.send("x", { signal: controller.signal })).rejects.toMatchObject({
      code: "ERR_ABORTED",
    });
    await socket.destroy();
  });

  it.each([
    ["close()", (s: ReturnType<typeof connect>) => void s.close()],
    ["end()", (s: ReturnType<typeof connect>) => void s.end()],
    ["destroy()", (s: ReturnType<typeof connect>) => void s.destroy()],
  ])("refuses writes after %s with ERR_SOCKET_CLOSED", async (_name, shut) => {
    const { target } = await rawPeer((s) => s.resume());
    const socket = connect(target);
    await socket.opened;
    shut(socket);
    expect(() => socket.write("late")).toThrow(
      expect.objectContaining({ code: "ERR_SOCKET_CLOSED" }),
    );
    await expect(socket.send("late")).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
    await socket.destroy();
  });

  it("settles every pending write exactly once when the peer resets", async () => {
    let peer: NetSocket | undefined;
    const { target } = await rawPeer((s) => {
      peer = s;
      s.pause();
    });
    const socket = connect(target);
    await socket.opened;
    await sleep(20);
    const settled = new Map<number, (string | null)[]>();
    for (let i = 0; i < 40; i++) {
      settled.set(i, []);
      socket.write(Buffer.alloc(1024 * 1024), i, (error) =>
        settled.get(i)?.push(error?.code ?? null),
      );
    }
    peer?.resetAndDestroy();
    const closed = await socket.closed;
    await sleep(20);
    expect(closed.hadError).toBe(true);
    expect(["ECONNRESET", "EPIPE"]).toContain(closed.error?.code);
    for (const calls of settled.values()) expect(calls).toHaveLength(1);
    const failures = [...settled.values()].filter(([code]) => code !== null);
    expect(failures.length).toBeGreaterThan(0);
  });

  it("fails a send still in flight when the socket is destroyed, never reports it written", async () => {
    const { target } = await rawPeer((s) => s.pause());
    const socket = connect(target);
    await socket.opened;
    const sending = socket.send(Buffer.alloc(128 * 1024 * 1024));
    await sleep(50);
    void socket.destroy();
    await expect(sending).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
  });
});
