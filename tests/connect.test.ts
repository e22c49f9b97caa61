import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { SocketError } from "../src/errors.js";
import { closedPort, collect, rawPeer, sleep } from "./helpers/raw-peer.js";
import { scriptCommand } from "./helpers/runtime.js";

describe("connect", () => {
  it("returns at once and sends writes queued while connecting", async () => {
    let received: Promise<Buffer> | undefined;
    const { target } = await rawPeer((s) => {
      received = collect(s);
    });
    const socket = connect(target);
    expect(socket.connecting).toBe(true);
    socket.write("queued ");
    socket.write(Buffer.from("before connect"));
    const info = await socket.opened;
    expect(info).toMatchObject({ connected: true, remoteAddress: "127.0.0.1", family: "IPv4" });
    await socket.close();
    expect((await received)?.toString()).toBe("queued before connect");
  });

  it("emits 'connect' with the socket's info (LiveCode's callback message)", async () => {
    const { target, port } = await rawPeer(() => {});
    const socket = connect(target);
    const [info] = await new Promise<Parameters<(i: unknown) => void>>((r) =>
      socket.once("connect", (i) => r([i])),
    );
    expect(info).toMatchObject({ remotePort: port });
    await socket.destroy();
  });

  it("rejects opened with ECONNREFUSED and resolves closed with the error", async () => {
    const port = await closedPort();
    const socket = connect(`127.0.0.1:${port}`);
    await expect(socket.opened).rejects.toMatchObject({
      code: "ECONNREFUSED",
      address: `127.0.0.1:${port}`,
    });
    const closed = await socket.closed;
    expect(closed.hadError).toBe(true);
    expect(closed.error).toBeInstanceOf(SocketError);
    expect(closed.error?.code).toBe("ECONNREFUSED");
  });

  it("fails queued reads and writes of a refused connection, each once", async () => {
    const port = await closedPort();
    const socket = connect(`127.0.0.1:${port}`);
    const calls: (string | undefined)[] = [];
    socket.write("x", "tag", (error) => calls.push(error?.code));
    const read = socket.readLine();
    await expect(read).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await socket.closed;
    expect(calls).toEqual(["ECONNREFUSED"]);
  });

  it("does not crash the process when a failed connect is never observed", () => {
    // Only promises and events the library makes on its own: opened, closed, a tagged read,
    // a write without a callback. Promises returned to the caller are the caller's to await.
    const entry = new URL("../dist/index.js", import.meta.url).pathname;
    const script = `
      import { connect } from ${JSON.stringify(entry)};
      connect("127.0.0.1:1");
      connect("127.0.0.1:1").write("x");
      connect("127.0.0.1:1").read(4, "tag");
      connect("127.0.0.1:1").read("\\n").close();
      connect("127.0.0.1:1").destroy();
      setTimeout(() => console.log("still alive"), 300);
    `;
    const [command = "", ...args] = scriptCommand(script);
    const result = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("still alive");
    expect(result.status).toBe(0);
  });

  it("rejects opened with a DNS error when the host does not resolve (LiveCode socketError)", (context) => {
    // The machine's resolver is another host: the lookup runs in a network namespace of its
    // own, with only a downed loopback, so it fails here and no query leaves the machine.
    if (spawnSync("unshare", ["-n", "true"], { timeout: 5000 }).status !== 0) {
      console.warn("skipping: cannot create a network namespace (unshare -n)");
      context.skip();
    }
    const entry = new URL("../dist/index.js", import.meta.url).pathname;
    const script = `
      import { connect } from ${JSON.stringify(entry)};
      const socket = connect("no-such-host.invalid:80");
      const opened = await socket.opened.then(() => "connected", (e) => e.code);
      const closed = await socket.closed;
      console.log(JSON.stringify({ opened, hadError: closed.hadError, code: closed.error?.code }));
    `;
    const result = spawnSync("unshare", ["-n", ...scriptCommand(script)], {
      encoding: "utf8",
      timeout: 10_000,
    });
    const outcome = JSON.parse(result.stdout) as {
      opened: string;
      hadError: boolean;
      code: string;
    };
    expect(["ENOTFOUND", "EAI_AGAIN"]).toContain(outcome.opened);
    expect(outcome).toMatchObject({ hadError: true, code: outcome.opened });
  });

  it("refuses malformed targets and bad options before any I/O", () => {
    expect(() => connect("localhost")).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ADDRESS" }),
    );
    expect(() => connect("127.0.0.1:80", { localAddress: "not an ip" })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ADDRESS" }),
    );
    expect(() => connect("127.0.0.1:80", { localPort: 70000 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
    expect(() => connect("127.0.0.1:80", { idleTimeout: -5 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
    expect(() => connect("127.0.0.1:80", { readHighWaterMark: 0 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });

  it("connects to localhost, the name resolved by the system (Tcl socket localhost)", async () => {
    const { port } = await rawPeer(() => {});
    const socket = connect(`localhost:${port}`);
    const info = await socket.opened;
    expect(["127.0.0.1", "::1"]).toContain(info.remoteAddress);
    expect(info.remotePort).toBe(port);
    await socket.destroy();
  });

  it("binds the local address and port it is given (Tcl -myaddr/-myport)", async () => {
    let peerPort: number | undefined;
    const { target } = await rawPeer((s) => {
      peerPort = s.remotePort;
    });
    const localPort = await closedPort();
    const socket = connect(target, { localAddress: "127.0.0.1", localPort });
    const info = await socket.opened;
    expect(info.localPort).toBe(localPort);
    expect(info.localAddress).toBe("127.0.0.1");
    await sleep(20);
    expect(peerPort).toBe(localPort);
    await socket.destroy();
  });

  it("connects to ::1 and names the IPv6 family", async (context) => {
    const { createServer } = await import("node:net");
    const server = createServer((s) => s.end("v6\n"));
    const listening = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(0, "::1", () => resolve(true));
    });
    if (!listening) {
      console.warn("skipping: ::1 is not available on this machine");
      context.skip();
    }
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const socket = connect(`[::1]:${address.port}`);
    expect((await socket.readLine()).toString()).toBe("v6");
    expect(socket.info()).toMatchObject({ family: "IPv6", remoteAddress: "::1" });
    await socket.close();
    await new Promise((r) => server.close(r));
  });

  it("destroys a connection that takes longer than connectTimeout with ERR_CONNECT_TIMEOUT", async () => {
    // A listener whose accept queue is full drops further SYNs, so a connect hangs.
    const python = spawnSync("python3", ["--version"]);
    if (python.status !== 0) return void console.warn("skipping: python3 absent");
    const { spawn } = await import("node:child_process");
    const child = spawn("python3", [
      "-c",
      "import socket,sys,time\ns=socket.socket();s.bind(('127.0.0.1',0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(20)",
    ]);
    try {
      const port = await new Promise<number>((resolve) =>
        child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString()))),
      );
      const fillers = [
        connect(`127.0.0.1:${port}`),
        connect(`127.0.0.1:${port}`),
        connect(`127.0.0.1:${port}`),
      ];
      await sleep(100);
      const socket = connect(`127.0.0.1:${port}`, { connectTimeout: 200 });
      const started = Date.now();
      const result = await socket.opened.then(
        () => "connected",
        (e: SocketError) => e.code,
      );
      if (result === "connected") {
        console.warn("skipping: this kernel completed the connect despite the full accept queue");
      } else {
        expect(result).toBe("ERR_CONNECT_TIMEOUT");
        expect(Date.now() - started).toBeLessThan(5000);
      }
      await Promise.all([socket, ...fillers].map((s) => s.destroy()));
    } finally {
      child.kill();
    }
  });

  it("aborts a pending connect through its signal", async () => {
    const { target } = await rawPeer(() => {});
    const controller = new AbortController();
    const socket = connect(target, { signal: controller.signal });
    controller.abort();
    await expect(socket.opened).rejects.toMatchObject({ code: "ERR_ABORTED" });
    expect((await socket.closed).error?.code).toBe("ERR_ABORTED");
  });
});

describe("opened and closed asked for late", () => {
  it("settle at once with the outcome when first asked for after it", async () => {
    const port = await closedPort();
    const failed = connect(`127.0.0.1:${port}`);
    await new Promise<void>((r) => failed.once("close", () => r()));
    await expect(failed.opened).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(await failed.closed).toMatchObject({ hadError: true, error: { code: "ECONNREFUSED" } });

    const { target } = await rawPeer((s) => s.end());
    const ok = connect(target);
    await new Promise<void>((r) => ok.once("close", () => r()));
    expect((await ok.opened).remotePort).toBe(Number(target.split(":")[1]));
    expect(await ok.closed).toEqual({ hadError: false });
    expect(ok.opened).toBe(ok.opened); // one promise, made once
  });
});
