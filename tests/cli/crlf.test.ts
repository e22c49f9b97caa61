import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { connect, convertEol, listen, type Server, type Socket } from "../../src/index.js";
import { BOUND_MS, killAll, listeningPort, runCli, startCli } from "./run-cli.js";

const T = { timeout: BOUND_MS };
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  killAll();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** What a recording server has received so far, and a wait for a given amount of it. */
interface Recorder {
  server: Server;
  /** Resolves with everything received once the client half-closes. */
  all: Promise<Buffer>;
  /** Resolves once at least `n` bytes have arrived (bounded), with everything so far. */
  atLeast(n: number): Promise<Buffer>;
}

/**
 * A server that records what its one client sends until the client's FIN, then answers
 * `reply` and closes.
 */
async function recorder(reply: Buffer): Promise<Recorder> {
  const chunks: Buffer[] = [];
  const wakers = new Set<() => void>();
  let finish!: (data: Buffer) => void;
  const all = new Promise<Buffer>((resolve) => {
    finish = resolve;
  });
  const server = await listen("127.0.0.1:0", { allowHalfOpen: true }, async (socket) => {
    for (;;) {
      const chunk = await socket.readAvailable(T);
      if (chunk.length === 0) break;
      chunks.push(chunk);
      for (const wake of wakers) wake();
    }
    finish(Buffer.concat(chunks));
    await socket.send(reply);
    await socket.close();
  });
  cleanups.push(() => server.closeAll());
  const atLeast = (n: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const soFar = Buffer.concat(chunks);
        if (soFar.length < n) return;
        clearTimeout(timer);
        wakers.delete(check);
        resolve(soFar);
      };
      const timer = setTimeout(() => {
        wakers.delete(check);
        reject(new Error(`fewer than ${n} bytes within ${BOUND_MS} ms`));
      }, BOUND_MS);
      wakers.add(check);
      check();
    });
  return { server, all, atLeast };
}

describe("sockit connect --crlf", () => {
  it("sends LF, CR and CRLF from stdin as CRLF, and writes the reply to stdout unchanged", async () => {
    const reply = Buffer.from("x\ny\r\nz\r\xff\x00", "latin1");
    const peer = await recorder(reply);
    const result = await runCli(
      ["connect", "--crlf", `127.0.0.1:${peer.server.port}`],
      "a\nb\r\nc\rd\n",
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect((await peer.all).toString("latin1")).toBe("a\r\nb\r\nc\r\nd\r\n");
    expect(result.stdout.equals(reply)).toBe(true);
  });

  it("leaves every other byte alone: 300 kB of random bytes arrive as convertEol makes them", async () => {
    const input = Buffer.concat([
      Buffer.from([0x00, 0xff, 0x0d]),
      randomBytes(300_000),
      Buffer.from([0x0d]),
    ]);
    const peer = await recorder(Buffer.alloc(0));
    const result = await runCli(["connect", "--crlf", `127.0.0.1:${peer.server.port}`], input);
    expect(result.code).toBe(0);
    expect((await peer.all).equals(convertEol(input, "crlf"))).toBe(true);
  });

  it("keeps a CR at the end of one stdin write and an LF at the start of the next as one CRLF", async () => {
    const peer = await recorder(Buffer.alloc(0));
    const child = startCli(["connect", "--crlf", `127.0.0.1:${peer.server.port}`]);
    child.send("a\r");
    // The CR is held back until the next chunk shows what follows it: only "a" is sent.
    expect((await peer.atLeast(1)).toString("latin1")).toBe("a");
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.send("\nb\r");
    expect((await peer.atLeast(4)).toString("latin1")).toBe("a\r\nb");
    // A CR as the very last byte of input is a line ending too: sent at end of input.
    child.send("", true);
    expect((await peer.all).toString("latin1")).toBe("a\r\nb\r\n");
    expect((await child.exited).code).toBe(0);
  });

  it("without --crlf sends line endings as they are", async () => {
    const peer = await recorder(Buffer.alloc(0));
    const result = await runCli(["connect", `127.0.0.1:${peer.server.port}`], "a\nb\rc\r\n");
    expect(result.code).toBe(0);
    expect((await peer.all).toString("latin1")).toBe("a\nb\rc\r\n");
  });
});

describe("sockit listen --crlf", () => {
  it("sends stdin's line endings as CRLF to the bridged peer; the peer's bytes reach stdout unchanged", async () => {
    const child = startCli(["listen", "--crlf", "127.0.0.1:0"]);
    const port = await listeningPort(child);
    child.send("one\ntwo\r", true);
    const peer: Socket = connect(`127.0.0.1:${port}`);
    cleanups.push(() => peer.destroy());
    const raw = Buffer.from("raw\nbytes\r\xff\x00", "latin1");
    await peer.send(raw);
    const received: Buffer[] = [];
    for (;;) {
      const chunk = await peer.readAvailable(T);
      if (chunk.length === 0) break;
      received.push(chunk);
    }
    expect(Buffer.concat(received).toString("latin1")).toBe("one\r\ntwo\r\n");
    await peer.close();
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect(result.stdout.equals(raw)).toBe(true);
  });

  it("refuses --crlf with --echo (stdin is not used there): exit 2", async () => {
    const result = await runCli(["listen", "--echo", "--crlf", "127.0.0.1:0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--crlf' cannot be used with option '--echo'/);
  });
});
