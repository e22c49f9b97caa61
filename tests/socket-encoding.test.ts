/**
 * A socket's text encoding both ways (Tcl `chan configure -encoding iso8859-1`): the bytes
 * on the wire, checked by a raw `node:net` peer and by a Python peer.
 */
import { createConnection } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adopt } from "../src/adopt.js";
import { connect } from "../src/connect.js";
import { listen } from "../src/listen.js";
import type { Socket } from "../src/socket.js";
import { encodeText } from "../src/text.js";
import { findPeer, type RunningProcess, startProcess } from "./helpers/peers.js";
import { collect, rawPeer, waitFor } from "./helpers/raw-peer.js";

/** Connects with `options`, runs `send`, ends, and returns every byte the peer received. */
async function wire(
  options: Parameters<typeof connect>[1],
  send: (socket: Socket) => unknown,
): Promise<Buffer> {
  let received: Promise<Buffer> | undefined;
  const { target } = await rawPeer((peer) => {
    received = collect(peer);
  });
  const socket = connect(target, options);
  await send(socket);
  await socket.close();
  await waitFor(() => received !== undefined);
  return (await received) as Buffer;
}

describe("the encoding socket option, on writes", () => {
  it("writes text in latin1 as one byte per character (Tcl -encoding iso8859-1)", async () => {
    const bytes = await wire({ encoding: "latin1" }, (s) => s.write("café\r\n"));
    expect([...bytes]).toEqual([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a]);
  });

  it("writes UTF-8 by default", async () => {
    const bytes = await wire({}, (s) => s.write("é"));
    expect([...bytes]).toEqual([0xc3, 0xa9]);
  });

  it("writes a character latin1 or ascii cannot hold as one '?'", async () => {
    expect([...(await wire({ encoding: "latin1" }, (s) => s.write("€😀é")))]).toEqual([
      0x3f, 0x3f, 0xe9,
    ]);
    expect([...(await wire({ encoding: "ascii" }, (s) => s.write("aé")))]).toEqual([0x61, 0x3f]);
  });

  it("encodes send(), writeFrame() and sendFrom() text the same way", async () => {
    const bytes = await wire({ encoding: "latin1" }, async (s) => {
      await s.send("é");
      s.writeFrame("ü", { width: 1 });
      await s.sendFrom("ñ");
    });
    expect([...bytes]).toEqual([0xe9, 0x01, 0xfc, 0xf1]);
  });

  it("leaves bytes written as a Uint8Array untouched", async () => {
    const bytes = await wire({ encoding: "latin1" }, (s) => s.write(Buffer.from([0xc3, 0xa9])));
    expect([...bytes]).toEqual([0xc3, 0xa9]);
  });

  it("changes the encoding of later writes with setEncoding(), and reports it", async () => {
    const bytes = await wire({}, (s) => {
      expect(s.encoding).toBe("utf8");
      s.write("é");
      expect(s.setEncoding("utf16le")).toBe(s);
      expect(s.encoding).toBe("utf16le");
      s.write("é");
    });
    expect([...bytes]).toEqual([0xc3, 0xa9, 0xe9, 0x00]);
  });

  it("takes the encoding on an adopted net.Socket too", async () => {
    let received: Promise<Buffer> | undefined;
    const { port } = await rawPeer((peer) => {
      received = collect(peer);
    });
    const socket = adopt(createConnection(port, "127.0.0.1"), { encoding: "latin1" });
    socket.write("é");
    await socket.close();
    await waitFor(() => received !== undefined);
    expect([...((await received) as Buffer)]).toEqual([0xe9]);
  });

  it("refuses an encoding that is not a text encoding, before any I/O", () => {
    for (const encoding of ["hex", "base64", "klingon", 5]) {
      expect(() => connect("127.0.0.1:1", { encoding: encoding as never })).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
      );
    }
    expect(() => encodeText("x", "hex" as never)).toThrow(/encoding must be one of/);
  });
});

describe("the encoding socket option, on reads", () => {
  it("decodes lines(), onLine() and lineBatches() with it; readLine() stays bytes unless asked", async () => {
    const { target } = await rawPeer((peer) => {
      peer.end(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xfc, 0x0a, 0xf1, 0x0a, 0xe0, 0x0a]));
    });
    const socket = connect(target, { encoding: "latin1" });
    const raw = await socket.readLine();
    expect([...raw]).toEqual([0x63, 0x61, 0x66, 0xe9]); // binary by default
    expect(await socket.readLine({ encoding: socket.encoding })).toBe("ü");
    for await (const line of socket.lines()) {
      expect(line).toBe("ñ");
      break; // the rest stays buffered
    }
    const batches: string[][] = [];
    for await (const batch of socket.lineBatches()) batches.push(batch);
    expect(batches.flat()).toEqual(["à"]);
    await socket.close();
  });

  it("gives onLine() the socket's encoding unless the call names one", async () => {
    const { target } = await rawPeer((peer) => peer.end(Buffer.from([0xe9, 0x0a])));
    const socket = connect(target, { encoding: "latin1" });
    const lines: string[] = [];
    await new Promise<void>((resolve) => {
      socket.onLine((line) => lines.push(line), { onEnd: () => resolve() });
    });
    expect(lines).toEqual(["é"]);
    await socket.close();
  });
});

describe("the encoding of a server's connections", () => {
  it("writes server.write() and broadcastFrame() text in the server's encoding", async () => {
    const server = await listen("127.0.0.1:0", { encoding: "latin1" });
    try {
      const raw = createConnection(server.port ?? 0, "127.0.0.1");
      const received = collect(raw);
      await waitFor(() => server.connections.length === 1);
      await new Promise((resolve) => server.write("é", 1, resolve));
      server.broadcastFrame("ü", { width: 1 });
      await server.closeAll();
      expect([...(await received)]).toEqual([0xe9, 0x01, 0xfc]);
    } finally {
      await server.closeAll();
    }
  });
});

const python = findPeer("python3", "encoding against Python");

describe.skipIf(!python.path)("a Python peer (another process)", () => {
  let peer: RunningProcess;
  let port: number;
  beforeAll(async () => {
    // Echoes one line back after printing its bytes in hex; replies in latin1 as Tcl would.
    const script = [
      "import socket, sys",
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)",
      "print(s.getsockname()[1], flush=True)",
      "c, _ = s.accept(); data = b''",
      "while not data.endswith(b'\\n'): data += c.recv(100)",
      "print('got', data.hex(), flush=True)",
      "c.sendall('ça va\\n'.encode('iso8859-1')); c.close()",
    ].join("\n");
    peer = startProcess(python.path as string, ["-c", script]);
    port = Number((await peer.waitForOutput(/^(\d+)$/m))[1]);
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it("sends latin1 bytes Python decodes as iso8859-1, and decodes its reply", async () => {
    const socket = connect(`127.0.0.1:${port}`, { encoding: "latin1" });
    socket.write("héllo\n");
    expect((await peer.waitForOutput(/got ([0-9a-f]+)/))[1]).toBe("68e96c6c6f0a");
    const lines: string[] = [];
    for await (const line of socket.lines()) lines.push(line);
    expect(lines).toEqual(["ça va"]);
    await socket.close();
  });
});
