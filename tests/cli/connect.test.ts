import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket as NetSocket, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listen, type Server, type Socket } from "../../src/index.js";
import { runtime } from "../helpers/runtime.js";
import { BOUND_MS, freePort, killAll, runCli, startCli } from "./run-cli.js";

const servers: Server[] = [];

afterEach(async () => {
  killAll();
  await Promise.all(servers.splice(0).map((server) => server.closeAll()));
});

/** Reads everything up to the peer's end of stream; bounded. */
async function readToEnd(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = await socket.readAvailable({ timeout: BOUND_MS });
    if (chunk.length === 0) return Buffer.concat(chunks);
    chunks.push(chunk);
  }
}

/**
 * A server that reads until the client's half-close, then answers `reply(received)` and
 * closes: it only works if the client keeps reading after its FIN.
 */
async function replyAfterEof(
  target: string,
  reply: (received: Buffer) => Buffer,
): Promise<{ server: Server; received: Promise<Buffer> }> {
  let deliver!: (data: Buffer) => void;
  const received = new Promise<Buffer>((resolve) => {
    deliver = resolve;
  });
  const server = await listen(target, { allowHalfOpen: true }, async (socket) => {
    const data = await readToEnd(socket);
    deliver(data);
    await socket.send(reply(data));
    await socket.close();
  });
  servers.push(server);
  return { server, received };
}

describe("sockit connect", () => {
  it("sends stdin bytes intact, NUL and 0xff included, and writes the server's reply to stdout", async () => {
    const input = Buffer.concat([
      Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]),
      randomBytes(300_000),
    ]);
    const { server, received } = await replyAfterEof("127.0.0.1:0", (data) =>
      Buffer.concat([Buffer.from([0xff, 0x00]), data.subarray(0, 100_000)]),
    );
    const result = await runCli(["connect", `127.0.0.1:${server.port}`], input);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect((await received).equals(input)).toBe(true);
    expect(
      result.stdout.equals(Buffer.concat([Buffer.from([0xff, 0x00]), input.subarray(0, 100_000)])),
    ).toBe(true);
  });

  it("half-closes on end of stdin: the server sees end of stream, answers, and the CLI exits 0 once it closes", async () => {
    const { server, received } = await replyAfterEof("127.0.0.1:0", (data) =>
      Buffer.from(`you sent ${data.length} bytes\n`),
    );
    const child = startCli(["connect", `127.0.0.1:${server.port}`]);
    child.send("hello");
    // Still connected while stdin is open: the server has not seen end of stream.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(child.running).toBe(true);
    child.send("", true);
    expect((await received).toString()).toBe("hello");
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe("you sent 5 bytes\n");
  });

  it("writes everything to stdout when the peer closes first, goes on while stdin is open, and exits 0 at its end", async () => {
    const server = await listen("127.0.0.1:0", async (socket) => {
      await socket.send(Buffer.from([1, 2, 3, 0xff]));
      await socket.close();
    });
    servers.push(server);
    const child = startCli(["connect", `127.0.0.1:${server.port}`]);
    await child.waitForStdout(Buffer.from([1, 2, 3, 0xff]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(child.running).toBe(true);
    child.send("", true);
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect([...result.stdout]).toEqual([1, 2, 3, 0xff]);
  });

  it("exits 1 naming EPIPE or ECONNRESET, not 0, when input is left over for a peer that is gone", async () => {
    const server = await listen("127.0.0.1:0", async (socket) => {
      await socket.send("gone\n");
      await socket.destroy();
    });
    servers.push(server);
    const child = startCli(["connect", `127.0.0.1:${server.port}`]);
    await child.waitForStdout("gone\n");
    // The first write after the peer's close draws its RST; the ones after it fail.
    for (let i = 0; i < 50 && child.running; i++) {
      child.send(Buffer.alloc(1024, 0x61));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const result = await child.exited;
    expect(result.code).toBe(1);
    // Bun closes the socket at the peer's reset before the next send: that send's code is
    // then ERR_SOCKET_CLOSED. Either way the input left over is reported, exit 1.
    const codes = runtime === "bun" ? "EPIPE|ECONNRESET|ERR_SOCKET_CLOSED" : "EPIPE|ECONNRESET";
    expect(result.stderr).toMatch(
      new RegExp(`^sockit: (${codes}) .*127\\.0\\.0\\.1:${server.port}`),
    );
  });

  it("prints `connected to H:P from H:P` and `closed` on stderr with -v", async () => {
    const { server } = await replyAfterEof("127.0.0.1:0", () => Buffer.from("ok"));
    const result = await runCli(["-v", "connect", `127.0.0.1:${server.port}`], "x");
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toMatch(
      new RegExp(`^connected to 127\\.0\\.0\\.1:${server.port} from 127\\.0\\.0\\.1:\\d+$`),
    );
    expect(lines.at(-1)).toBe("closed");
  });

  it("connects over IPv6 to [::1]:port", async () => {
    const { server } = await replyAfterEof("[::1]:0", (data) => data);
    const result = await runCli(["connect", "--verbose", `[::1]:${server.port}`], "six");
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe("six");
    expect(result.stderr).toMatch(
      new RegExp(`^connected to \\[::1\\]:${server.port} from \\[::1\\]:`),
    );
  });

  it("connects to a Unix-domain socket given as unix:/path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sockit-cli-"));
    try {
      const path = join(dir, "s.sock");
      await replyAfterEof(`unix:${path}`, (data) => Buffer.concat([data, data]));
      const result = await runCli(["-v", "connect", `unix:${path}`], "ab");
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).toBe("abab");
      expect(result.stderr).toContain(`connected to unix:${path}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("prints exactly one line `sockit: ECONNREFUSED 127.0.0.1:<port>` and exits 1 when nobody listens", async () => {
    const port = await freePort();
    const result = await runCli(["connect", `127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sockit: ECONNREFUSED 127.0.0.1:${port}\n`);
    expect(result.stdout.length).toBe(0);
  });

  it("prints one line naming ECONNRESET and exits 1 when the peer resets the connection", async () => {
    let peer: NetSocket | undefined;
    const raw = createServer((socket: NetSocket) => {
      peer = socket;
      socket.once("data", () => socket.write("partial"));
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    try {
      const address = raw.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const child = startCli(["connect", `127.0.0.1:${port}`]);
      child.send("x");
      // Reset only once the CLI has written what it received: an RST that overtakes unread
      // bytes is reported by some kernels as a plain end of stream.
      await child.waitForStdout("partial");
      peer?.resetAndDestroy();
      const result = await child.exited;
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`sockit: ECONNRESET 127.0.0.1:${port}\n`);
    } finally {
      raw.close();
    }
  });

  it("prints `sockit: EPIPE stdout` and exits 1 when the reader of its stdout goes away", async () => {
    const server = await listen("127.0.0.1:0", async (socket) => {
      await socket.send(Buffer.alloc(16 * 1024 * 1024)).catch(() => {});
    });
    servers.push(server);
    const child = startCli(["connect", `127.0.0.1:${server.port}`]);
    await child.waitForStdout(Buffer.alloc(1));
    child.process.stdout?.destroy();
    const result = await child.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("sockit: EPIPE stdout\n");
  });

  it.each(["localhost", "host:99999", "[::1:80", "unix:"])(
    "exits 2 with the problem on stderr for the malformed target %j",
    async (target) => {
      const result = await runCli(["connect", target]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^sockit: invalid address .+\n$/);
    },
  );

  it("exits 2 for a --timeout that is not a number of milliseconds", async () => {
    const result = await runCli(["connect", "--timeout", "soon", "127.0.0.1:1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--timeout");
  });

  describe("backpressure", () => {
    const SIZE = 48 * 1024 * 1024;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const until = async (check: () => boolean) => {
      for (const deadline = Date.now() + 8000; !check() && Date.now() < deadline; ) await sleep(10);
    };

    it("stops taking bytes from the peer while nobody reads its stdout, and loses none", async () => {
      let sent = false;
      let accepted!: () => void;
      const connected = new Promise<void>((resolve) => {
        accepted = resolve;
      });
      const server = await listen("127.0.0.1:0", async (socket) => {
        accepted();
        await socket.send(Buffer.alloc(SIZE, 0xab));
        sent = true;
        await socket.close();
      });
      servers.push(server);
      const child = startCli(["connect", `127.0.0.1:${server.port}`]);
      child.process.stdout?.pause();
      await connected;
      await sleep(500);
      // Kernel and stream buffers hold a few MiB at most: 48 MiB cannot all have left.
      expect(sent).toBe(false);
      child.process.stdout?.resume();
      // stdin ends once all is sent: on Deno, a FIN from the peer while data is still
      // queued fails the sender's write with EPIPE (README, "Runtimes").
      await until(() => sent);
      child.send("", true);
      const result = await child.exited;
      expect(result.code).toBe(0);
      expect(result.stdout.length).toBe(SIZE);
      expect(sent).toBe(true);
    });

    it("stops reading stdin while the peer does not read, and loses none", async () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let total = 0;
      const server = await listen("127.0.0.1:0", async (socket) => {
        await released;
        total = (await readToEnd(socket)).length;
        await socket.close();
      });
      servers.push(server);
      const child = startCli(["connect", `127.0.0.1:${server.port}`]);
      let finished = false;
      child.process.stdin?.end(Buffer.alloc(SIZE, 0xcd), () => {
        finished = true;
      });
      await sleep(500);
      expect(finished).toBe(false);
      release();
      const result = await child.exited;
      expect(result.code).toBe(0);
      expect(finished).toBe(true);
      expect(total).toBe(SIZE);
    });
  });
});

describe("sockit connect --proxy", () => {
  /** An HTTP CONNECT proxy in this process: answers `status`, then relays to the target. */
  async function connectProxy(status: string): Promise<{ url: string; close: () => void }> {
    // Half-open both ways, so the client's FIN travels on while the reply comes back.
    const proxy = createServer({ allowHalfOpen: true }, (client: NetSocket) => {
      client.on("error", () => {});
      let head = "";
      const onData = (chunk: Buffer): void => {
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        client.off("data", onData);
        const match = /^CONNECT 127\.0\.0\.1:(\d+) /.exec(head);
        if (!status.startsWith("200") || match === null) {
          client.end(`HTTP/1.1 ${status}\r\n\r\n`);
          return;
        }
        const port = Number(match[1]);
        const upstream = netConnect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => {
          client.write(`HTTP/1.1 ${status}\r\n\r\n`);
          client.pipe(upstream).pipe(client);
        });
        upstream.on("error", () => client.destroy());
      };
      client.on("data", onData);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const address = proxy.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return { url: `http://127.0.0.1:${address.port}`, close: () => proxy.close() };
  }

  it("bridges stdin and stdout through the tunnel and says so with -v", async () => {
    const proxy = await connectProxy("200 Connection established");
    try {
      const { server, received } = await replyAfterEof("127.0.0.1:0", (data) =>
        Buffer.concat([Buffer.from("got "), data]),
      );
      const target = `127.0.0.1:${server.port}`;
      const result = await runCli(
        ["-v", "connect", "--proxy", proxy.url, target],
        Buffer.from("hi"),
      );
      expect(result.code).toBe(0);
      expect((await received).toString()).toBe("hi");
      expect(result.stdout.toString()).toBe("got hi");
      expect(result.stderr).toContain(`connected to ${target} through 127.0.0.1:`);
    } finally {
      proxy.close();
    }
  });

  it("exits 1 naming the code, the proxy's status and the proxy when it refuses", async () => {
    const proxy = await connectProxy("403 Forbidden");
    try {
      const result = await runCli(
        ["connect", "--proxy", proxy.url, "127.0.0.1:9"],
        Buffer.alloc(0),
      );
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`sockit: ERR_PROXY_REFUSED 403 proxy ${proxy.url}`);
    } finally {
      proxy.close();
    }
  });

  it("exits 2 for a malformed proxy URL", async () => {
    const result = await runCli(
      ["connect", "--proxy", "socks5://host:99999", "127.0.0.1:9"],
      Buffer.alloc(0),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid proxy URL");
  });
});
