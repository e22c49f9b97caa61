import { spawnSync } from "node:child_process";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { CHANNELS } from "../src/diagnostics.js";
import { listen } from "../src/listen.js";
import { rawPeer } from "./helpers/raw-peer.js";
import { scriptCommand, skipOn } from "./helpers/runtime.js";

describe("diagnostics", () => {
  it("publishes connect, error and close on their channels, each with the socket", async () => {
    const seen: [string, unknown][] = [];
    const listeners = Object.entries(CHANNELS).map(([kind, name]) => {
      const listener = (message: unknown) => seen.push([kind, message]);
      subscribe(name, listener);
      return () => unsubscribe(name, listener);
    });
    try {
      const { target } = await rawPeer((peer) => peer.once("data", () => peer.resetAndDestroy()));
      const socket = connect(target);
      await socket.opened;
      socket.write("x");
      await socket.closed;
      const mine = seen.filter(([, message]) => (message as { socket: unknown }).socket === socket);
      expect(mine.map(([kind]) => kind)).toEqual(["connect", "error", "close"]);
      expect(mine[1]?.[1]).toMatchObject({ error: { code: "ECONNRESET" } });
      expect(mine[2]?.[1]).toMatchObject({ info: { hadError: true } });
    } finally {
      for (const off of listeners) off();
    }
  });

  it("publishes connect for a socket a server accepts, with its info, without breaking the accept", async () => {
    const seen: { socket: unknown; info: { remotePort: number } }[] = [];
    const listener = (message: unknown) => seen.push(message as (typeof seen)[number]);
    subscribe(CHANNELS.connect, listener);
    try {
      const accepted: unknown[] = [];
      const server = await listen("127.0.0.1:0", (socket) => {
        accepted.push(socket);
        socket.write("hi\n");
        void socket.end();
      });
      const client = connect(`127.0.0.1:${server.port}`);
      expect(String(await client.readLine())).toBe("hi");
      await client.close();
      await server.close();
      const forAccepted = seen.find((message) => message.socket === accepted[0]);
      expect(forAccepted?.info.remotePort).toBe((await client.opened).localPort);
    } finally {
      unsubscribe(CHANNELS.connect, listener);
    }
  });

  it("prints hs.socket's messages with NODE_DEBUG=sockit", async (context) => {
    skipOn("bun", "Bun's util.debuglog does not read NODE_DEBUG", context);
    const dist = pathToFileURL(join(process.cwd(), "dist/index.js")).href;
    const script = `
      import { createServer } from "node:net";
      import { connect } from "${dist}";
      const server = createServer((s) => s.end("hi\\n")).listen(0, "127.0.0.1", async () => {
        const socket = connect("127.0.0.1:" + server.address().port);
        socket.write("hello", "greeting");
        socket.read("\\n", 1);
        await socket.closed;
        server.close();
      });`;
    const [command = "", ...args] = scriptCommand(script);
    const run = spawnSync(command, args, {
      env: { ...process.env, NODE_DEBUG: "sockit" },
      encoding: "utf8",
      timeout: 10_000,
    });
    expect(run.stderr).toMatch(/SOCKIT \d+: socket connected to 127\.0\.0\.1:\d+/);
    expect(run.stderr).toMatch(/data written to 127\.0\.0\.1:\d+ \(tag greeting\)/);
    expect(run.stderr).toMatch(/data read from 127\.0\.0\.1:\d+: 3 bytes \(tag 1\)/);
    expect(run.stderr).toMatch(/disconnected: closed by the peer/);
  });
});
