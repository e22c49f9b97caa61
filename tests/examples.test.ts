import * as assert from "node:assert/strict";
import { afterEach, describe, it } from "vitest";
import {
  connect,
  type Decoder,
  DelimiterDecoder,
  encodeLengthPrefixed,
  encodeVarint,
  IncompleteReadError,
  LengthPrefixedDecoder,
  listen,
  ReceiveBuffer,
  type Server,
  VarintDecoder,
} from "../src/index.js";

// The TSDoc @examples of the codec contract and of the socket's codec methods, run as
// written (against a local echo server where they name a peer) and asserting their results.
// Every example, these included, is also typechecked and run from the source by
// tests/tsdoc-examples.test.ts.

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

/** An echo server on loopback; its target. */
async function echo(): Promise<string> {
  const server = await listen("127.0.0.1:0", async (socket) => {
    for await (const chunk of socket) socket.write(chunk);
    await socket.end();
  });
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

describe("the TSDoc examples", () => {
  it("Decoder (codec/decoder.ts): the netstring decoder takes a frame only once it is whole", () => {
    const COLON = Buffer.from(":");
    const netstring: Decoder<string> = {
      decode(buffer) {
        const colon = buffer.indexOf(COLON);
        if (colon < 0) return null;
        const length = Number(buffer.peek(colon).toString());
        if (buffer.length < colon + length + 2) return null;
        buffer.discard(colon + 1);
        const text = buffer.take(length).toString();
        buffer.discard(1); // the ","
        return text;
      },
      decodeEof(buffer, cause) {
        const frame = this.decode(buffer);
        if (frame !== null || buffer.length === 0) return frame;
        throw new IncompleteReadError(buffer.takeAll(), undefined, cause);
      },
    };
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from("5:hello,3:a"));
    assert.equal(netstring.decode(buffer), "hello");
    assert.equal(netstring.decode(buffer), null); // "3:a" waits for the rest
    assert.throws(() => netstring.decodeEof(buffer), IncompleteReadError);
  });

  it("DelimiterDecoder (codec/delimiter.ts): two frames, then null for the unfinished one", () => {
    const buffer = new ReceiveBuffer();
    const decoder = new DelimiterDecoder(["\r\n", "\n"], { include: false });
    buffer.append(Buffer.from("one\r\ntwo\nthr"));
    assert.deepEqual(decoder.decode(buffer), Buffer.from("one"));
    assert.deepEqual(decoder.decode(buffer), Buffer.from("two"));
    assert.equal(decoder.decode(buffer), null); // "thr" waits for its delimiter
  });

  it("LengthPrefixedDecoder (codec/length.ts): null until the announced bytes are in", () => {
    const buffer = new ReceiveBuffer();
    const decoder = new LengthPrefixedDecoder({ width: 2 });
    buffer.append(Buffer.from([0, 3, 0x61, 0x62]));
    assert.equal(decoder.decode(buffer), null); // 3 bytes announced, 2 buffered
    buffer.append(Buffer.from("c"));
    assert.deepEqual(decoder.decode(buffer), Buffer.from("abc"));
  });

  it("VarintDecoder and encodeVarint (codec/varint.ts)", () => {
    assert.deepEqual(encodeVarint("hi"), Buffer.from([0x02, 0x68, 0x69]));
    const buffer = new ReceiveBuffer();
    buffer.append(Buffer.from([0x02, 0x68, 0x69, 0x00]));
    assert.deepEqual(new VarintDecoder().decode(buffer), Buffer.from("hi"));
    assert.deepEqual(new VarintDecoder().decode(buffer), Buffer.alloc(0)); // a zero-length frame
  });

  it("socket.readWith (socket.ts): a varint frame echoed back", async () => {
    const socket = connect(await echo());
    socket.write(encodeVarint("hi")); // an echo server sends it back
    const payload = await socket.readWith(new VarintDecoder(), { timeout: 5000 });
    assert.deepEqual(payload, Buffer.from("hi"));
    await socket.close();
  });

  it("socket.messages (socket.ts): every varint payload until the end", async () => {
    const socket = connect(await echo());
    socket.write(Buffer.concat([encodeVarint("a"), encodeVarint("bc")]));
    void socket.end();
    const handled: string[] = [];
    const handle = (payload: Buffer): number => handled.push(payload.toString());
    for await (const payload of socket.messages(new VarintDecoder())) handle(payload);
    assert.deepEqual(handled, ["a", "bc"]);
  });

  it("socket.onMessage (socket.ts): an empty frame ends the exchange", async () => {
    const socket = connect(await echo());
    const handled: string[] = [];
    const handle = (payload: Buffer): number => handled.push(payload.toString());
    const stopped = new Promise<void>((resolve) => {
      const stop = socket.onMessage(new LengthPrefixedDecoder({ width: 2 }), (payload) => {
        if (payload.length === 0) {
          stop(); // an empty frame ends the exchange
          resolve();
        } else handle(payload);
      });
    });
    socket.write(
      Buffer.concat(["x", "yz", "", "after"].map((p) => encodeLengthPrefixed(p, { width: 2 }))),
    );
    await stopped;
    assert.deepEqual(handled, ["x", "yz"]);
    // The frame after the empty one stays buffered for the next read.
    const after = await socket.readWith(new LengthPrefixedDecoder({ width: 2 }), { timeout: 5000 });
    assert.deepEqual(after, Buffer.from("after"));
    await socket.close();
  });
});
