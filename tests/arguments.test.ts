import { afterEach, describe, expect, it } from "vitest";
import { checkInteger, checkMaxLength, checkReadOptions, checkTimeout } from "../src/arguments.js";
import { connect } from "../src/connect.js";
import { openDatagram } from "../src/datagram.js";
import { listen } from "../src/listen.js";
import { checkLocalBind } from "../src/local-address.js";
import { resolve } from "../src/resolve.js";
import type { Socket } from "../src/socket.js";
import { rejection, thrown } from "./helpers/errors.js";
import { rawPeer } from "./helpers/raw-peer.js";

// JavaScript callers (and data from outside) pass anything: every public entry point answers
// with a coded SocketError, never a plain TypeError from deeper down.
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.destroy()));
});

/** A socket to a peer that accepts and keeps quiet. */
async function quietSocket(): Promise<Socket> {
  const { target } = await rawPeer((s) => s.resume());
  const socket = connect(target);
  sockets.push(socket);
  await socket.opened;
  return socket;
}

const notTargets: [string, unknown][] = [
  ["null", null],
  ["a number", 42],
  ["undefined", undefined],
  ["a boolean", true],
  ["an array", ["127.0.0.1", 80]],
];

describe("arguments of the wrong type", () => {
  it.each(notTargets)("connect() refuses %s as a target with ERR_INVALID_ADDRESS", (_, target) => {
    expect(thrown(() => connect(target as string)).code).toBe("ERR_INVALID_ADDRESS");
  });

  it.each(notTargets)(
    "listen() refuses %s as an address with ERR_INVALID_ADDRESS",
    async (_, target) => {
      if (typeof target === "number") return; // a number is a port: listen(8080) is valid
      expect((await rejection(listen(target as string))).code).toBe("ERR_INVALID_ADDRESS");
    },
  );

  it.each([
    ["null", null],
    ["a number", 5],
    ["an array", []],
    ["a string", "tls"],
  ])(
    "connect(), listen() and openDatagram() refuse %s as options with ERR_INVALID_ARGUMENT",
    async (_, options) => {
      expect(thrown(() => connect("127.0.0.1:9", options as object)).code).toBe(
        "ERR_INVALID_ARGUMENT",
      );
      expect((await rejection(listen("127.0.0.1:0", options as object))).code).toBe(
        "ERR_INVALID_ARGUMENT",
      );
      expect((await rejection(openDatagram(options as object))).code).toBe("ERR_INVALID_ARGUMENT");
    },
  );

  it("listen() refuses a connection handler that is not a function", async () => {
    const error = await rejection(listen("127.0.0.1:0", {}, "handler" as never));
    expect(error.code).toBe("ERR_INVALID_ARGUMENT");
  });

  it("resolve() refuses a name that is not a string, before any lookup", async () => {
    expect((await rejection(resolve(5 as never))).code).toBe("ERR_INVALID_ARGUMENT");
    expect((await rejection(resolve(null as never))).code).toBe("ERR_INVALID_ARGUMENT");
  });

  it("write(), writeFrame() and send() refuse data that is neither text nor bytes, sending nothing", async () => {
    const socket = await quietSocket();
    for (const data of [null, undefined, 5, {}, [1, 2]]) {
      expect(thrown(() => socket.write(data as never)).code).toBe("ERR_INVALID_ARGUMENT");
      expect(thrown(() => socket.writeFrame(data as never)).code).toBe("ERR_INVALID_ARGUMENT");
      expect((await rejection(socket.send(data as never))).code).toBe("ERR_INVALID_ARGUMENT");
    }
    expect(socket.info().bytesWritten).toBe(0);
  });

  it("reads refuse a delimiter or options of the wrong type and leave the socket usable", async () => {
    const socket = await quietSocket();
    expect((await rejection(socket.readUntil(null as never))).code).toBe("ERR_INVALID_ARGUMENT");
    expect((await rejection(socket.readUntil([5] as never))).code).toBe("ERR_INVALID_ARGUMENT");
    expect((await rejection(socket.readLine(5 as never))).code).toBe("ERR_INVALID_ARGUMENT");
    expect(thrown(() => socket.read(null as never)).code).toBe("ERR_INVALID_ARGUMENT");
    expect(thrown(() => socket.lines(5 as never)).code).toBe("ERR_INVALID_ARGUMENT");
    expect(thrown(() => socket.frames(null as never)).code).toBe("ERR_INVALID_ARGUMENT");
    expect(socket.connected).toBe(true);
  });

  it("startTLS() and sendFile() refuse arguments of the wrong type", async () => {
    const socket = await quietSocket();
    expect((await rejection(socket.startTLS(5 as never))).code).toBe("ERR_INVALID_ARGUMENT");
    expect((await rejection(socket.sendFile(null as never))).code).toBe("ERR_INVALID_ARGUMENT");
    expect(socket.info().secure).toBe(false);
  });
});

const invalidWith = (code: string) => expect.objectContaining({ code });

describe("argument checks", () => {
  it("accepts an integer in range and refuses anything else with ERR_INVALID_ARGUMENT", () => {
    expect(checkInteger("n", 5, 0, 10)).toBe(5);
    for (const bad of [-1, 11, 1.5, Number.NaN, "5", undefined]) {
      expect(() => checkInteger("n", bad, 0, 10)).toThrow(invalidWith("ERR_INVALID_ARGUMENT"));
    }
    expect(() => checkInteger("n", 11, 0, 10)).toThrow("n must be an integer from 0 to 10, got 11");
  });

  it("returns, not throws, the error of a negative or non-finite timeout", () => {
    expect(checkTimeout(undefined)).toBeUndefined();
    expect(checkTimeout(0)).toBeUndefined();
    expect(checkReadOptions({ timeout: 10 })).toBeUndefined();
    expect(checkReadOptions(undefined)).toBeUndefined();
    expect(checkTimeout(-1)?.code).toBe("ERR_INVALID_ARGUMENT");
    expect(checkReadOptions({ timeout: Number.POSITIVE_INFINITY })?.code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
  });

  it("gives maxLength its default and refuses a negative or fractional one", () => {
    expect(checkMaxLength(undefined, 1024)).toBe(1024);
    expect(checkMaxLength(0, 1024)).toBe(0);
    expect(() => checkMaxLength(-1, 1024)).toThrow(invalidWith("ERR_INVALID_ARGUMENT"));
    expect(() => checkMaxLength(2.5, 1024)).toThrow(invalidWith("ERR_INVALID_ARGUMENT"));
  });

  it("checks a local bind's address, port and family", () => {
    expect(checkLocalBind({})).toEqual({});
    expect(checkLocalBind({ localAddress: "127.0.0.1", localPort: 0, family: 4 })).toEqual({
      localAddress: "127.0.0.1",
      localPort: 0,
      family: 4,
    });
    expect(() => checkLocalBind({ localPort: 65536 })).toThrow(invalidWith("ERR_INVALID_ARGUMENT"));
    expect(() => checkLocalBind({ family: 5 as 4 })).toThrow(invalidWith("ERR_INVALID_ARGUMENT"));
    expect(() => checkLocalBind({ localAddress: "bad host!" })).toThrow(
      invalidWith("ERR_INVALID_ADDRESS"),
    );
    // A name is kept for the lookup before the bind; a port after it is the local port.
    expect(checkLocalBind({ localAddress: "lo:8082" })).toEqual({
      localAddress: "lo",
      localPort: 8082,
    });
    expect(() => checkLocalBind({ localAddress: "lo:8082", localPort: 1 })).toThrow(
      invalidWith("ERR_INVALID_ARGUMENT"),
    );
  });
});
