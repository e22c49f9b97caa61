import { randomBytes } from "node:crypto";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listen, type Server } from "../../src/index.js";
import { killAll, runCli, startCli } from "./run-cli.js";

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  killAll();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function tempFile(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sockit-cli-send-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return join(dir, name);
}

async function serve(handler: Parameters<typeof listen>[2]): Promise<Server> {
  const server = await listen("127.0.0.1:0", { allowHalfOpen: true }, handler);
  cleanups.push(() => server.closeAll());
  return server;
}

describe("sockit send", () => {
  it("sends FILE whole, prints the peer's reply to stdout, and exits 0", async () => {
    const path = await tempFile("payload.bin");
    const data = randomBytes(200_000);
    await writeFile(path, data);
    let got = Buffer.alloc(0);
    const server = await serve(async (socket) => {
      const chunks: Buffer[] = [];
      for await (const chunk of socket) chunks.push(chunk);
      got = Buffer.concat(chunks);
      await socket.send(`got ${got.length}\n`);
      await socket.close();
    });
    const result = await runCli(["-v", "send", path, `127.0.0.1:${server.port}`]);
    expect(result.code).toBe(0);
    expect(got.equals(data)).toBe(true);
    expect(result.stdout.toString()).toBe("got 200000\n");
    expect(result.stderr).toContain("sent 200000 bytes");
  });

  it("exits 1 naming ENOENT and the path for a missing file, sending nothing", async () => {
    let received = -1;
    const server = await serve(async (socket) => {
      received = (await socket.readAvailable()).length;
    });
    const result = await runCli(["send", "/nonexistent/sockit-file", `127.0.0.1:${server.port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("sockit: ENOENT /nonexistent/sockit-file\n");
    expect(received).toBeLessThanOrEqual(0);
  });

  it("aborts on SIGINT while the peer does not read: says how far it got, resets, exits 130", async () => {
    const path = await tempFile("big.bin");
    await writeFile(path, "");
    await truncate(path, 64 * 1024 * 1024); // sparse: far more than the kernel buffers hold
    let closedWith = "";
    const server = await serve((socket) => {
      void socket.closed.then((info) => {
        closedWith = info.error?.code ?? "clean";
      });
    });
    const child = startCli(["-v", "send", path, `127.0.0.1:${server.port}`]);
    await child.waitForStderr(/^connected to /m);
    child.signal("SIGINT");
    const result = await child.exited;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/^aborted after \d+( of 67108864)? bytes$/m);
    for (let i = 0; i < 200 && closedWith === ""; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closedWith).toBe("ECONNRESET");
  });

  it("exits 2 for a target without a port", async () => {
    const result = await runCli(["send", "/etc/hostname", "127.0.0.1"]);
    expect(result.code).toBe(2);
  });
});
