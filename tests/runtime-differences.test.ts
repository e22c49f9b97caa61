/**
 * Differences of a runtime that sockit cannot even out (README, "Runtimes"): each test states
 * what Node and Bun do, and asserts what the other runtime does instead.
 */
import { connect as netConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { listen } from "../src/listen.js";
import type { Server } from "../src/server.js";
import { sleep, waitFor } from "./helpers/raw-peer.js";
import { runtime } from "./helpers/runtime.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

describe("what a runtime cannot even out", () => {
  it("delivers a queued send to a peer that half-closes meanwhile (Deno: EPIPE, the rest lost)", async () => {
    const SIZE = 16 * 1024 * 1024; // far over the kernel's buffers: most of it stays queued
    let outcome: Promise<string> | undefined;
    const server = await listen("127.0.0.1:0", { allowHalfOpen: true }, (socket) => {
      outcome = socket.send(Buffer.alloc(SIZE, 0x5a)).then(
        async () => {
          await socket.close();
          return "sent";
        },
        (error: { code?: string }) => error.code ?? "uncoded",
      );
    });
    servers.push(server);
    const client = netConnect({ port: server.port ?? 0, host: "127.0.0.1", allowHalfOpen: true });
    client.on("error", () => {});
    client.pause(); // reads nothing yet: the server's data waits in its queue
    await waitFor(() => outcome !== undefined);
    await sleep(100);
    client.end(); // FIN while the server's send is still queued
    await sleep(200);
    let received = 0;
    client.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    client.resume();
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    const result = await outcome;
    await closed;
    if (runtime === "deno") {
      expect(result).toBe("EPIPE");
      expect(received).toBeLessThan(SIZE);
    } else {
      expect(result).toBe("sent");
      expect(received).toBe(SIZE);
    }
  });

  it("delivers a server's first send to a client that half-closes at once (Deno: EPIPE when the FIN wins the race)", async () => {
    const ROUNDS = 20;
    const outcomes: Promise<string>[] = [];
    const server = await listen("127.0.0.1:0", { allowHalfOpen: true }, (socket) => {
      outcomes.push(
        socket.send("reply\n").then(
          async () => {
            await socket.close();
            return "sent";
          },
          async (error: { code?: string }) => {
            await socket.destroy();
            return error.code ?? "uncoded";
          },
        ),
      );
    });
    servers.push(server);
    const received: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const client = netConnect({ port: server.port ?? 0, host: "127.0.0.1", allowHalfOpen: true });
      client.on("error", () => {});
      client.end(); // FIN at once, as `sockit HOST PORT < /dev/null` does
      let text = "";
      client.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      await new Promise<void>((resolve) => client.once("close", () => resolve()));
      received.push(text);
    }
    const results = await Promise.all(outcomes);
    expect(results).toHaveLength(ROUNDS);
    if (runtime === "deno") {
      // Each connection either got the whole reply or none of it, with EPIPE on the server.
      for (const [i, result] of results.entries()) {
        expect([result, received[i]]).toEqual(
          result === "sent" ? ["sent", "reply\n"] : ["EPIPE", ""],
        );
      }
    } else {
      expect(new Set(results)).toEqual(new Set(["sent"]));
      expect(new Set(received)).toEqual(new Set(["reply\n"]));
    }
  });
});
