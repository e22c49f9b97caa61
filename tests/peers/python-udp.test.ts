/**
 * UDP against a real peer written the way people write one: Python's `socket.SOCK_DGRAM`
 * with `recvfrom`/`sendto`, in both directions, on 127.0.0.1.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatagram } from "../../src/index.js";
import { findPeer, makeTempDir, runProcess, startProcess, type TempDir } from "../helpers/peers.js";

const python = findPeer("python3", "Python UDP");

// Replies to each datagram with its bytes reversed, until it gets "bye".
const ECHO = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(10)
print(s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(65535)
    if data == b"bye":
        break
    s.sendto(data[::-1], peer)
`;

// Sends three datagrams (the largest over IPv4 among them) and prints each reply's length and head.
const CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
s.settimeout(10)
target = ("127.0.0.1", int(sys.argv[1]))
for payload in [b"abc", b"", b"z" * 65507]:
    s.sendto(payload, target)
    data, _ = s.recvfrom(65535)
    print(len(data), data[:3].decode())
`;

describe.skipIf(python.path === undefined)("UDP with a Python socket peer", () => {
  let temp: TempDir | undefined;

  beforeAll(async () => {
    temp = await makeTempDir("sockit-python-udp-");
    await writeFile(join(temp.path, "echo.py"), ECHO);
    await writeFile(join(temp.path, "client.py"), CLIENT);
  });

  afterAll(async () => {
    await temp?.cleanup();
  });

  it("a connected sockit socket talks to a Python recvfrom/sendto peer", async () => {
    const peer = startProcess(python.path ?? "python3", [join(temp?.path ?? "", "echo.py")]);
    try {
      const [port] = await peer.waitForOutput(/^\d+$/m);
      const udp = await openDatagram({ remote: `127.0.0.1:${port}` });
      try {
        await udp.send("héllo");
        const reply = await udp.receive({ timeout: 10_000 });
        expect(reply.data).toEqual(Buffer.from("héllo").reverse());
        expect(reply.port).toBe(Number(port));
        await udp.send("bye");
      } finally {
        await udp.close();
      }
    } finally {
      await peer.stop();
    }
  });

  it("a Python client's datagrams reach sockit whole, the largest included, and its replies reach it", async () => {
    const udp = await openDatagram({ localAddress: "127.0.0.1", receiveBufferSize: 1 << 20 });
    const served = (async () => {
      for (let i = 0; i < 3; i++) {
        const datagram = await udp.receive({ timeout: 10_000 });
        await udp.send(datagram.data, `${datagram.address}:${datagram.port}`);
      }
    })();
    try {
      const result = await runProcess(python.path ?? "python3", [
        join(temp?.path ?? "", "client.py"),
        String(udp.localPort),
      ]);
      await served;
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toBe("3 abc\n0 \n65507 zzz\n");
    } finally {
      await udp.close();
    }
  });
});
