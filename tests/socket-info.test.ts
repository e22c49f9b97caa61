import { existsSync, readlinkSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { setDefaults } from "../src/defaults.js";
import { listen } from "../src/listen.js";
import type { Server } from "../src/server.js";
import type { Socket } from "../src/socket.js";
import { descriptorOf } from "../src/socket-info.js";
import { runtime } from "./helpers/runtime.js";

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  setDefaults(null);
  await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
  await Promise.all(servers.splice(0).map((server) => server.closeAll()));
});

async function pair(options: Parameters<typeof connect>[1] = {}): Promise<[Socket, Socket]> {
  let accepted: ((socket: Socket) => void) | undefined;
  const arrived = new Promise<Socket>((resolve) => {
    accepted = resolve;
  });
  const server = await listen("127.0.0.1:0", (socket) => accepted?.(socket));
  servers.push(server);
  const socket = connect(`127.0.0.1:${server.port}`, options);
  sockets.push(socket);
  await socket.opened;
  return [socket, await arrived];
}

describe("info().fd (Xojo Handle)", () => {
  it("is the descriptor of the socket, on both sides, and -1 once closed", async (context) => {
    if (!existsSync("/proc/self/fd")) {
      console.warn("skipping: no /proc/self/fd to check a descriptor against");
      return context.skip();
    }
    const [client, accepted] = await pair();
    const fds = [client.info().fd, accepted.info().fd];
    if (runtime === "deno") {
      // Deno's sockets have no handle with a descriptor: the documented fallback (README, Runtimes).
      expect(fds).toEqual([-1, -1]);
      return;
    }
    for (const fd of fds) expect(readlinkSync(`/proc/self/fd/${fd}`)).toMatch(/^socket:\[\d+\]$/);
    expect(fds[0]).not.toBe(fds[1]);
    await client.close();
    expect(client.info().fd).toBe(-1);
  });

  it("is -1 where Node's handle has no descriptor (the feature check's fallback)", () => {
    expect(descriptorOf({})).toBe(-1);
    expect(descriptorOf({ _handle: null })).toBe(-1);
    expect(descriptorOf({ _handle: { fd: -1 } })).toBe(-1); // Windows
    expect(descriptorOf({ _handle: { fd: "3" } })).toBe(-1);
    expect(descriptorOf({ _handle: { fd: 7 } })).toBe(7);
    expect(descriptorOf({ _handle: { _parent: { fd: 9 } } })).toBe(9); // a TLS wrap
  });

  it("is -1 while a connection waits for its local name's lookup", () => {
    const socket = connect("127.0.0.1:9", { localAddress: "localhost" });
    sockets.push(socket);
    socket.opened.catch(() => {});
    expect(socket.info().fd).toBe(-1);
  });
});

describe("info().idleTimeout (hs.socket timeout)", () => {
  it("reports the option, the module default, and setIdleTimeout's value", async () => {
    const [byOption] = await pair({ idleTimeout: 250 });
    expect(byOption.info().idleTimeout).toBe(250);
    byOption.setIdleTimeout(0);
    expect(byOption.info().idleTimeout).toBe(0);
    setDefaults({ idleTimeout: 1500 });
    const [byDefault, accepted] = await pair();
    expect(byDefault.info().idleTimeout).toBe(1500);
    expect(accepted.info().idleTimeout).toBe(1500);
    byDefault.setIdleTimeout(40);
    expect(byDefault.info().idleTimeout).toBe(40);
    setDefaults(null);
    const [none] = await pair();
    expect(none.info().idleTimeout).toBe(0);
  });
});
