/**
 * `sockit listen --proxy-protocol v1|v2|any`: with -v it prints the original client and the
 * proxy; a connection without a header is refused and said so; a bad version is bad usage.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connect, type Socket } from "../../src/index.js";
import { BOUND_MS, killAll, listeningPort, runCli, startCli } from "./run-cli.js";

const T = { timeout: BOUND_MS };
const sockets: Socket[] = [];

afterEach(async () => {
  killAll();
  await Promise.all(sockets.splice(0).map((s) => s.destroy()));
});

function client(target: string, options: Parameters<typeof connect>[1] = {}): Socket {
  const socket = connect(target, options);
  sockets.push(socket);
  return socket;
}

describe("sockit listen --proxy-protocol", () => {
  it("prints the original client and the proxy with -v, and echoes the bytes after the header", async () => {
    const child = startCli(["-v", "listen", "--echo", "--proxy-protocol", "v2", "127.0.0.1:0"]);
    const port = await listeningPort(child);
    const socket = client(`127.0.0.1:${port}`, {
      proxyHeader: {
        version: 2,
        source: { address: "203.0.113.7", port: 51000 },
        destination: { address: "192.0.2.10", port: 443 },
      },
    });
    socket.write("hello\n");
    expect((await socket.readLine(T)).toString()).toBe("hello");
    const { localPort } = socket.info();
    await child.waitForStderr(
      new RegExp(
        `^connection from 203\\.0\\.113\\.7:51000 via 127\\.0\\.0\\.1:${localPort} \\(PROXY v2 TCP4\\)$`,
        "m",
      ),
    );
  });

  it("refuses a connection without a header and says why with -v", async () => {
    const child = startCli(["-v", "listen", "--echo", "--proxy-protocol", "any", "127.0.0.1:0"]);
    const port = await listeningPort(child);
    const socket = client(`127.0.0.1:${port}`);
    socket.write("GET / HTTP/1.0\r\n\r\n");
    expect((await socket.readAvailable(T)).length).toBe(0); // closed, nothing echoed
    await child.waitForStderr(
      /^refused a client: ERR_PROXY_HEADER NO_HEADER from 127\.0\.0\.1:\d+$/m,
    );
  });

  it("exits 2 for a version other than v1, v2 or any", async () => {
    const result = await runCli(["listen", "--proxy-protocol", "v3", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/v1, v2, any/);
  });
});
