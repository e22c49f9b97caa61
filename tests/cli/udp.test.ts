import { afterEach, describe, expect, it } from "vitest";
import { type DatagramSocket, openDatagram } from "../../src/index.js";
import { BOUND_MS, killAll, listeningPort, runCli, startCli } from "./run-cli.js";

const T = { timeout: BOUND_MS };
const sockets: DatagramSocket[] = [];

afterEach(async () => {
  killAll();
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
});

async function udp(): Promise<DatagramSocket> {
  const socket = await openDatagram({ localAddress: "127.0.0.1" });
  sockets.push(socket);
  return socket;
}

describe("sockit udp listen", () => {
  it("prints `listening on udp` with the real port, writes each datagram to stdout, and exits 0 after --count", async () => {
    const child = startCli(["-v", "udp", "listen", "127.0.0.1:0", "--count", "2"]);
    const port = await listeningPort(child);
    expect(child.stderr).toMatch(new RegExp(`^listening on udp 127\\.0\\.0\\.1:${port}$`, "m"));
    const sender = await udp();
    await sender.send(Buffer.from([0x00, 0xff]), `127.0.0.1:${port}`);
    await sender.send("two\n", `127.0.0.1:${port}`);
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect([...result.stdout]).toEqual([0x00, 0xff, ...Buffer.from("two\n")]);
    expect(result.stderr).toContain(`datagram from 127.0.0.1:${sender.localPort} (2 bytes)`);
  });

  it("sends every datagram back to its sender with --echo", async () => {
    const child = startCli(["udp", "listen", "127.0.0.1:0", "--echo", "--count", "1"]);
    const port = await listeningPort(child);
    const sender = await udp();
    await sender.send("ping", `127.0.0.1:${port}`);
    const echoed = await sender.receive(T);
    expect(echoed.data.toString()).toBe("ping");
    expect(echoed.port).toBe(port);
    expect((await child.exited).code).toBe(0);
  });

  it("exits 2 for a unix path or a malformed port, and 1 with the code for a taken port", async () => {
    expect((await runCli(["udp", "listen", "unix:/tmp/x"])).code).toBe(2);
    expect((await runCli(["udp", "listen", "127.0.0.1:99999"])).code).toBe(2);
    const taken = await udp();
    const result = await runCli(["udp", "listen", `127.0.0.1:${taken.localPort}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sockit: EADDRINUSE 127.0.0.1:${taken.localPort}\n`);
  });

  it("refuses a group that is not multicast with exit 2", async () => {
    const result = await runCli(["udp", "listen", "127.0.0.1:0", "--join", "10.0.0.1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a multicast group address/);
  });
});

describe("sockit udp send", () => {
  it("sends its MESSAGE words as one datagram and prints the reply that comes within --wait", async () => {
    const peer = await udp();
    const replied = (async () => {
      const request = await peer.receive(T);
      await peer.send(`re: ${request.data.toString()}`, `${request.address}:${request.port}`);
      return request.data.toString();
    })();
    const result = await runCli([
      "udp",
      "send",
      `127.0.0.1:${peer.localPort}`,
      "hello",
      "there",
      "--wait",
      "1500",
    ]);
    expect(await replied).toBe("hello there");
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe("re: hello there");
  });

  it("sends each stdin line, its line ending included, as a datagram of its own", async () => {
    const peer = await udp();
    const result = await runCli(["udp", "send", `127.0.0.1:${peer.localPort}`], "one\ntwo\n");
    expect(result.code).toBe(0);
    expect((await peer.receive(T)).data.toString()).toBe("one\n");
    expect((await peer.receive(T)).data.toString()).toBe("two\n");
    expect(peer.info().received).toBe(2);
  });

  it("sends from the --bind port", async () => {
    const peer = await udp();
    const from = await udp();
    const port = from.localPort;
    await from.close(); // free it for the command
    const result = await runCli([
      "udp",
      "send",
      `127.0.0.1:${peer.localPort}`,
      "x",
      "--bind",
      `127.0.0.1:${port}`,
    ]);
    expect(result.code).toBe(0);
    expect((await peer.receive(T)).port).toBe(port);
  });

  it("exits 1 with EACCES for a broadcast address without --broadcast", async () => {
    const result = await runCli(["udp", "send", "127.255.255.255:9", "x"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("sockit: EACCES 127.255.255.255:9\n");
  });

  it("exits 1 with ERR_DATAGRAM_TOO_LARGE for a message over 65,507 bytes, sending nothing", async () => {
    const peer = await udp();
    const result = await runCli(["udp", "send", `127.0.0.1:${peer.localPort}`, "x".repeat(65_508)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sockit: ERR_DATAGRAM_TOO_LARGE /);
    expect(peer.info().received).toBe(0);
  });

  it("exits 2 for a target without a port", async () => {
    const result = await runCli(["udp", "send", "127.0.0.1", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/missing port/);
  });
});
