/**
 * A listening socket's reads and writes (hs.socket `read` / `write` on a server), against
 * plain `node:net` clients on loopback.
 */
import { type Socket as NetSocket, connect as netConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { IncompleteReadError, SocketError } from "../src/errors.js";
import { listen } from "../src/listen.js";
import type { Server } from "../src/server.js";
import type { BroadcastResult } from "../src/server-io.js";
import type { Socket } from "../src/socket.js";
import { sleep, waitFor } from "./helpers/raw-peer.js";

const servers: Server[] = [];
const clients: NetSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

async function serve(...args: Parameters<typeof listen>): Promise<Server> {
  const server = await listen(...args);
  servers.push(server);
  return server;
}

/** A plain net client, connected, its received bytes gathered in `received()`. */
async function client(server: Server): Promise<{ raw: NetSocket; received: () => Buffer }> {
  const raw = netConnect(server.port ?? 0, "127.0.0.1");
  clients.push(raw);
  raw.on("error", () => {});
  const chunks: Buffer[] = [];
  raw.on("data", (chunk: Buffer) => chunks.push(chunk));
  await new Promise<void>((resolve, reject) => {
    raw.once("connect", resolve);
    raw.once("error", reject);
  });
  return { raw, received: () => Buffer.concat(chunks) };
}

/** The server's connection for a client: the one whose peer port is the client's port. */
function accepted(server: Server, raw: NetSocket): Socket | undefined {
  return server.connections.find((s) => s.info().remotePort === raw.localPort);
}

interface ReadEvent {
  data: string;
  tag: unknown;
  socket: Socket;
}

function recordReads(server: Server): ReadEvent[] {
  const reads: ReadEvent[] = [];
  server.on("read", (data, tag, socket) => reads.push({ data: data.toString(), tag, socket }));
  return reads;
}

describe("server.read (hs.socket read on a listening socket)", () => {
  it("queues the read on every open connection and emits 'read' with the data, the tag and the socket", async () => {
    const server = await serve("127.0.0.1:0");
    const peers = [await client(server), await client(server), await client(server)];
    await waitFor(() => server.connections.length === 3);
    const reads = recordReads(server);
    expect(server.read("\n", 1)).toBe(server);
    for (const [i, peer] of peers.entries()) peer.raw.write(`hello ${i}\nrest`);
    await waitFor(() => reads.length === 3);
    for (const [i, peer] of peers.entries()) {
      const event = reads.find((r) => r.data === `hello ${i}\n`);
      expect(event?.tag).toBe(1);
      expect(event?.socket).toBe(accepted(server, peer.raw));
    }
    await sleep(30);
    expect(reads).toHaveLength(3); // one read per connection: "rest" stays buffered
    expect(server.connections.map((s) => s.available)).toEqual([4, 4, 4]);
  });

  it("queues it on a connection accepted later too, before the handler's own reads", async () => {
    const lines: string[] = [];
    const server = await serve("127.0.0.1:0", async (socket) => {
      lines.push((await socket.readLine()).toString());
    });
    const reads = recordReads(server);
    server.read(5, "greeting").read("\n", "name");
    const peer = await client(server);
    peer.raw.write("HELO ada\nhello there\n");
    await waitFor(() => reads.length === 2 && lines.length === 1);
    expect(reads.map((r) => [r.data, r.tag])).toEqual([
      ["HELO ", "greeting"],
      ["ada\n", "name"],
    ]);
    expect(lines).toEqual(["hello there"]);
  });

  it("brings a socket.read() made in the 'read' listener back to the server (hs.socket's state machine)", async () => {
    const server = await serve("127.0.0.1:0");
    const bodies = new Map<Socket, string>();
    server.on("read", (data, tag, socket) => {
      if (tag === "header") {
        const length = Number(/Content-Length: (\d+)/.exec(data.toString())?.[1]);
        socket.read(length, "body");
      } else if (tag === "body") bodies.set(socket, data.toString());
    });
    server.read("\r\n\r\n", "header");
    const a = await client(server);
    const b = await client(server);
    a.raw.write("POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
    b.raw.write("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nbyeEXTRA");
    await waitFor(() => bodies.size === 2);
    const serverA = accepted(server, a.raw) as Socket;
    const serverB = accepted(server, b.raw) as Socket;
    expect(bodies.get(serverA)).toBe("hello");
    expect(bodies.get(serverB)).toBe("bye");
  });

  it("forwards a connection's own socket.read() to the server once a 'read' listener is on it", async () => {
    const server = await serve("127.0.0.1:0", (socket) => void socket.read("\n", "own"));
    const reads = recordReads(server);
    const peer = await client(server);
    peer.raw.write("mine\n");
    await waitFor(() => reads.length === 1);
    expect(reads[0]?.tag).toBe("own");
    expect(reads[0]?.socket).toBe(accepted(server, peer.raw));
  });

  it("fails a read cut by the peer's close as 'readError' with the partial bytes, and the other connections go on", async () => {
    const server = await serve("127.0.0.1:0");
    const errors: { error: SocketError; tag: unknown; socket: Socket }[] = [];
    const serverErrors: SocketError[] = [];
    server.on("readError", (error, tag, socket) => errors.push({ error, tag, socket }));
    server.on("error", (error) => serverErrors.push(error));
    const reads = recordReads(server);
    const cut = await client(server);
    const silent = await client(server);
    const fine = await client(server);
    await waitFor(() => server.connections.length === 3);
    const [cutSocket, silentSocket] = [accepted(server, cut.raw), accepted(server, silent.raw)];
    server.read("\n", 9);
    cut.raw.end("par");
    silent.raw.end();
    await waitFor(() => errors.length === 2);
    fine.raw.write("ok\n");
    await waitFor(() => reads.length === 1);
    const byCut = errors.find((e) => e.socket === cutSocket);
    expect(byCut?.error.code).toBe("ERR_INCOMPLETE_READ");
    expect((byCut?.error as IncompleteReadError | undefined)?.partial.toString()).toBe("par");
    expect(byCut?.tag).toBe(9);
    expect(errors.find((e) => e.socket === silentSocket)?.error.code).toBe("ERR_END_OF_STREAM");
    expect(reads[0]?.data).toBe("ok\n");
    expect(reads[0]?.socket).toBe(accepted(server, fine.raw));
    expect(serverErrors).toEqual([]); // a failed read is the connection's, not the server's
  });

  it("gives each connection's read its timeout; a timed-out read keeps the connection open", async () => {
    const server = await serve("127.0.0.1:0");
    const errors: SocketError[] = [];
    server.on("readError", (error) => errors.push(error));
    const peer = await client(server);
    await waitFor(() => server.connections.length === 1);
    server.read("\n", "t", { timeout: 50 });
    await waitFor(() => errors.length === 1);
    expect(errors[0]?.code).toBe("ERR_READ_TIMEOUT");
    const reads = recordReads(server);
    server.read("\n", "again");
    peer.raw.write("late\n");
    await waitFor(() => reads.length === 1);
    expect(reads[0]?.data).toBe("late\n");
  });

  it("without a 'readError' listener on the server, reports the failure to the socket's 'error' listener", async () => {
    const socketErrors: SocketError[] = [];
    const server = await serve("127.0.0.1:0", (socket) => {
      socket.on("error", (error) => socketErrors.push(error));
    });
    server.read("\n", 1);
    const peer = await client(server);
    await waitFor(() => server.connections.length === 1);
    peer.raw.end("cut");
    await waitFor(() => socketErrors.length === 1);
    expect(socketErrors[0]?.code).toBe("ERR_INCOMPLETE_READ");
  });

  it("refuses a bad count, delimiter or option before anything is queued", async () => {
    const server = await serve("127.0.0.1:0");
    const code = (call: () => unknown): string | undefined => {
      try {
        call();
      } catch (error) {
        return (error as SocketError).code;
      }
      return undefined;
    };
    expect(code(() => server.read(-1))).toBe("ERR_INVALID_ARGUMENT");
    expect(code(() => server.read(1.5))).toBe("ERR_INVALID_ARGUMENT");
    expect(code(() => server.read(""))).toBe("ERR_INVALID_ARGUMENT");
    expect(code(() => server.read("\n", 1, { timout: 5 } as never))).toBe("ERR_INVALID_ARGUMENT");
    const reads = recordReads(server);
    const peer = await client(server);
    peer.raw.write("x\n");
    await sleep(50);
    expect(reads).toEqual([]); // none of the refused reads was kept for later connections
  });
});

describe("server.write (hs.socket write on a listening socket)", () => {
  it("writes to every open connection and calls back once with the tag when all are written", async () => {
    const server = await serve("127.0.0.1:0");
    const peers = [await client(server), await client(server), await client(server)];
    await waitFor(() => server.connections.length === 3);
    const calls: [SocketError | null, unknown, BroadcastResult][] = [];
    const events: [unknown, BroadcastResult][] = [];
    const socketTags: unknown[] = [];
    for (const socket of server.connections) socket.on("written", (tag) => socketTags.push(tag));
    server.on("written", (tag, result) => events.push([tag, result]));
    const count = server.write("news\n", 7, (error, tag, result) =>
      calls.push([error, tag, result]),
    );
    expect(count).toBe(3);
    await waitFor(() => peers.every((p) => p.received().toString() === "news\n"));
    await waitFor(() => calls.length === 1);
    expect(calls[0]?.[0]).toBeNull();
    expect(calls[0]?.[1]).toBe(7);
    expect(calls[0]?.[2]).toEqual({ written: 3, failed: [] });
    expect(events).toEqual([[7, { written: 3, failed: [] }]]);
    expect(socketTags).toEqual([7, 7, 7]);
    await sleep(20);
    expect(calls).toHaveLength(1);
  });

  it("with no open connection, calls back on the next tick, never inside write()", async () => {
    const server = await serve("127.0.0.1:0");
    const calls: BroadcastResult[] = [];
    expect(server.write("x", "t", (_e, _t, result) => calls.push(result))).toBe(0);
    expect(calls).toEqual([]);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(calls).toEqual([{ written: 0, failed: [] }]);
  });

  it("reports a connection over its maxWriteBuffer as failed and still writes to the others", async () => {
    const server = await serve("127.0.0.1:0", { maxWriteBuffer: 64 * 1024 });
    const stuck = await client(server);
    stuck.raw.pause(); // never reads
    const reader = await client(server);
    await waitFor(() => server.connections.length === 2);
    const stuckSocket = accepted(server, stuck.raw) as Socket;
    stuckSocket.write(Buffer.alloc(16 * 1024 * 1024)); // an empty queue takes any size
    expect(stuckSocket.info().connected).toBe(true);
    const done = new Promise<[SocketError | null, BroadcastResult]>((resolve) => {
      server.write(Buffer.alloc(1024, 0x61), "b", (error, _tag, result) =>
        resolve([error, result]),
      );
    });
    const [error, result] = await done;
    expect(error?.code).toBe("ERR_WRITE_BUFFER_FULL");
    expect(result.written).toBe(1);
    expect(result.failed.map((f) => [f.socket, f.error.code])).toEqual([
      [stuckSocket, "ERR_WRITE_BUFFER_FULL"],
    ]);
    await waitFor(() => reader.received().length === 1024);
    expect(stuckSocket.connected).toBe(true); // refused, not closed
  });

  it("leaves out connections already closing", async () => {
    const server = await serve("127.0.0.1:0");
    const a = await client(server);
    const b = await client(server);
    await waitFor(() => server.connections.length === 2);
    void accepted(server, a.raw)?.close();
    const result = await new Promise<BroadcastResult>((resolve) => {
      expect(server.write("hi", undefined, (_e, _t, r) => resolve(r))).toBe(1);
    });
    expect(result).toEqual({ written: 1, failed: [] });
    await waitFor(() => b.received().toString() === "hi");
  });

  it("refuses data that is not text or bytes, and an onWritten that is not a function", async () => {
    const server = await serve("127.0.0.1:0");
    const peer = await client(server);
    await waitFor(() => server.connections.length === 1);
    expect(() => server.write(5 as never)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
    expect(() => server.write("x", 1, "cb" as never)).toThrow(/onWritten must be a function/);
    await sleep(30);
    expect(peer.received().length).toBe(0); // nothing written
  });
});
