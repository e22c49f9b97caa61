import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { openDatagram } from "../src/datagram.js";
import { listen } from "../src/listen.js";
import type { Socket } from "../src/socket.js";
import { rejection } from "./helpers/errors.js";
import { scriptCommand } from "./helpers/runtime.js";

const dist = pathToFileURL(join(process.cwd(), "dist/index.js")).href;

/** Runs an ES module script with the built package; its exit code, or null if it hung. */
function runScript(script: string): number | null {
  const [command = "", ...args] = scriptCommand(script);
  const run = spawnSync(command, args, { timeout: 8000 });
  return run.status;
}

describe("Node conventions", () => {
  it("closes a socket, a server and a datagram socket through Symbol.asyncDispose", async () => {
    const server = await listen("127.0.0.1:0", () => {});
    const socket = connect(`127.0.0.1:${server.port}`);
    await socket.opened;
    await socket[Symbol.asyncDispose]();
    expect(socket.connected).toBe(false);
    await server[Symbol.asyncDispose]();
    expect(server.listening).toBe(false);
    const udp = await openDatagram({ localAddress: "127.0.0.1" });
    await udp[Symbol.asyncDispose]();
    expect(udp.info().open).toBe(false);
  });

  it("lets the process exit while an unref()'d server listens and an unref()'d socket is open", () => {
    const script = `
      import { connect, listen } from "${dist}";
      const server = await listen("127.0.0.1:0");
      const socket = connect("127.0.0.1:" + server.port);
      await socket.opened;
      server.unref();
      socket.unref();
      for (const s of server.connections) s.unref();`;
    expect(runScript(script)).toBe(0);
    const kept = `
      import { listen } from "${dist}";
      const server = await listen("127.0.0.1:0");
      server.unref();
      server.ref();
      setTimeout(() => process.exit(7), 300).unref();`;
    expect(runScript(kept)).toBe(7); // ref() kept it alive until the timer's exit
  });

  it("stops a server when its listen() signal aborts, and refuses an aborted one", async () => {
    const controller = new AbortController();
    const server = await listen("127.0.0.1:0", { signal: controller.signal });
    const socket = connect(`127.0.0.1:${server.port}`);
    await socket.opened;
    controller.abort();
    expect(await socket.closed).toEqual({ hadError: false });
    expect(server.listening).toBe(false);
    const error = await rejection(listen("127.0.0.1:0", { signal: AbortSignal.abort() }));
    expect(error.code).toBe("ERR_ABORTED");
  });

  it("accepts with for await over the server, in order, until the loop ends", async () => {
    const server = await listen("127.0.0.1:0");
    const clients = [1, 2, 3].map(() => connect(`127.0.0.1:${server.port}`));
    const accepted: Socket[] = [];
    for await (const socket of server) {
      accepted.push(socket);
      if (accepted.length === 2) break;
    }
    expect(accepted.map((s) => s.id)).toEqual([1, 2]);
    await Promise.all(clients.map((c) => c.destroy()));
    await server.closeAll();
    const after: Socket[] = [];
    for await (const socket of server) after.push(socket); // a closed server: no iteration
    expect(after).toEqual([]);
  });
});
