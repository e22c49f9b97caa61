import type { Socket as NetSocket } from "node:net";
import { describe, expect, it } from "vitest";
import type { Decoder } from "../src/codec/decoder.js";
import { encodeLengthPrefixed, LengthPrefixedDecoder } from "../src/codec/length.js";
import { encodeVarint, VarintDecoder } from "../src/codec/varint.js";
import { connect } from "../src/connect.js";
import { FrameTooLongError, IncompleteReadError, type SocketError } from "../src/errors.js";
import type { ReceiveBuffer } from "../src/receive-buffer.js";
import { bytewise, cut } from "./helpers/chunking.js";
import { rawPeer, sleep, waitFor } from "./helpers/raw-peer.js";

const COLON = Buffer.from(":");

/** A user's own decoder: netstrings ("5:hello,"), as text, at most `maxLength` bytes. */
function netstring(maxLength = 1024): Decoder<string> {
  const decoder: Decoder<string> = {
    decode(buffer: ReceiveBuffer) {
      const colon = buffer.indexOf(COLON);
      if (colon < 0) return null;
      const length = Number(buffer.peek(colon).toString());
      if (length > maxLength) throw new FrameTooLongError(maxLength, colon + length + 2);
      if (buffer.length < colon + length + 2) return null;
      buffer.discard(colon + 1);
      const text = buffer.take(length).toString();
      buffer.discard(1);
      return text;
    },
    decodeEof(buffer: ReceiveBuffer, cause?: unknown) {
      const frame = decoder.decode(buffer);
      if (frame !== null || buffer.length === 0) return frame;
      throw new IncompleteReadError(buffer.takeAll(), undefined, cause);
    },
  };
  return decoder;
}

const STREAM = Buffer.from("5:hello,0:,6:wörld,");
const MESSAGES = ["hello", "", "wörld"];

/** A peer that writes `chunks` one at a time, a pause between them, then (unless told) ends. */
async function sender(chunks: readonly Buffer[], end = true): Promise<string> {
  const { target } = await rawPeer((s: NetSocket) => {
    void (async () => {
      for (const chunk of chunks) {
        s.write(chunk);
        await sleep(2);
      }
      if (end) s.end();
    })();
  });
  return target;
}

/** The chunkings every form is read under: whole, byte by byte, and three random cuts. */
function chunkings(bytes: Buffer): [string, Buffer[]][] {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const randomCut = (): Buffer[] =>
    cut(
      bytes,
      Array.from({ length: 5 }, () => Math.floor(random() * bytes.length)),
    );
  return [
    ["whole", [bytes]],
    ["byte by byte", bytewise(bytes)],
    ["random cuts 1", randomCut()],
    ["random cuts 2", randomCut()],
    ["random cuts 3", randomCut()],
  ];
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("a user's decoder on a socket", () => {
  it("reads each message with readWith whatever the chunking, then ERR_END_OF_STREAM", async () => {
    for (const [, chunks] of chunkings(STREAM)) {
      const socket = connect(await sender(chunks));
      const decoder = netstring();
      const read: string[] = [];
      for (let i = 0; i < MESSAGES.length; i++) read.push(await socket.readWith(decoder));
      expect(read).toEqual(MESSAGES);
      await expect(socket.readWith(decoder)).rejects.toMatchObject({ code: "ERR_END_OF_STREAM" });
      await socket.destroy();
    }
  });

  it("iterates with messages() until a clean end, whatever the chunking", async () => {
    for (const [, chunks] of chunkings(STREAM)) {
      const socket = connect(await sender(chunks));
      expect(await collect(socket.messages(netstring()))).toEqual(MESSAGES);
      await socket.destroy();
    }
  });

  it("calls onMessage's handler once per message, whatever the chunking, then onEnd", async () => {
    for (const [, chunks] of chunkings(STREAM)) {
      const socket = connect(await sender(chunks));
      const seen: string[] = [];
      const errors: SocketError[] = [];
      await new Promise<void>((onEnd) => {
        socket.onMessage(netstring(), (message) => seen.push(message), {
          onEnd,
          onError: (error) => errors.push(error),
        });
      });
      expect(seen).toEqual(MESSAGES);
      expect(errors).toEqual([]);
      await socket.destroy();
    }
  });

  it("keeps the FIFO order with the built-in reads", async () => {
    const socket = connect(await sender([Buffer.from("HELO\r\n5:hello,BYE\r\n")]));
    const line = socket.readLine();
    const message = socket.readWith(netstring());
    const last = socket.readLine();
    expect((await line).toString()).toBe("HELO");
    expect(await message).toBe("hello");
    expect((await last).toString()).toBe("BYE");
    await socket.destroy();
  });

  it("leaves unread bytes buffered once onMessage's remover is called", async () => {
    const socket = connect(await sender([STREAM], false));
    const seen: string[] = [];
    const stop = socket.onMessage(netstring(), (message) => {
      seen.push(message);
      stop(); // from inside the handler: the next read is taken back
    });
    await waitFor(() => seen.length === 1);
    await sleep(20);
    expect(seen).toEqual(["hello"]);
    expect(await socket.readWith(netstring())).toBe("");
    expect(await socket.readWith(netstring())).toBe("wörld");
    stop(); // idempotent
    await socket.destroy();
  });

  it("plugs the exported codecs into a socket: length-prefixed and varint frames", async () => {
    const bytes = Buffer.concat([
      encodeLengthPrefixed("one", { width: 2 }),
      encodeVarint("two"),
      encodeVarint("three"),
    ]);
    const socket = connect(await sender(bytewise(bytes)));
    const first = await socket.readWith(new LengthPrefixedDecoder({ width: 2 }));
    expect(first.toString()).toBe("one");
    const rest = await collect(socket.messages(new VarintDecoder()));
    expect(rest.map(String)).toEqual(["two", "three"]);
    await socket.destroy();
  });
});

describe("a user's decoder on a socket, when it fails", () => {
  it("refuses what is not a decoder, or a handler that is not a function, with ERR_INVALID_ARGUMENT", async () => {
    const socket = connect(await sender([], false));
    const notDecoder = { decode: () => null } as unknown as Decoder<string>;
    await expect(socket.readWith(notDecoder)).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    });
    await expect(socket.readWith(null as unknown as Decoder)).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    });
    expect(() => socket.messages(notDecoder)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
    expect(() => socket.onMessage(netstring(), "no" as unknown as () => void)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
    await expect(socket.readWith(netstring(), { timeout: -1 })).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    });
    await socket.destroy();
  });

  it("times out a readWith with ERR_READ_TIMEOUT, consuming nothing", async () => {
    let peer: NetSocket | undefined;
    const { target } = await rawPeer((s) => {
      peer = s;
      s.write("5:he");
    });
    const socket = connect(target);
    const decoder = netstring();
    await expect(socket.readWith(decoder, { timeout: 50 })).rejects.toMatchObject({
      code: "ERR_READ_TIMEOUT",
    });
    peer?.write("llo,");
    expect(await socket.readWith(decoder)).toBe("hello");
    await socket.destroy();
  });

  it("aborts a readWith with ERR_ABORTED and the signal's reason", async () => {
    const socket = connect(await sender([Buffer.from("5:he")], false));
    const controller = new AbortController();
    const read = socket.readWith(netstring(), { signal: controller.signal });
    controller.abort("enough");
    await expect(read).rejects.toMatchObject({ code: "ERR_ABORTED", cause: "enough" });
    await socket.destroy();
  });

  it("passes the decoder's SocketError through with the bytes still buffered", async () => {
    const socket = connect(await sender([Buffer.from("20:aaaaaaaaaaaaaaaaaaaa,")], false));
    await waitFor(() => socket.available === 24);
    await expect(socket.readWith(netstring(10))).rejects.toBeInstanceOf(FrameTooLongError);
    expect(socket.available).toBe(24); // nothing consumed: the caller decides
    expect(await socket.readWith(netstring(100))).toBe("a".repeat(20));
    await socket.destroy();
  });

  it("turns anything else a decoder throws into ERR_INVALID_STATE with the original as cause", async () => {
    const socket = connect(await sender([Buffer.from("x")], false));
    const bug = new TypeError("oops");
    const broken: Decoder = {
      decode: () => {
        throw bug;
      },
      decodeEof: () => null,
    };
    await expect(socket.readWith(broken)).rejects.toMatchObject({
      code: "ERR_INVALID_STATE",
      cause: bug,
    });
    await waitFor(() => socket.available === 1);
    await expect(socket.readWith(broken)).rejects.toMatchObject({
      code: "ERR_INVALID_STATE",
      cause: bug,
    });
    await socket.destroy();
  });

  it("rejects with ERR_INCOMPLETE_READ holding the partial bytes when the stream ends mid-message", async () => {
    const socket = connect(await sender([Buffer.from("5:hello,3:ab")]));
    const decoder = netstring();
    expect(await socket.readWith(decoder)).toBe("hello");
    const error = await socket.readWith(decoder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteReadError);
    expect((error as IncompleteReadError).partial.toString()).toBe("3:ab");
  });

  it("throws ERR_INCOMPLETE_READ out of messages() after the whole messages", async () => {
    const socket = connect(await sender([Buffer.from("5:hello,3:ab")]));
    const seen: string[] = [];
    const failure = (async () => {
      for await (const message of socket.messages(netstring())) seen.push(message);
    })().catch((e: unknown) => e);
    expect(await failure).toMatchObject({ code: "ERR_INCOMPLETE_READ" });
    expect(seen).toEqual(["hello"]);
  });

  it("removes onMessage's handler at a failed read and reports it to onError, or to 'error' without one", async () => {
    for (const where of ["onError", "error"] as const) {
      const socket = connect(await sender([Buffer.from("5:hello,99:x")], false));
      const seen: string[] = [];
      const reported = new Promise<SocketError>((resolve) => {
        if (where === "error") {
          socket.on("error", resolve);
          socket.onMessage(netstring(10), (message) => seen.push(message));
        } else {
          socket.onMessage(netstring(10), (message) => seen.push(message), { onError: resolve });
        }
      });
      expect(await reported).toBeInstanceOf(FrameTooLongError);
      expect(seen).toEqual(["hello"]);
      expect(socket.available).toBe(4); // "99:x" stays buffered
      await socket.destroy();
    }
  });

  it("removes a handler that throws, with ERR_HANDLER_FAILED carrying the throw, and keeps the rest", async () => {
    const socket = connect(await sender([STREAM], false));
    const bug = new Error("handler bug");
    const error = await new Promise<SocketError>((onError) => {
      socket.onMessage(
        netstring(),
        () => {
          throw bug;
        },
        { onError },
      );
    });
    expect(error).toMatchObject({ code: "ERR_HANDLER_FAILED", cause: bug });
    expect(await socket.readWith(netstring())).toBe(""); // "hello" went to the handler
    expect(socket.connected).toBe(true);
    await socket.destroy();
  });

  it("throws ERR_ABORTED out of messages() when its signal aborts, leaving the bytes buffered", async () => {
    const socket = connect(await sender([Buffer.from("5:hello,5:wo")], false));
    const controller = new AbortController();
    const seen: string[] = [];
    const failure = (async () => {
      for await (const message of socket.messages(netstring(), { signal: controller.signal })) {
        seen.push(message);
      }
    })().catch((e: unknown) => e);
    await waitFor(() => seen.length === 1);
    controller.abort();
    expect(await failure).toMatchObject({ code: "ERR_ABORTED" });
    expect(socket.available).toBe(4); // "5:wo" stays readable
    await socket.destroy();
  });
});
