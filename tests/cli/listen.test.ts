import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connect, listen, type Server, type Socket } from "../../src/index.js";
import { BOUND_MS, Child, CLI, killAll, listeningPort, startCli } from "./run-cli.js";

const T = { timeout: BOUND_MS };
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  killAll();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function client(target: string): Socket {
  const socket = connect(target);
  cleanups.push(() => socket.destroy());
  return socket;
}

async function readToEnd(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = await socket.readAvailable(T);
    if (chunk.length === 0) return Buffer.concat(chunks);
    chunks.push(chunk);
  }
}

describe("sockit listen", () => {
  it("prints `listening on` with the real port when given port 0", async () => {
    const child = startCli(["listen", "127.0.0.1:0"]);
    const port = await listeningPort(child);
    expect(port).toBeGreaterThan(0);
    expect(child.stderr).toBe(`listening on 127.0.0.1:${port}\n`);
  });

  it("prints an IPv6 host in brackets", async () => {
    const child = startCli(["listen", "[::1]:0"]);
    const port = await listeningPort(child);
    expect(child.stderr).toBe(`listening on [::1]:${port}\n`);
  });

  it("bridges its first connection with stdin/stdout, binary-safe, and exits 0 once the peer closes", async () => {
    const child = startCli(["-v", "listen", "0"]);
    const port = await listeningPort(child);
    child.send(Buffer.from([0x00, 0xff, 0x41]), true);
    const peer = client(`127.0.0.1:${port}`);
    await peer.send(Buffer.from([0xfe, 0x00, 0x0a]));
    // stdin ended at once: the CLI half-closes after sending it, so the peer reads to its end.
    expect([...(await readToEnd(peer))]).toEqual([0x00, 0xff, 0x41]);
    await peer.close();
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect([...result.stdout]).toEqual([0xfe, 0x00, 0x0a]);
    expect(result.stderr).toMatch(/^connection from 127\.0\.0\.1:\d+$/m);
    expect(result.stderr).toMatch(/^closed$/m);
  });

  it("refuses (drops) a second connection while bridging the first, and says so with -v", async () => {
    const child = startCli(["--verbose", "listen", "127.0.0.1:0"]);
    const port = await listeningPort(child);
    const first = client(`127.0.0.1:${port}`);
    await first.opened;
    await child.waitForStderr(/^connection from/m);
    const second = client(`127.0.0.1:${port}`);
    expect((await second.readAvailable(T)).length).toBe(0); // dropped: end of stream at once
    await child.waitForStderr(/^refused 127\.0\.0\.1:\d+: already bridging a connection$/m);
    await first.send("still here");
    await first.close();
    child.send("", true);
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe("still here");
  });

  it("--echo echoes to two concurrent clients and exits 0 on SIGTERM", async () => {
    const child = startCli(["-v", "listen", "--echo", "127.0.0.1:0"]);
    const port = await listeningPort(child);
    const a = client(`127.0.0.1:${port}`);
    const b = client(`127.0.0.1:${port}`);
    await Promise.all([a.opened, b.opened]);
    // Interleaved, both connections open at once: each gets its own bytes back, in order.
    a.write("a1;");
    b.write(Buffer.from([0x00, 0xff, 0x3b]));
    a.write("a2;");
    expect((await a.readUntil(";", T)).toString()).toBe("a1;");
    expect([...(await b.readUntil(";", T))]).toEqual([0x00, 0xff, 0x3b]);
    expect((await a.readUntil(";", T)).toString()).toBe("a2;");
    // Bytes sent right before a half-close still come back.
    await b.send("last");
    await b.end();
    expect((await readToEnd(b)).toString()).toBe("last");
    child.signal("SIGTERM");
    expect((await readToEnd(a)).length).toBe(0); // closed by the server
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect(result.stderr.match(/^connection from /gm)).toHaveLength(2);
  });

  it("listens on unix:PATH, echoes there, and removes the socket file on SIGINT", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sockit-cli-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "echo.sock");
    const child = startCli(["listen", "--echo", `unix:${path}`]);
    await child.waitForStderr(/^listening on unix:.*$/m);
    expect(child.stderr).toBe(`listening on unix:${path}\n`);
    const socket = client(`unix:${path}`);
    socket.write("over unix\n");
    expect((await socket.readLine(T)).toString()).toBe("over unix");
    await socket.close();
    child.signal("SIGINT");
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it("removes its unix socket file and exits 143 when SIGTERM interrupts a bridge", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sockit-cli-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "one.sock");
    const child = startCli(["listen", `unix:${path}`]);
    await child.waitForStderr(/^listening on unix:/m);
    const peer = client(`unix:${path}`);
    await peer.send("mid-session");
    await child.waitForStdout("mid-session");
    child.signal("SIGTERM");
    const result = await child.exited;
    expect(result.code).toBe(143);
    expect(existsSync(path)).toBe(false);
  });

  it("exits 1 naming EACCES for a port below 1024 without the right to bind it (Xojo error 107)", async (context) => {
    // Root may bind any port; without CAP_NET_BIND_SERVICE in its bounding set it may not.
    if (!existsSync("/usr/bin/setpriv")) {
      context.skip();
      return;
    }
    const child = new Child("/usr/bin/setpriv", [
      "--bounding-set=-net_bind_service",
      process.execPath,
      CLI,
      "listen",
      "127.0.0.1:80",
    ]);
    const result = await child.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("sockit: EACCES 127.0.0.1:80\n");
  });

  it("prints one line naming EADDRINUSE and the address, and exits 1, when the port is taken", async () => {
    const taken: Server = await listen("127.0.0.1:0");
    cleanups.push(() => taken.close());
    const result = await startCli(["listen", `127.0.0.1:${taken.port}`]).exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sockit: EADDRINUSE 127.0.0.1:${taken.port}\n`);
  });

  it.each(["nope", "127.0.0.1:99999", "[::1:0", "unix:"])(
    "exits 2 for the malformed local address %j",
    async (local) => {
      const result = await startCli(["listen", local]).exited;
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^sockit: invalid address .+\n$/);
    },
  );
});
