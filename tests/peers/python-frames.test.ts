/**
 * Length-prefixed frames against a real peer written the way people write it by hand:
 * Python's `struct.pack('>I', len(payload))` (big-endian, network byte order: the byte-order
 * warning of Xojo's seed in practice), in both directions.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, listen } from "../../src/index.js";
import { findPeer, makeTempDir, runProcess, startProcess, type TempDir } from "../helpers/peers.js";

const python = findPeer("python3", "Python frame");

// An echo server: reads frames, replies with each payload reversed, until EOF.
const SERVER = `
import socket, struct, sys
def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
srv.settimeout(10)
conn, _ = srv.accept()
conn.settimeout(10)
while True:
    header = read_exact(conn, 4)
    if header is None:
        break
    (length,) = struct.unpack(">I", header)
    payload = read_exact(conn, length)
    conn.sendall(struct.pack(">I", length) + payload[::-1])
conn.close()
`;

// A client: sends frames, then reads as many back and prints them as hex.
const CLIENT = `
import socket, struct, sys
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
payloads = [b"", b"x", bytes(range(256)) * 40, "héllo".encode()]
for p in payloads:
    conn.sendall(struct.pack(">I", len(p)) + p)
conn.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    data += chunk
i = 0
while i < len(data):
    (n,) = struct.unpack(">I", data[i:i + 4])
    print(data[i + 4:i + 4 + n].hex())
    i += 4 + n
`;

describe.skipIf(python.path === undefined)("frames with a Python struct.pack('>I') peer", () => {
  let temp: TempDir | undefined;

  beforeAll(async () => {
    temp = await makeTempDir("sockit-python-");
    await writeFile(join(temp.path, "server.py"), SERVER);
    await writeFile(join(temp.path, "client.py"), CLIENT);
  });

  afterAll(async () => {
    await temp?.cleanup();
  });

  it("sockit's frames reach a Python server and its replies come back as frames", async () => {
    const server = startProcess(python.path ?? "python3", [join(temp?.path ?? "", "server.py")]);
    try {
      const [port] = await server.waitForOutput(/^\d+$/m);
      const socket = connect(`127.0.0.1:${port}`);
      const payloads = [
        Buffer.from("abc"),
        Buffer.alloc(0),
        Buffer.alloc(100_000, 7),
        Buffer.from("ß∂"),
      ];
      for (const payload of payloads) socket.writeFrame(payload);
      await socket.end();
      const replies: Buffer[] = [];
      for await (const frame of socket.frames()) replies.push(frame);
      expect(replies.map((b) => b.toString("hex"))).toEqual(
        payloads.map((p) => Buffer.from(p).reverse().toString("hex")),
      );
    } finally {
      await server.stop();
    }
  });

  it("a Python client's frames reach sockit and sockit's replies reach it", async () => {
    const server = await listen("127.0.0.1:0", async (socket) => {
      for await (const frame of socket.frames()) socket.writeFrame(frame);
      await socket.close();
    });
    try {
      const result = await runProcess(python.path ?? "python3", [
        join(temp?.path ?? "", "client.py"),
        String(server.port),
      ]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const expected = [
        Buffer.alloc(0),
        Buffer.from("x"),
        Buffer.from(Array.from({ length: 256 * 40 }, (_, i) => i % 256)),
        Buffer.from("héllo"),
      ];
      expect(result.stdout.replace(/\n$/, "").split("\n")).toEqual(
        expected.map((b) => b.toString("hex")),
      );
    } finally {
      await server.closeAll();
    }
  });
});
