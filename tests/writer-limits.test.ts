import type { Socket as NetSocket } from "node:net";
import { describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { thrown } from "./helpers/errors.js";
import { collect, rawPeer } from "./helpers/raw-peer.js";

/** A peer that reads nothing until resumed, and what it received once its client ended. */
async function stalledPeer(): Promise<{
  target: string;
  peer: () => NetSocket | undefined;
  received: () => Promise<Buffer> | undefined;
}> {
  let peer: NetSocket | undefined;
  let received: Promise<Buffer> | undefined;
  const { target } = await rawPeer((s) => {
    peer = s;
    received = collect(s);
    s.pause();
  });
  return { target, peer: () => peer, received: () => received };
}

describe("maxWriteBuffer", () => {
  it("takes writes up to exactly maxWriteBuffer queued bytes and refuses the next byte with ERR_WRITE_BUFFER_FULL", async () => {
    const { target, peer, received } = await stalledPeer();
    const socket = connect(target, { maxWriteBuffer: 100 });
    // Still connecting: every byte stays queued in the process, so the count is exact.
    const calls: (string | null)[] = [];
    socket.write(Buffer.alloc(60, "a"));
    socket.write(Buffer.alloc(40, "b"), undefined, (error) => calls.push(error?.code ?? null));
    const error = thrown(() =>
      socket.write("c", undefined, (e) => calls.push(e?.code ?? "refused write settled")),
    );
    expect(error.code).toBe("ERR_WRITE_BUFFER_FULL");
    expect(socket.connected || socket.connecting).toBe(true);
    await socket.opened;
    peer()?.resume();
    await socket.send("d"); // still usable: waits for room, then goes out
    await socket.end();
    const bytes = await received();
    expect(bytes?.toString()).toBe(`${"a".repeat(60)}${"b".repeat(40)}d`);
    expect(calls).toEqual([null]); // the refused write's callback is never called
    await socket.destroy();
  });

  it("takes a write larger than maxWriteBuffer into an empty queue", async () => {
    const { target, peer, received } = await stalledPeer();
    const socket = connect(target, { maxWriteBuffer: 10 });
    expect(socket.write(Buffer.alloc(1000, "x"))).toBe(true);
    expect(thrown(() => socket.write("y")).code).toBe("ERR_WRITE_BUFFER_FULL");
    await socket.opened;
    peer()?.resume();
    await socket.end();
    expect((await received())?.length).toBe(1000);
    await socket.destroy();
  });

  it("bounds the queue against a peer that stops reading: writes are refused once the kernel is full", async () => {
    const { target, peer, received } = await stalledPeer();
    const limit = 1024 * 1024;
    const socket = connect(target, { maxWriteBuffer: limit });
    await socket.opened;
    let accepted = 0;
    let refused: string | undefined;
    // The kernel's buffers take a few MiB, then the process queue fills: bounded at 256 MiB.
    for (let i = 0; i < 4096 && refused === undefined; i++) {
      try {
        socket.write(Buffer.alloc(64 * 1024, i % 251));
        accepted += 64 * 1024;
      } catch (error) {
        refused = (error as { code?: string }).code;
      }
      if (i % 16 === 15) await new Promise((r) => setImmediate(r)); // let the kernel take some
    }
    expect(refused).toBe("ERR_WRITE_BUFFER_FULL");
    // A send waiting for room that times out queues nothing.
    await expect(socket.send(Buffer.alloc(10, 0xff), { timeout: 50 })).rejects.toMatchObject({
      code: "ERR_WRITE_TIMEOUT",
    });
    peer()?.resume();
    await socket.end();
    const bytes = await received();
    expect(bytes?.length).toBe(accepted);
    expect(bytes?.includes(0xff)).toBe(false);
    await socket.destroy();
  });

  it("makes send() wait for room instead of refusing, in order", async () => {
    const { target, peer, received } = await stalledPeer();
    const socket = connect(target, { maxWriteBuffer: 8 });
    socket.write("12345678");
    const sent = [socket.send("abc"), socket.send("def")];
    await socket.opened;
    peer()?.resume();
    await Promise.all(sent);
    await socket.end();
    expect((await received())?.toString()).toBe("12345678abcdef");
    await socket.destroy();
  });

  it("refuses a negative or fractional maxWriteBuffer with ERR_INVALID_ARGUMENT", () => {
    expect(thrown(() => connect("127.0.0.1:1", { maxWriteBuffer: -1 })).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
    expect(thrown(() => connect("127.0.0.1:1", { maxWriteBuffer: 1.5 })).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
  });
});
