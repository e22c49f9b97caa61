import { mkdtempSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { listen } from "../src/listen.js";
import type { Server } from "../src/server.js";
import { canUnshare, DIST_ENTRY, withHostsFile } from "./helpers/namespaces.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.closeAll()));
});

/** A private /etc/hosts where multi.test has an IPv4 and an IPv6 loopback address. */
const HOSTS = "127.0.0.1 localhost\n127.0.0.1 multi.test\n::1 multi.test\n";

describe("a server on every address of a name (Tcl -myaddr)", () => {
  it("listens on 127.0.0.1 and ::1 on one port when the name has both, one handler for all", (context) => {
    if (!canUnshare("-rm")) return context.skip();
    const outcome = withHostsFile(
      HOSTS,
      `
      import { connect, listen } from ${JSON.stringify(DIST_ENTRY)};
      const seen = [];
      const server = await listen("multi.test:0", (socket) => {
        seen.push(socket.info().localAddress);
        socket.write("hello " + socket.id + "\\n");
      });
      const out = { addresses: server.addresses, port: server.port, host: server.host };
      const a = connect("127.0.0.1:" + server.port);
      const b = connect("[::1]:" + server.port);
      out.replies = [String(await a.readLine()), String(await b.readLine())];
      out.seen = [...seen].sort();
      out.accepted = server.stats.accepted;
      out.open = server.connections.length;
      await Promise.all([a.close(), b.close()]);
      const accepted = server[Symbol.asyncIterator]();
      const c = connect("[::1]:" + server.port);
      const first = await accepted.next();
      out.iterated = first.value.info().localAddress;
      await c.close();
      await accepted.return();
      await server.close();
      out.listening = server.listening;
      out.afterClose = await Promise.all(["127.0.0.1", "[::1]"].map((host) =>
        connect(host + ":" + server.port).opened.then(() => "connected", (e) => e.code)));
      out.addressesAfterClose = server.addresses.length;
      await server.closeAll();
      console.log(JSON.stringify(out));
      `,
    ) as Record<string, unknown>;
    const port = outcome.port as number;
    expect(port).toBeGreaterThan(0);
    expect(outcome.addresses).toEqual([
      { address: "::1", family: "IPv6", port },
      { address: "127.0.0.1", family: "IPv4", port },
    ]);
    expect(outcome.host).toBe("::1"); // the resolver's first address
    expect((outcome.replies as string[]).sort()).toEqual(["hello 1", "hello 2"]); // ids 1, 2 in accept order
    expect(outcome.seen).toEqual(["127.0.0.1", "::1"]);
    expect(outcome).toMatchObject({ accepted: 2, open: 2, iterated: "::1", listening: false });
    expect(outcome.afterClose).toEqual(["ECONNREFUSED", "ECONNREFUSED"]);
    expect(outcome.addressesAfterClose).toBe(2);
  });

  it("counts maxConnections over all the addresses together, dropping the one over it", (context) => {
    if (!canUnshare("-rm")) return context.skip();
    const outcome = withHostsFile(
      HOSTS,
      `
      import { connect, listen } from ${JSON.stringify(DIST_ENTRY)};
      const drops = [];
      const server = await listen("multi.test:0", { maxConnections: 1 }, (socket) => socket.write("in\\n"));
      server.on("drop", (drop) => drops.push(drop));
      const a = connect("127.0.0.1:" + server.port);
      const first = String(await a.readLine());
      const b = connect("[::1]:" + server.port);
      const second = await b.readLine().then(String, (e) => e.code);
      console.log(JSON.stringify({ first, second, drops, stats: server.stats }));
      await b.destroy();
      await a.destroy();
      await server.closeAll();
      `,
    ) as { first: string; second: string; drops: { reason: string }[]; stats: unknown };
    expect(outcome.first).toBe("in");
    expect(["ERR_END_OF_STREAM", "ECONNRESET"]).toContain(outcome.second);
    expect(outcome.drops).toMatchObject([{ reason: "maxConnections", remoteAddress: "::1" }]);
    expect(outcome.stats).toMatchObject({ accepted: 1, dropped: { maxConnections: 1 } });
  });

  it("fails with EADDRINUSE, leaving nothing bound, when one address's port is taken", (context) => {
    if (!canUnshare("-rm")) return context.skip();
    const outcome = withHostsFile(
      HOSTS,
      `
      import { createServer } from "node:net";
      import { connect, listen } from ${JSON.stringify(DIST_ENTRY)};
      const squatter = createServer();
      await new Promise((resolve) => squatter.listen({ host: "127.0.0.1", port: 0 }, resolve));
      const port = squatter.address().port;
      const code = await listen("multi.test:" + port).then(() => "listening", (e) => e.code);
      squatter.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      // ::1 was bound first (the resolver's order), then closed when 127.0.0.1 failed.
      const v6 = await connect("[::1]:" + port).opened.then(() => "connected", (e) => e.code);
      console.log(JSON.stringify({ code, v6 }));
      `,
    ) as { code: string; v6: string };
    expect(outcome).toEqual({ code: "EADDRINUSE", v6: "ECONNREFUSED" });
  });

  it("listens on every address of an interface: listen('lo:0')", async (context) => {
    const lo = (networkInterfaces().lo ?? []).filter((entry) => !entry.address.startsWith("fe80"));
    if (lo.length < 2) {
      console.warn("skipping: lo has fewer than two addresses here");
      return context.skip();
    }
    const server = await listen(
      "lo:0",
      (socket) => void socket.write(`${socket.info().localAddress}\n`),
    );
    servers.push(server);
    expect(server.addresses.map((bound) => bound.address)).toEqual(lo.map((e) => e.address));
    expect(new Set(server.addresses.map((bound) => bound.port))).toEqual(new Set([server.port]));
    for (const { address } of server.addresses) {
      const socket = connect(
        address.includes(":") ? `[${address}]:${server.port}` : `${address}:${server.port}`,
      );
      expect(String(await socket.readLine())).toBe(address);
      await socket.close();
    }
  });

  it("lists one address for an IP or the wildcard, and none for a Unix path", async () => {
    const server = await listen("127.0.0.1:0");
    servers.push(server);
    expect(server.addresses).toEqual([{ address: "127.0.0.1", family: "IPv4", port: server.port }]);
    const dir = mkdtempSync(join(tmpdir(), "sockit-unix-"));
    const unix = await listen(`unix:${join(dir, "s")}`);
    servers.push(unix);
    expect(unix.addresses).toEqual([]);
  });
});
