/**
 * Unknown option names and arguments of the wrong shape are refused with
 * `ERR_INVALID_ARGUMENT` naming them, on every public entry point that takes options; nothing
 * is sent, bound or opened by a refused call.
 */
import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame, frameDecoder } from "../src/codec/frame.js";
import {
  type ConnectionHandler,
  type ConnectOptions,
  connect,
  type DatagramSocket,
  type ListenOptions,
  listen,
  openDatagram,
  resolve,
  type Socket,
} from "../src/index.js";
import { checkOptionNames } from "../src/options.js";
import { rejection, thrown } from "./helpers/errors.js";
import { rawPeer } from "./helpers/raw-peer.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A connected client whose peer records every byte it receives. */
async function pair(): Promise<{ socket: Socket; received: () => string }> {
  let bytes = "";
  const { target } = await rawPeer((s) => {
    s.on("data", (chunk: Buffer) => {
      bytes += chunk.toString("latin1");
    });
    s.write("line\n");
  });
  const socket = connect(target);
  cleanups.push(() => socket.destroy());
  await socket.opened;
  return { socket, received: () => bytes };
}

/** Bad options, as a caller might pass them through an untyped path. */
const bad = <T>(value: unknown): T => value as T;

describe("checkOptionNames", () => {
  it("names the unknown option and suggests a known name close to it", () => {
    const error = thrown(() => checkOptionNames("x()", { timout: 5 }, { timeout: true }));
    expect(error.code).toBe("ERR_INVALID_ARGUMENT");
    expect(error.message).toBe('x(): unknown option "timout" (did you mean "timeout"?)');
  });

  it("accepts undefined and an object of known names, and refuses a non-object", () => {
    expect(() => checkOptionNames("x()", undefined, { a: true })).not.toThrow();
    expect(() => checkOptionNames("x()", { a: 1 }, { b: true }, { a: true })).not.toThrow();
    for (const value of [7, "7", null, [1], () => 1]) {
      expect(thrown(() => checkOptionNames("x()", value, { a: true })).message).toMatch(
        /^x\(\) takes an options object, got /,
      );
    }
  });
});

describe("a socket's calls", () => {
  it("refuses send(data, 7) (hs.socket's send(message, tag)) and sends nothing", async () => {
    const { socket, received } = await pair();
    const error = await rejection(socket.send("data", bad(7)));
    expect(error.code).toBe("ERR_INVALID_ARGUMENT");
    expect(error.message).toMatch(/must be an object, got a number/);
    await socket.send("after");
    await expect.poll(received).toBe("after");
  });

  it("refuses a write whose onWritten is not a function, writing nothing", async () => {
    const { socket, received } = await pair();
    expect(thrown(() => socket.write("x", 1, bad(7))).code).toBe("ERR_INVALID_ARGUMENT");
    await socket.send("after");
    await expect.poll(received).toBe("after");
  });

  it.each([
    ["readBytes()", (s: Socket) => s.readBytes(1, bad({ timout: 1 })), "timout"],
    ["readUntil()", (s: Socket) => s.readUntil("\n", bad({ maxLen: 1 })), "maxLen"],
    ["readLine()", (s: Socket) => s.readLine(bad({ eol: "lf", delimiter: "\n" })), "delimiter"],
    ["readAvailable()", (s: Socket) => s.readAvailable(bad({ wait: 1 })), "wait"],
    ["readFrame()", (s: Socket) => s.readFrame(bad({ widht: 2 })), "widht"],
    ["send()", (s: Socket) => s.send("x", bad({ tag: 7 })), "tag"],
    ["sendFrom()", (s: Socket) => s.sendFrom("x", bad({ totl: 1 })), "totl"],
    ["sendFile()", (s: Socket) => s.sendFile("/nonexistent", bad({ chunk: 1 })), "chunk"],
    ["startTLS()", (s: Socket) => s.startTLS(bad({ verfy: false })), "verfy"],
  ])("%s rejects an unknown option by name, and the socket reads on", async (where, call, name) => {
    const { socket } = await pair();
    const error = await rejection(call(socket));
    expect(error.code).toBe("ERR_INVALID_ARGUMENT");
    expect(error.message).toContain(`${where}: unknown option "${name}"`);
    expect((await socket.readLine({ timeout: 5000 })).toString()).toBe("line");
  });

  it.each([
    ["read()", (s: Socket) => s.read("\n", 1, bad({ timeuot: 5 })), "timeuot"],
    ["writeFrame()", (s: Socket) => s.writeFrame("x", bad({ endianness: "little" })), "endianness"],
    ["lines()", (s: Socket) => s.lines(bad({ encodng: "latin1" })), "encodng"],
    ["frames()", (s: Socket) => s.frames(bad({ skip: true })), "skip"],
  ])("%s throws for an unknown option by name", async (where, call, name) => {
    const { socket } = await pair();
    const error = thrown(() => call(socket));
    expect(error.message).toContain(`${where}: unknown option "${name}"`);
  });
});

describe("module entry points", () => {
  it("connect() throws for an unknown option and for one inside tls, opening nothing", () => {
    expect(
      thrown(() => connect("127.0.0.1:1", bad<ConnectOptions>({ connectTimout: 5 }))).message,
    ).toBe('connect(): unknown option "connectTimout" (did you mean "connectTimeout"?)');
    expect(
      thrown(() => connect("127.0.0.1:1", bad<ConnectOptions>({ tls: { verfy: false } }))).message,
    ).toContain('connect() tls: unknown option "verfy"');
    expect(thrown(() => connect("127.0.0.1:1", bad<ConnectOptions>(5000))).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
  });

  it("listen() rejects an unknown option, one inside tls, and a handler that is not a function", async () => {
    expect(
      (await rejection(listen("127.0.0.1:0", bad<ListenOptions>({ backLog: 5 })))).message,
    ).toContain('listen(): unknown option "backLog"');
    expect(
      (
        await rejection(
          listen("127.0.0.1:0", bad<ListenOptions>({ tls: { cert: "", key: "", sni2: {} } })),
        )
      ).message,
    ).toContain('listen() tls: unknown option "sni2"');
    expect((await rejection(listen("127.0.0.1:0", {}, bad<ConnectionHandler>(5)))).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
  });

  it("openDatagram({ tls: true }) is refused instead of quietly making plain UDP", async () => {
    const error = await rejection(openDatagram(bad({ localAddress: "127.0.0.1", tls: true })));
    expect(error.code).toBe("ERR_INVALID_ARGUMENT");
    expect(error.message).toMatch(/^openDatagram\(\): unknown option "tls"/);
  });

  it("a datagram socket's receive() and joinGroup() refuse unknown options", async () => {
    const udp: DatagramSocket = await openDatagram({ localAddress: "127.0.0.1" });
    cleanups.push(() => udp.close());
    expect((await rejection(udp.receive(bad({ timout: 5 })))).message).toContain(
      'receive(): unknown option "timout"',
    );
    expect(thrown(() => udp.joinGroup("239.1.2.3", bad({ interface: "lo" }))).message).toContain(
      'joinGroup(): unknown option "interface"',
    );
  });

  it("resolve() rejects an unknown option", async () => {
    expect((await rejection(resolve("localhost", bad({ famliy: 4 })))).message).toContain(
      'resolve(): unknown option "famliy"',
    );
  });

  it("frame codecs refuse an unknown option, also as a socket's frame option", async () => {
    expect(thrown(() => frameDecoder(bad({ widht: 2 }))).message).toContain('"widht"');
    expect(thrown(() => encodeFrame("x", bad({ bigEndian: true }))).message).toContain(
      '"bigEndian"',
    );
    expect(
      thrown(() => connect("127.0.0.1:1", bad<ConnectOptions>({ frame: { lenght: 2 } }))).message,
    ).toContain('"lenght"');
  });
});
