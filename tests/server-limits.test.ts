import { type Socket as NetSocket, connect as netConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { listen } from "../src/listen.js";
import type { DropInfo, Server } from "../src/server.js";
import type { Socket } from "../src/socket.js";
import { rejection } from "./helpers/errors.js";
import { sleep, waitFor } from "./helpers/raw-peer.js";

const servers: Server[] = [];
const raws: NetSocket[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

async function serve(...args: Parameters<typeof listen>): Promise<Server> {
  const server = await listen(...args);
  servers.push(server);
  return server;
}

/** A raw client; resolves once connected. `ended` resolves when the server closes it. */
async function rawClient(port: number): Promise<{ raw: NetSocket; ended: Promise<void> }> {
  const raw = netConnect(port, "127.0.0.1");
  raws.push(raw);
  raw.on("error", () => {});
  raw.resume();
  const ended = new Promise<void>((resolve) => raw.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    raw.once("connect", resolve);
    raw.once("error", reject);
  });
  return { raw, ended };
}

describe("maxConnections", () => {
  it("holds maxConnections connections and closes the next one at once, counted and reported", async () => {
    const drops: DropInfo[] = [];
    const server = await serve("127.0.0.1:0", { maxConnections: 2 }, () => {});
    server.on("drop", (info) => drops.push(info));
    const port = server.port ?? 0;
    const first = await rawClient(port);
    await rawClient(port);
    await waitFor(() => server.connections.length === 2);
    const third = await rawClient(port);
    await third.ended; // closed by the server without a byte
    expect(drops).toMatchObject([
      { reason: "maxConnections", id: undefined, remoteAddress: "127.0.0.1" },
    ]);
    expect(server.stats).toEqual({
      accepted: 2,
      open: 2,
      dropped: { maxConnections: 1, idleTimeout: 0, firstMessageTimeout: 0 },
      proxyErrors: 0,
    });
    first.raw.destroy();
    await waitFor(() => server.connections.length === 1);
    await rawClient(port); // room again
    await waitFor(() => server.stats.accepted === 3);
    expect(server.stats.dropped.maxConnections).toBe(1);
  });

  it("with maxConnections 1 refuses a second connection while the first is open", async () => {
    const server = await serve("127.0.0.1:0", { maxConnections: 1 }, () => {});
    await rawClient(server.port ?? 0);
    const { ended } = await rawClient(server.port ?? 0);
    await ended;
    expect(server.stats.dropped.maxConnections).toBe(1);
    expect(server.stats.accepted).toBe(1);
  });

  it("refuses maxConnections 0 with ERR_INVALID_ARGUMENT (0 would mean no limit to Node)", async () => {
    expect((await rejection(listen(0, { maxConnections: 0 }))).code).toBe("ERR_INVALID_ARGUMENT");
  });
});

describe("idleTimeout", () => {
  it("drops a connection that stays silent for idleTimeout with ERR_IDLE_TIMEOUT", async () => {
    let read: Promise<unknown> | undefined;
    const server = await serve("127.0.0.1:0", { idleTimeout: 150 }, (socket) => {
      read = socket.readLine();
      read.catch(() => {}); // examined below
    });
    const drop = new Promise<DropInfo>((resolve) => server.once("drop", resolve));
    const { ended } = await rawClient(server.port ?? 0);
    await ended;
    expect(await drop).toMatchObject({ reason: "idleTimeout", id: 1 });
    await waitFor(() => read !== undefined);
    expect((await rejection(read as Promise<unknown>)).code).toBe("ERR_IDLE_TIMEOUT");
    expect(server.stats.dropped.idleTimeout).toBe(1);
  });

  it("keeps a connection that sends a byte well within every idleTimeout", async () => {
    const server = await serve("127.0.0.1:0", { idleTimeout: 300 }, async (socket) => {
      for (;;) await socket.readBytes(1);
    });
    const { raw } = await rawClient(server.port ?? 0);
    for (let i = 0; i < 8; i++) {
      raw.write("x");
      await sleep(60);
    }
    expect(server.connections).toHaveLength(1);
    expect(server.stats.dropped.idleTimeout).toBe(0);
  });

  it("leaves the decision to a handler that listens for 'timeout'", async () => {
    let timeouts = 0;
    const server = await serve("127.0.0.1:0", { idleTimeout: 50 }, (socket) => {
      socket.on("timeout", () => timeouts++);
    });
    await rawClient(server.port ?? 0);
    await waitFor(() => timeouts >= 1);
    await sleep(100);
    expect(server.connections).toHaveLength(1);
    expect(server.stats.dropped.idleTimeout).toBe(0);
  });

  it("refuses idleTimeout with timeout, and a negative idleTimeout, with ERR_INVALID_ARGUMENT", async () => {
    expect((await rejection(listen(0, { idleTimeout: 10, timeout: 10 }))).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
    expect((await rejection(listen(0, { idleTimeout: -1 }))).code).toBe("ERR_INVALID_ARGUMENT");
    expect((await rejection(listen(0, { firstMessageTimeout: 0.5 }))).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
  });
});

describe("firstMessageTimeout", () => {
  it("drops a client that trickles a byte at a time and never completes its first line, though it is never idle", async () => {
    let read: Promise<unknown> | undefined;
    const server = await serve(
      "127.0.0.1:0",
      { firstMessageTimeout: 300, idleTimeout: 200 },
      (socket) => {
        read = socket.readLine();
        read.catch(() => {}); // examined below
      },
    );
    const drop = new Promise<DropInfo>((resolve) => server.once("drop", resolve));
    const { raw, ended } = await rawClient(server.port ?? 0);
    let closed = false;
    void ended.then(() => {
      closed = true;
    });
    for (let i = 0; i < 100 && !closed; i++) {
      raw.write("x"); // one byte each 50 ms keeps the idle timer from ever firing
      await sleep(50);
    }
    expect(closed).toBe(true);
    expect(await drop).toMatchObject({ reason: "firstMessageTimeout", id: 1 });
    expect((await rejection(read as Promise<unknown>)).code).toBe("ERR_FIRST_MESSAGE_TIMEOUT");
    expect(server.stats.dropped).toEqual({
      maxConnections: 0,
      idleTimeout: 0,
      firstMessageTimeout: 1,
    });
  });

  it("keeps a client whose first line is read in time, past the deadline", async () => {
    const lines: string[] = [];
    const server = await serve("127.0.0.1:0", { firstMessageTimeout: 150 }, async (socket) => {
      for (;;) lines.push(await socket.readLine({ encoding: "utf8" }));
    });
    const client: Socket = connect(`127.0.0.1:${server.port}`);
    client.write("hello\n");
    await waitFor(() => lines.length === 1);
    await sleep(300);
    client.write("again\n");
    await waitFor(() => lines.length === 2);
    expect(client.connected).toBe(true);
    expect(server.stats.dropped.firstMessageTimeout).toBe(0);
    await client.destroy();
  });
});
