import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ConnectionHandler,
  connect,
  type ListenOptions,
  listen,
  type Server,
  type Socket,
  SocketError,
} from "../src/index.js";
import { toReadableStream, toWritableStream } from "../src/web-streams.js";
import { rawPeer, sleep, waitFor } from "./helpers/raw-peer.js";

const MiB = 1024 * 1024;
const servers: Server[] = [];
const clients: Socket[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

/** A sockit server on 127.0.0.1 with a free port, closed (with its connections) after the test. */
async function serve(handler: ConnectionHandler, options: ListenOptions = {}): Promise<string> {
  const server = await listen("127.0.0.1:0", options, handler);
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

function client(target: string): Socket {
  const socket = connect(target);
  clients.push(socket);
  return socket;
}

/** Reads a stream to its end, bounded in time. */
async function drain(stream: ReadableStream<Uint8Array>, ms = 10_000): Promise<Uint8Array[]> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`stream did not end within ${ms} ms`);
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

/** Everything a sockit socket receives until the peer's FIN. */
async function readToEnd(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = await socket.readAvailable({ timeout: 10_000 });
    if (chunk.length === 0) return Buffer.concat(chunks);
    chunks.push(chunk);
  }
}

/** A promise and its resolve function, to let a test step a server handler. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("toReadableStream", () => {
  it("delivers a 4 MiB payload byte for byte and closes at the peer's FIN", async () => {
    const payload = randomBytes(4 * MiB);
    const target = await serve(async (socket) => {
      await socket.send(payload);
      await socket.end();
    });
    const chunks = await drain(toReadableStream(client(target)));
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      expect(chunk.constructor).toBe(Uint8Array); // a plain view, not a Buffer
      expect(chunk.byteLength).toBeGreaterThan(0);
    }
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });

  it("reads nothing from sockit until the consumer pulls (highWaterMark 0)", async () => {
    const target = await serve((socket) => void socket.send("waiting in sockit's buffer"));
    const socket = client(target);
    const stream = toReadableStream(socket);
    await waitFor(() => socket.available === 26);
    await sleep(50); // a read-ahead would have emptied the buffer by now
    expect(socket.available).toBe(26);
    const reader = stream.getReader();
    const { value } = await reader.read();
    expect(Buffer.from(value ?? []).toString()).toBe("waiting in sockit's buffer");
    expect(socket.available).toBe(0);
  });

  it("pipeThrough(new TextDecoderStream()) yields the text, a character split across chunks", async () => {
    const text = "grüße, 世界 ✓\n";
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from("世")) + 1; // inside a three-byte character
    const target = await serve(async (socket) => {
      await socket.send(bytes.subarray(0, cut));
      await sleep(20);
      await socket.send(bytes.subarray(cut));
      await socket.end();
    });
    const decoded = toReadableStream(client(target)).pipeThrough(new TextDecoderStream());
    const parts: string[] = [];
    const reader = decoded.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    expect(parts.join("")).toBe(text);
  });

  it("errors with ECONNRESET when the peer resets the connection", async () => {
    const { target } = await rawPeer((raw) => {
      raw.write("before the reset", () => setTimeout(() => raw.resetAndDestroy(), 20));
    });
    const socket = client(target);
    const reader = toReadableStream(socket).getReader();
    const received: Buffer[] = [];
    const error = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        received.push(Buffer.from(value));
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SocketError);
    expect((error as SocketError).code).toBe("ECONNRESET");
    expect(Buffer.concat(received).toString()).toBe("before the reset");
    await expect(reader.closed).rejects.toMatchObject({ code: "ECONNRESET" });
  });

  it("errors with ERR_SOCKET_CLOSED when the owner destroys the socket", async () => {
    const target = await serve(() => {});
    const socket = client(target);
    await socket.opened;
    const reader = toReadableStream(socket).getReader();
    const read = reader.read();
    await socket.destroy();
    await expect(read).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
  });

  it("cancel() stops reading and leaves later bytes in sockit's buffer", async () => {
    const second = gate();
    const target = await serve(async (socket) => {
      await socket.send("first");
      await second.promise;
      await socket.send("second, for sockit's own reads");
    });
    const socket = client(target);
    const reader = toReadableStream(socket).getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value ?? []).toString()).toBe("first");
    const pending = reader.read(); // waits in readAvailable
    await sleep(20);
    await reader.cancel(new Error("enough"));
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    second.open();
    await waitFor(() => socket.available > 0);
    expect((await socket.readAvailable({ timeout: 2000 })).toString()).toBe(
      "second, for sockit's own reads",
    );
    expect(socket.connected).toBe(true); // the socket and its write side are untouched
    await socket.send("still writable");
  });

  it("cancel() leaves bytes not yet pulled in sockit's buffer", async () => {
    const target = await serve((socket) => void socket.send("never pulled"));
    const socket = client(target);
    const stream = toReadableStream(socket);
    await waitFor(() => socket.available === 12);
    await stream.cancel();
    expect((await socket.readAvailable({ timeout: 2000 })).toString()).toBe("never pulled");
  });

  it("refuses a bad highWaterMark with ERR_INVALID_ARGUMENT", async () => {
    const socket = client(await serve(() => {}));
    expect(() => toReadableStream(socket, { highWaterMark: -1 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
    expect(() => toReadableStream(socket, { highWaterMark: 1.5 })).toThrow(SocketError);
  });
});

describe("toWritableStream", () => {
  it("writes chunks in order; close() sends FIN and the readable still gets the reply", async () => {
    const target = await serve(
      async (socket) => {
        const line = await socket.readLine({ timeout: 5000 });
        const rest = await readToEnd(socket); // ends at the client's FIN
        await socket.send(`got ${line.toString()} and ${rest.length} more bytes, then EOF\n`);
        await socket.close();
      },
      { allowHalfOpen: true },
    );
    const socket = client(target);
    const writer = toWritableStream(socket).getWriter();
    await writer.write(Buffer.from("hello\n"));
    await writer.write(new Uint8Array([1, 2, 3]));
    await writer.write(new Uint8Array(0));
    await writer.close();
    const reply = Buffer.concat(await drain(toReadableStream(socket))).toString();
    expect(reply).toBe("got hello and 3 more bytes, then EOF\n");
    await expect(socket.send("after close")).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
  });

  it("abort() destroys the socket with ERR_ABORTED carrying the reason", async () => {
    const target = await serve(() => {});
    const socket = client(target);
    await socket.opened;
    const writer = toWritableStream(socket).getWriter();
    const reason = new Error("user gave up");
    await writer.abort(reason);
    const closed = await socket.closed;
    expect(closed.hadError).toBe(true);
    expect(closed.error?.code).toBe("ERR_ABORTED");
    expect(closed.error?.cause).toBe(reason);
  });

  it("abort() acts at once while a write waits for a peer that does not read", async () => {
    // The peer never reads; 128 MiB is more than the loopback kernel buffers hold.
    const { target } = await rawPeer((raw) => raw.pause());
    const socket = client(target);
    await socket.opened;
    const writer = toWritableStream(socket).getWriter();
    const stuck = writer.write(Buffer.alloc(128 * MiB));
    const settled = stuck.then(
      () => "settled",
      () => "settled",
    );
    await sleep(50);
    expect(socket.info().connected).toBe(true);
    const reason = new Error("peer too slow");
    await writer.abort(reason); // would wait for the stuck write without the controller's signal
    const closed = await socket.closed;
    expect(closed.error?.code).toBe("ERR_ABORTED");
    expect(closed.error?.cause).toBe(reason);
    await expect(writer.closed).rejects.toBe(reason);
    expect(await settled).toBe("settled"); // nothing is left hanging
  });

  it("refuses a string chunk with ERR_INVALID_ARGUMENT and leaves the socket open", async () => {
    const target = await serve(async (socket) => {
      socket.write(await socket.readLine({ timeout: 5000 }));
    });
    const socket = client(target);
    const writer = toWritableStream(socket).getWriter();
    await expect(writer.write("text" as unknown as Uint8Array)).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    });
    await expect(writer.closed).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
    socket.write("still usable\n");
    expect((await socket.readBytes(12, { timeout: 5000 })).toString()).toBe("still usable");
  });

  it("errors with ERR_SOCKET_CLOSED when written after the socket was ended", async () => {
    const socket = client(await serve(() => {}));
    await socket.end();
    const writer = toWritableStream(socket).getWriter();
    await expect(writer.write(new Uint8Array([1]))).rejects.toMatchObject({
      code: "ERR_SOCKET_CLOSED",
    });
  });
});

describe("readable.pipeTo(writable): a proxy", () => {
  it("moves 16 MiB byte for byte with the proxy's receive buffer bounded", async () => {
    const payload = randomBytes(16 * MiB);
    const origin = await serve(async (socket) => {
      await socket.send(payload);
      await socket.end();
    });
    let received: Promise<Buffer> | undefined;
    // The final consumer stalls, then reads 64 KiB at a time with a pause after each read:
    // the chain's buffers fill and backpressure reaches the proxy.
    const sink = await serve(
      (socket) => {
        received = (async () => {
          const chunks: Buffer[] = [];
          let remaining = payload.length;
          await sleep(200);
          while (remaining > 0) {
            const chunk = await socket.readBytes(Math.min(64 * 1024, remaining), {
              timeout: 10_000,
            });
            chunks.push(chunk);
            remaining -= chunk.length;
            await sleep(1);
          }
          return Buffer.concat(chunks);
        })();
      },
      { readHighWaterMark: 64 * 1024 },
    );
    const upstream = client(origin);
    const downstream = client(sink);
    let maxAvailable = 0;
    let maxHeld = 0;
    let sampling = true;
    const sampler = (async () => {
      const deadline = Date.now() + 30_000;
      while (sampling && Date.now() < deadline) {
        maxAvailable = Math.max(maxAvailable, upstream.available);
        // Read from the kernel but not yet handed to it again: sockit's receive buffer plus
        // whatever the streams hold (the chunk being sent counts as written).
        maxHeld = Math.max(maxHeld, upstream.info().bytesRead - downstream.info().bytesWritten);
        await sleep(1);
      }
    })();
    try {
      await toReadableStream(upstream).pipeTo(toWritableStream(downstream));
    } finally {
      sampling = false;
      await sampler;
    }
    await waitFor(() => received !== undefined);
    const bytes = await received;
    expect(bytes?.length).toBe(payload.length);
    expect(bytes?.equals(payload)).toBe(true);
    // readHighWaterMark (1 MiB) plus at most one kernel read above it.
    expect(maxAvailable).toBeLessThanOrEqual(2 * MiB);
    expect(maxHeld).toBeLessThanOrEqual(2 * MiB); // no read-ahead piles up in the streams
    expect(maxAvailable).toBeGreaterThan(0); // the sampling saw backpressure reach the proxy
  });

  it("rejects with the destination's error and cancels the source, which stays open", async () => {
    const target = await serve((socket) => void socket.send("for the proxy"));
    const upstream = client(target);
    const downstream = client(await serve(() => {}));
    await downstream.opened;
    await waitFor(() => upstream.available === 13);
    await downstream.destroy(); // the destination's writes now fail with ERR_SOCKET_CLOSED
    const piped = toReadableStream(upstream).pipeTo(toWritableStream(downstream));
    await expect(piped).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
    expect(upstream.connected).toBe(true);
  });
});
