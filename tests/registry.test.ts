import { afterEach, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { listen } from "../src/listen.js";
import { findSocket, openSockets } from "../src/registry.js";
import type { Server } from "../src/server.js";
import type { Socket } from "../src/socket.js";
import { thrown } from "./helpers/errors.js";
import { waitFor } from "./helpers/raw-peer.js";

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

describe("LiveCode socket IDs", () => {
  it("lists every open socket by host:port|name, finds it by ID, and forgets it on close", async () => {
    const accepted: Socket[] = [];
    const server = await listen("127.0.0.1:0", (socket) => {
      accepted.push(socket);
    });
    servers.push(server);
    const named = connect(`127.0.0.1:${server.port}|control`);
    const plain = connect(`127.0.0.1:${server.port}`);
    sockets.push(named, plain);
    await Promise.all([named.opened, plain.opened]);
    await waitFor(() => accepted.length === 2);
    expect(named.socketId).toBe(`127.0.0.1:${server.port}|control`);
    expect(plain.socketId).toBe(`127.0.0.1:${server.port}`);
    const first = accepted[0] as Socket;
    const { remotePort } = first.info();
    expect(first.socketId).toBe(`127.0.0.1:${remotePort}|${first.id}`);
    expect(openSockets()).toEqual(
      expect.arrayContaining([named.socketId, plain.socketId, first.socketId]),
    );
    expect(findSocket(`127.0.0.1:${server.port}|control`)).toBe(named);
    await named.close();
    expect(findSocket(`127.0.0.1:${server.port}|control`)).toBeUndefined();
    expect(openSockets()).not.toContain(named.socketId);
  });

  it("refuses a numeric connection name, which could take an accepted socket's ID", () => {
    expect(thrown(() => connect("127.0.0.1:9|7")).code).toBe("ERR_INVALID_ADDRESS");
  });
});
