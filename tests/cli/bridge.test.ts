import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server as NetServer, type Socket as NetSocket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type Socket } from "../../src/index.js";
import { BOUND_MS, killAll, listeningPort, startCli } from "./run-cli.js";

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  killAll();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** Several MiB: far more than one read of stdin (64 KiB) and the kernel's socket buffers. */
const SIZE = 6 * 1024 * 1024 + 123;

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** A file of random bytes in a fresh temporary folder. */
async function bigFile(): Promise<{ path: string; data: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), "sockit-cli-bridge-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "input.bin");
  const data = randomBytes(SIZE);
  await writeFile(path, data);
  return { path, data };
}

/**
 * A plain Node server that half-closes every connection at once (`end()` with `allowHalfOpen`,
 * like `ncat -l < /dev/null`) and then counts and hashes every byte until the client's FIN.
 */
async function halfClosingServer(): Promise<{ port: number; received: Promise<Buffer> }> {
  let deliver!: (data: Buffer) => void;
  const received = new Promise<Buffer>((resolve) => {
    deliver = resolve;
  });
  const server: NetServer = createServer({ allowHalfOpen: true }, (socket: NetSocket) => {
    const chunks: Buffer[] = [];
    socket.end("bye\n");
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => deliver(Buffer.concat(chunks)));
    socket.on("error", () => deliver(Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  return { port: typeof address === "object" && address !== null ? address.port : 0, received };
}

describe("the connect/listen bridge", () => {
  it("connect < file sends every byte of a large file to a peer that half-closes at once, then exits 0", async () => {
    const { path, data } = await bigFile();
    const { port, received } = await halfClosingServer();
    const child = startCli(["connect", `127.0.0.1:${port}`], { stdinFile: path });
    const result = await child.exited;
    const got = await received;
    expect(got.length).toBe(SIZE);
    expect(sha256(got)).toBe(sha256(data));
    expect(result.stdout.toString()).toBe("bye\n");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("connect with piped stdin keeps sending after the peer's FIN until its end of input", async () => {
    const { data } = await bigFile();
    const { port, received } = await halfClosingServer();
    const child = startCli(["connect", `127.0.0.1:${port}`]);
    child.send(data, true);
    const got = await received;
    expect(sha256(got)).toBe(sha256(data));
    expect((await child.exited).code).toBe(0);
  });

  it("listen < file sends every byte to a client that half-closes at once", async () => {
    const { path, data } = await bigFile();
    const child = startCli(["listen", "127.0.0.1:0"], { stdinFile: path });
    const port = await listeningPort(child);
    const peer: Socket = connect(`127.0.0.1:${port}`);
    cleanups.push(() => peer.destroy());
    await peer.send("hello\n");
    await peer.end();
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = await peer.readAvailable({ timeout: BOUND_MS });
      if (chunk.length === 0) break;
      chunks.push(chunk);
    }
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(SIZE);
    expect(sha256(got)).toBe(sha256(data));
    const result = await child.exited;
    expect(result.stdout.toString()).toBe("hello\n");
    expect(result.code).toBe(0);
  });
});
