import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket as NetSocket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { SocketError } from "../src/errors.js";
import { collect, rawPeer, sleep, waitFor } from "./helpers/raw-peer.js";
import { scriptCommand } from "./helpers/runtime.js";

describe("closing a socket", () => {
  it("flushes queued writes before the FIN on a graceful close", async () => {
    const payload = randomBytes(4 * 1024 * 1024);
    let received: Promise<Buffer> | undefined;
    const { target } = await rawPeer((s) => {
      received = collect(s);
    });
    const socket = connect(target);
    socket.write(payload);
    const closing = socket.close();
    expect(socket.close()).toBe(closing); // idempotent
    expect(await closing).toEqual({ hadError: false });
    expect((await received)?.equals(payload)).toBe(true);
  });

  it("destroys the connection when the peer does not close within closeTimeout", async () => {
    const { target } = await rawPeer((s) => s.resume(), { allowHalfOpen: true }); // never ends
    const socket = connect(target, { closeTimeout: 100 });
    await socket.opened;
    const started = Date.now();
    expect(await socket.close()).toEqual({ hadError: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it("keeps its addresses and unread bytes after close (Xojo Close)", async () => {
    const { target, port } = await rawPeer((s) => s.end("left over\n"));
    const socket = connect(target);
    await socket.closed;
    expect(socket.info()).toMatchObject({
      connected: false,
      remotePort: port,
      remoteAddress: "127.0.0.1",
    });
    expect(socket.info().localPort).toBeGreaterThan(0);
    expect(socket.available).toBe(10);
    expect((await socket.readLine()).toString()).toBe("left over");
  });

  it("fails pending reads on destroy, keeps buffered bytes readable, and is idempotent", async () => {
    const { target } = await rawPeer((s) => s.write("abc"));
    const socket = connect(target);
    await new Promise<void>((r) => socket.once("dataAvailable", () => r()));
    const pending = socket.readBytes(10);
    const first = socket.destroy();
    expect(socket.destroy()).toBe(first);
    await expect(pending).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
    expect(await first).toEqual({ hadError: false });
    expect((await socket.readBytes(3)).toString()).toBe("abc");
    await expect(socket.readBytes(1)).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
  });

  it("resets with reset(): the peer sees ECONNRESET, not a FIN", async () => {
    let peerError: Promise<string> | undefined;
    let peerGot = "";
    const { target } = await rawPeer((s) => {
      s.on("data", (chunk: Buffer) => {
        peerGot += chunk.toString();
      });
      peerError = new Promise((resolve) => {
        s.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "?"));
        s.on("close", () => resolve("closed without error"));
      });
    });
    const socket = connect(target);
    socket.write("last words");
    // Linux reports a reset that finds unread bytes as a plain end of stream: let them be read.
    await waitFor(() => peerGot === "last words");
    const pending = expect(socket.readLine()).rejects.toMatchObject({ code: "ERR_SOCKET_CLOSED" });
    const resetting = socket.reset();
    expect(socket.reset()).toBe(resetting); // idempotent
    expect(await resetting).toEqual({ hadError: false });
    await pending;
    await waitFor(() => peerError !== undefined);
    expect(await peerError).toBe("ECONNRESET");
  });

  it.each(["end", "close"] as const)(
    "settles closed, %s(), reset() and a later read when reset() follows in the same tick",
    async (first) => {
      const { target } = await rawPeer((s) => s.resume());
      const socket = connect(target);
      await socket.opened;
      const ending = first === "end" ? socket.end() : socket.close();
      const resetting = socket.reset();
      const read = socket.readLine().then(
        () => "resolved",
        (error: SocketError) => error.code,
      );
      const all = Promise.all([ending, resetting, socket.closed, read]);
      const hung = sleep(3000).then(() => "hung");
      expect(await Promise.race([all.then(() => "settled"), hung])).toBe("settled");
      expect(await read).toBe("ERR_SOCKET_CLOSED");
      expect(await socket.closed).toEqual({ hadError: false });
    },
  );

  it("lets the process exit by itself after reset() right after close()", async () => {
    // The built package in a child process: a leaked handle would keep it alive.
    const script = `
      import { createServer } from "node:net";
      import { connect } from "${pathToFileURL(join(process.cwd(), "dist/index.js")).href}";
      const server = createServer((s) => s.resume()).listen(0, "127.0.0.1", async () => {
        const socket = connect("127.0.0.1:" + server.address().port);
        await socket.opened;
        void socket.close();
        await socket.reset();
        server.close();
        console.log("closed");
      });`;
    const [command = "", ...args] = scriptCommand(script);
    const child = spawn(command, args);
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const hung = sleep(5000).then(() => "hung");
    const outcome = await Promise.race([exited, hung]);
    if (outcome === "hung") child.kill();
    expect(outcome).toBe(0);
    expect(out.trim()).toBe("closed");
  });

  it("fails a write made from the 'error' listener of a reset connection with ERR_SOCKET_CLOSED", async () => {
    const { target } = await rawPeer((s) => {
      s.once("data", () => s.resetAndDestroy());
    });
    const socket = connect(target);
    const written = new Promise<string | undefined>((resolve) => {
      socket.once("error", () => {
        // The transport is already destroyed; Node would answer ERR_STREAM_DESTROYED.
        socket.write("too late", "late", (error) => resolve(error?.code));
      });
    });
    socket.write("hello");
    expect(await written).toBe("ERR_SOCKET_CLOSED");
    expect(await socket.closed).toMatchObject({ hadError: true, error: { code: "ECONNRESET" } });
  });

  it("falls back to destroy() on a Unix-domain socket, which Node cannot reset", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sockit-reset-"));
    const path = join(dir, "s.sock");
    const ended = new Promise<string>((resolve) => {
      const server = createServer((s) => {
        s.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "?"));
        s.on("end", () => resolve("end"));
        s.resume();
      });
      server.listen(path, () => {
        const socket = connect(`unix:${path}`);
        void socket.opened.then(() => socket.reset()).finally(() => server.close());
      });
    });
    expect(await ended).toBe("end");
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports destroy(error) through closed, and through 'error' only when listened to", async () => {
    const { target } = await rawPeer(() => {});
    const quiet = connect(target);
    await quiet.opened;
    const boom = new SocketError("ERR_INVALID_STATE", "protocol violation");
    expect(await quiet.destroy(boom)).toEqual({ hadError: true, error: boom });

    const loud = connect(target);
    await loud.opened;
    const seen: SocketError[] = [];
    loud.on("error", (e) => seen.push(e));
    await loud.destroy(boom);
    expect(seen).toEqual([boom]);
  });

  it("half-closes with end() and still reads the peer's reply", async () => {
    const { target } = await rawPeer(
      (s) => {
        void collect(s).then((request) => s.end(`got ${request.length} bytes`));
      },
      { allowHalfOpen: true },
    );
    const socket = connect(target);
    socket.write("hello");
    await socket.end();
    expect((await socket.readAvailable()).toString()).toBe("got 5 bytes");
    expect(await socket.closed).toEqual({ hadError: false });
  });

  it("ends once the peer's FIN arrives and queued writes are flushed", async () => {
    let peer: NetSocket | undefined;
    const { target } = await rawPeer((s) => {
      peer = s;
    });
    const socket = connect(target);
    await socket.opened;
    await sleep(20);
    peer?.end();
    await new Promise<void>((r) => socket.once("end", () => r()));
    expect(await socket.closed).toEqual({ hadError: false });
  });

  it("stays writable after the peer's FIN with allowHalfOpen", async () => {
    let received: Promise<Buffer> | undefined;
    const { target } = await rawPeer(
      (s) => {
        received = collect(s);
        s.end("bye");
      },
      { allowHalfOpen: true },
    );
    const socket = connect(target, { allowHalfOpen: true });
    await new Promise<void>((r) => socket.once("end", () => r()));
    expect(socket.connected).toBe(true);
    await socket.send("after your FIN");
    await socket.close();
    expect((await received)?.toString()).toBe("after your FIN");
  });

  it("emits 'timeout' after the idle time and stays open (LiveCode socketTimeout)", async () => {
    const { target } = await rawPeer(() => {});
    const socket = connect(target, { idleTimeout: 50 });
    await new Promise<void>((r) => socket.once("timeout", () => r()));
    expect(socket.connected).toBe(true);
    await socket.destroy();
  });

  it("changes a live socket's idle timeout with setIdleTimeout(), and stops it with 0 (hs.socket setTimeout)", async () => {
    const { target } = await rawPeer(() => {});
    const socket = connect(target);
    await socket.opened;
    expect(socket.idleTimeout).toBe(0);
    let timeouts = 0;
    socket.on("timeout", () => {
      timeouts++;
    });
    socket.setIdleTimeout(40);
    expect(socket.idleTimeout).toBe(40);
    await waitFor(() => timeouts === 1);
    socket.setIdleTimeout(0);
    await sleep(120);
    expect(timeouts).toBe(1);
    expect(socket.connected).toBe(true);
    expect(() => socket.setIdleTimeout(-1)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
    await socket.destroy();
  });

  it("sees the peer's FIN on close() even while reading is paused, and buffers no more", async () => {
    const payload = randomBytes(8 * 1024 * 1024);
    const { target } = await rawPeer((s) => s.end(payload));
    const socket = connect(target, { readHighWaterMark: 64 * 1024, closeTimeout: 30_000 });
    await socket.opened;
    await waitFor(() => socket.available >= 64 * 1024); // paused: nobody reads
    const buffered = socket.available;
    const outcome = await Promise.race([
      socket.close().then(() => "closed"),
      sleep(10_000).then(() => "stuck"),
    ]);
    expect(outcome).toBe("closed"); // not the 30 s closeTimeout
    expect(socket.available).toBeLessThan(buffered + 1024 * 1024);
    expect((await socket.readBytes(buffered)).equals(payload.subarray(0, buffered))).toBe(true);
  });
});
