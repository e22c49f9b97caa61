import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { listen } from "../src/listen.js";
import { hostOf } from "../src/lookup-names.js";
import type { Server } from "../src/server.js";
import type { Socket } from "../src/socket.js";
import { canUnshare, DIST_ENTRY, inNetworkNamespace } from "./helpers/namespaces.js";

const servers: Server[] = [];
const sockets: Socket[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
  await Promise.all(servers.splice(0).map((server) => server.closeAll()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("socket.lookupNames() (Tcl -sockname / -peername)", () => {
  it("gives both ends' address, host name and port on loopback, on both sides", async () => {
    let accepted: Socket | undefined;
    const server = await listen("127.0.0.1:0", (socket) => {
      accepted = socket;
    });
    servers.push(server);
    const socket = connect(`127.0.0.1:${server.port}`);
    sockets.push(socket);
    const { localPort } = await socket.opened;
    const names = await socket.lookupNames();
    expect(names).toEqual({
      local: { address: "127.0.0.1", host: "localhost", port: localPort },
      remote: { address: "127.0.0.1", host: "localhost", port: server.port },
    });
    await socket.close();
    // The addresses outlive the connection, and so does the lookup.
    expect((await socket.lookupNames({ timeout: 2000 })).remote.host).toBe("localhost");
    expect((await accepted?.lookupNames())?.remote).toEqual({
      address: "127.0.0.1",
      host: "localhost",
      port: localPort,
    });
  });

  it("falls back to the address when a lookup fails or outlasts its timeout", async () => {
    const never = (): Promise<{ hostname: string }> => new Promise(() => {});
    const failing = (): Promise<{ hostname: string }> => Promise.reject(new Error("ENOTFOUND"));
    const empty = async (): Promise<{ hostname: string }> => ({ hostname: "" });
    const started = Date.now();
    expect(await hostOf("192.0.2.7", 80, 50, never)).toBe("192.0.2.7");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await hostOf("192.0.2.7", 80, 50, failing)).toBe("192.0.2.7");
    expect(await hostOf("192.0.2.7", 80, 0, failing)).toBe("192.0.2.7");
    expect(await hostOf("192.0.2.7", 80, 50, empty)).toBe("192.0.2.7");
    expect(await hostOf("192.0.2.7", 80, 50, async () => ({ hostname: "named" }))).toBe("named");
  });

  it("falls back to the address for an address with no name (in a network namespace)", (context) => {
    // 127.0.0.2 is in no hosts file: its lookup would ask the resolver, which a network
    // namespace of the test's own cannot reach.
    if (!canUnshare("-rn")) return context.skip();
    const outcome = inNetworkNamespace(
      `
      import { connect, listen } from ${JSON.stringify(DIST_ENTRY)};
      const server = await listen("127.0.0.1:0");
      const socket = connect("127.0.0.1:" + server.port, { localAddress: "127.0.0.2" });
      await socket.opened;
      const names = await socket.lookupNames({ timeout: 3000 });
      await socket.destroy();
      await server.closeAll();
      console.log(JSON.stringify(names));
      `,
      true,
    ) as { local: unknown; remote: { host: string } };
    expect(outcome.local).toMatchObject({ address: "127.0.0.2", host: "127.0.0.2" });
    expect(outcome.remote.host).toBe("localhost");
  });

  it("rejects for a Unix-domain socket, one not connected yet, and bad options", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sockit-names-"));
    dirs.push(dir);
    const server = await listen(`unix:${join(dir, "s")}`);
    servers.push(server);
    const unix = connect(`unix:${join(dir, "s")}`);
    sockets.push(unix);
    await unix.opened;
    await expect(unix.lookupNames()).rejects.toMatchObject({ code: "ERR_INVALID_STATE" });
    const pending = connect("127.0.0.1:9", { localAddress: "localhost" });
    sockets.push(pending);
    pending.opened.catch(() => {});
    await expect(pending.lookupNames()).rejects.toMatchObject({ code: "ERR_INVALID_STATE" });
    const tcp = await listen("127.0.0.1:0");
    servers.push(tcp);
    const socket = connect(`127.0.0.1:${tcp.port}`);
    sockets.push(socket);
    await socket.opened;
    await expect(socket.lookupNames({ timeout: -1 })).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    });
    await expect(socket.lookupNames({ timout: 5 } as never)).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    });
  });
});
