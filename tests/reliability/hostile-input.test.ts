/**
 * Hostile input (issue 13): a bounded, seeded fast-check fuzz over every decoder in
 * src/codec, the target parsers of src/address.ts, and the public entry points given
 * wrong-typed arguments. Every failure must be a `SocketError` with a documented code;
 * every decoder must decode the same whatever the chunking.
 */
import fc from "fast-check";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseLocal, parseTarget } from "../../src/address.js";
import { bytesDecoder } from "../../src/codec/bytes.js";
import { type Decoder, DelimiterDecoder } from "../../src/codec/delimiter.js";
import { frameDecoder } from "../../src/codec/frame.js";
import { LineDecoder } from "../../src/codec/line.js";
import { connect } from "../../src/connect.js";
import { ERROR_CODES, SocketError } from "../../src/errors.js";
import { listen } from "../../src/listen.js";
import type { Server } from "../../src/server.js";
import type { Socket } from "../../src/socket.js";
import { cut, decodeAll } from "../helpers/chunking.js";
import { recordFigures } from "./figures.js";

const SEED = 1313;
const RUNS = 300;
const tried: Record<string, number> = {};
const uncoded: string[] = [];
beforeEach(() => {
  uncoded.length = 0;
});

afterAll(() =>
  recordFigures("hostile-input", {
    seed: SEED,
    runsPerProperty: RUNS,
    inputsTried: tried,
    total: Object.values(tried).reduce((a, b) => a + b, 0),
  }),
);

/** Runs `call` and returns how it failed: undefined (it did not), or the code; notes uncoded failures. */
async function outcome(what: string, call: () => unknown): Promise<string | undefined> {
  tried[what] = (tried[what] ?? 0) + 1;
  try {
    await call();
    return undefined;
  } catch (error) {
    if (error instanceof SocketError && error.code in ERROR_CODES) return error.code;
    const text = error instanceof SocketError ? `${error.code}: ${error.message}` : String(error);
    if (uncoded.length < 20) uncoded.push(`${what}: ${text}`);
    return "uncoded";
  }
}

const DECODERS: Record<string, () => Decoder> = {
  "line any": () => new LineDecoder({ maxLength: 64 }),
  "line crlf": () => new LineDecoder({ eol: "crlf", maxLength: 64 }),
  "delimiter 2 bytes": () => new DelimiterDecoder("\r\n", { maxLength: 64 }),
  "delimiters several": () =>
    new DelimiterDecoder(["||", "\n", Buffer.from([0])], { maxLength: 64 }),
  "frame u8": () => frameDecoder({ width: 1, maxLength: 64 }),
  "frame u16 little": () => frameDecoder({ width: 2, endian: "little", maxLength: 64 }),
  "frame u32 adjusted": () => frameDecoder({ width: 4, lengthIncludesHeader: true, maxLength: 64 }),
  "frame u64": () => frameDecoder({ width: 8, maxLength: 64 }),
  "frame varint": () => frameDecoder({ varint: true, maxLength: 64 }),
  "bytes 7": () => bytesDecoder(7),
};

describe("every decoder against random bytes and random chunking", () => {
  for (const [name, make] of Object.entries(DECODERS)) {
    it(`${name}: fails only with a documented code, and decodes alike however the bytes are cut`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 300 }),
          fc.array(fc.nat(300), { maxLength: 12 }),
          (bytes, at) => {
            tried[`decoder ${name}`] = (tried[`decoder ${name}`] ?? 0) + 1;
            const data = Buffer.from(bytes);
            const whole = decodeAll(make, [data]); // a non-SocketError escapes and fails the property
            const split = decodeAll(make, cut(data, at));
            expect(whole.end === "eof" || whole.end in ERROR_CODES).toBe(true);
            expect(split).toEqual(whole);
          },
        ),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
});

/** Values of every JavaScript type but the ones an address may be. */
const wrongTyped = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.bigInt(),
  fc.double().filter((n) => !Number.isInteger(n)),
  fc.integer({ min: -(2 ** 40), max: -1 }),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.dictionary(
    fc.string({ maxLength: 5 }).filter((k) => !["host", "port", "path"].includes(k)),
    fc.anything(),
    { maxKeys: 3 },
  ),
  fc.constant(Symbol("x")),
  fc.constant(() => "127.0.0.1:1"),
);

describe("the target parsers against any input", () => {
  it("parseTarget and parseLocal return an endpoint or throw ERR_INVALID_ADDRESS / ERR_INVALID_ARGUMENT / ERR_UNKNOWN_SERVICE", async () => {
    const inputs = fc.sample(fc.oneof(fc.string({ maxLength: 40 }), fc.anything(), wrongTyped), {
      seed: SEED,
      numRuns: RUNS * 2,
    });
    const wrong: string[] = [];
    for (const input of inputs) {
      for (const [what, parse] of [
        ["parseTarget", parseTarget],
        ["parseLocal", parseLocal],
      ] as const) {
        const code = await outcome(what, () => parse(input as never));
        // A port that has the shape of a service name and is none: ERR_UNKNOWN_SERVICE.
        const coded = code === undefined || code.startsWith("ERR_INVALID_");
        if (!coded && code !== "ERR_UNKNOWN_SERVICE") wrong.push(`${what}: ${code}`);
      }
    }
    expect(uncoded).toEqual([]);
    expect(wrong).toEqual([]);
  });
});

describe("the public entry points with wrong-typed arguments", () => {
  let server: Server | undefined;
  let socket: Socket | undefined;
  afterAll(async () => {
    await socket?.destroy();
    await server?.closeAll();
  });

  it("connect() and listen() refuse them with a coded SocketError", async () => {
    const inputs = fc.sample(wrongTyped, { seed: SEED, numRuns: RUNS });
    const wrong: string[] = [];
    for (const input of inputs) {
      const connected = await outcome("connect(target)", () => {
        const s = connect(input as never);
        void s.destroy();
      });
      if (connected === undefined || !connected.startsWith("ERR_INVALID_"))
        wrong.push(`connect(${String(input)}): ${connected}`);
      const listened = await outcome("listen(target)", () => listen(input as never));
      if (listened === undefined || !listened.startsWith("ERR_INVALID_"))
        wrong.push(`listen(${String(input)}): ${listened}`);
      const options = await outcome("connect(target, options)", () => {
        const s = connect("127.0.0.1:9", { timeout: input, closeTimeout: input } as never);
        void s.destroy();
      });
      if (options !== "ERR_INVALID_ARGUMENT" && input !== undefined && input !== null)
        wrong.push(`connect options ${String(input)}: ${options}`);
    }
    expect(uncoded).toEqual([]);
    expect(wrong).toEqual([]);
  });

  it("a connected socket's reads and writes refuse them with a coded SocketError, and the socket stays usable", async () => {
    server = await listen("127.0.0.1:0", (peer) => {
      peer.write("hello\n");
    });
    socket = connect(`127.0.0.1:${server.port}`);
    await socket.opened;
    const s = socket;
    const inputs = fc.sample(wrongTyped, { seed: SEED + 1, numRuns: RUNS });
    const calls: [string, (x: unknown) => unknown][] = [
      ["readBytes", (x) => s.readBytes(x as never, { timeout: 1 })],
      ["readUntil", (x) => s.readUntil(x as never, { timeout: 1 })],
      ["readLine(options)", (x) => s.readLine({ eol: x, maxLength: x, timeout: 1 } as never)],
      ["readFrame(options)", (x) => s.readFrame({ width: x, timeout: 1 } as never)],
      ["write", (x) => s.write(x as never)],
      ["send", (x) => s.send(x as never)],
      ["writeFrame", (x) => s.writeFrame(x as never)],
      ["read(what)", (x) => s.read(x as never)],
      ["send(options)", (x) => s.send("", { timeout: x } as never)],
    ];
    const wrong: string[] = [];
    for (const input of inputs) {
      for (const [what, call] of calls) {
        const code = await outcome(what, () => call(input));
        // A read with a 1 ms timeout may time out; a read of `undefined` options succeeds, or
        // (a frame read of the greeting "hello\n": a 1.7 GB length) is refused as too long.
        const valid =
          code === undefined || code === "ERR_READ_TIMEOUT" || code === "ERR_FRAME_TOO_LONG";
        if (!(valid || code.startsWith("ERR_INVALID_"))) {
          wrong.push(`${what}(${typeof input}): ${code}`);
        }
      }
    }
    expect(uncoded).toEqual([]);
    expect([...new Set(wrong)]).toEqual([]);
    s.purge();
    s.write("still usable\n");
    expect(s.connected).toBe(true);
  });
});
