/**
 * The scenarios of the `Socket` and web-stream examples (see `tsdoc-scenarios.ts`).
 */
import * as assert from "node:assert/strict";
import { connect, encodeLengthPrefixed, encodeVarint, listen } from "../../src/index.js";
import { cleanupCertificates, makeCertificates, opensslPeer } from "./certs.js";
import { rawPeer, waitFor } from "./raw-peer.js";

const pure: Scenario = {};

import { echo, httpPeer, type Scenario, sender, sink, socketTo } from "./tsdoc-peers.js";

export const SOCKET_SCENARIOS: Readonly<Record<string, Scenario>> = {
  "src/socket.ts:Socket": {
    async setup() {
      const redis = await rawPeer((peer) => peer.on("data", () => peer.write("+PONG\r\n")));
      return { replace: [["127.0.0.1:6379", redis.target]] };
    },
  },
  "src/socket.ts:socketId": {
    async setup() {
      const { target } = await echo();
      return { replace: [["127.0.0.1:8080", target]] };
    },
  },
  "src/socket-reads.ts:read": {
    async setup() {
      const socket = await socketTo(await sender("a\nb\n"));
      return {
        given: { socket },
        async check({ handled }) {
          await waitFor(() => handled.length === 2, 5000); // one standing read, two lines
          assert.deepEqual(handled, [Buffer.from("a\n"), Buffer.from("b\n")]);
        },
      };
    },
  },
  "src/socket-reads.ts:lines": lineScenario("one\r\ntwo\r\n", ["one", "two"]),
  "src/socket-reads.ts:frames": {
    async setup() {
      const frames = Buffer.concat(["a", "bc"].map((p) => encodeLengthPrefixed(p, { width: 2 })));
      return {
        given: { socket: await socketTo(await sender(frames)) },
        check: ({ handled }) => assert.deepEqual(handled, [Buffer.from("a"), Buffer.from("bc")]),
      };
    },
  },
  "src/socket-reads.ts:readWith": {
    async setup() {
      const { target } = await echo();
      return { replace: [["127.0.0.1:7000", target]] };
    },
  },
  "src/socket-reads.ts:messages": {
    async setup() {
      const frames = Buffer.concat([encodeVarint("a"), encodeVarint("bc")]);
      return {
        given: { socket: await socketTo(await sender(frames)) },
        check: ({ handled }) => assert.deepEqual(handled, [Buffer.from("a"), Buffer.from("bc")]),
      };
    },
  },
  "src/socket-messages.ts:onMessage": {
    async setup() {
      const frames = Buffer.concat(
        ["x", "yz", "", "after"].map((p) => encodeLengthPrefixed(p, { width: 2 })),
      );
      const socket = await socketTo(await sender(frames, true));
      return {
        given: { socket },
        async check({ handled }) {
          await waitFor(() => socket.available === 7, 5000); // "after" stays buffered
          assert.deepEqual(handled, [Buffer.from("x"), Buffer.from("yz")]);
        },
      };
    },
  },
  "src/socket-messages.ts:onLine": {
    async setup() {
      return {
        given: { socket: await socketTo(await sender("a\r\nb\r\nc\r\n")) },
        async check(outcome) {
          await waitFor(() => outcome.logs.length > 0, 5000);
          assert.deepEqual(outcome.logs, [[3]]);
        },
      };
    },
  },
  "src/socket-messages.ts:onFrame": {
    async setup() {
      const frames = Buffer.concat(
        ['{"n":1}', '{"n":2}'].map((p) => encodeLengthPrefixed(p, { width: 2 })),
      );
      return {
        given: { socket: await socketTo(await sender(frames)) },
        async check({ handled }) {
          await waitFor(() => handled.length === 2, 5000);
          assert.deepEqual(handled, [{ n: 1 }, { n: 2 }]);
        },
      };
    },
  },
  "src/socket-messages.ts:lineBatches": lineScenario("a\nb\n", ["a", "b"]),
  "src/socket-messages.ts:frameBatches": {
    async setup() {
      const frames = Buffer.concat(["a", "bc"].map((p) => encodeLengthPrefixed(p, { width: 2 })));
      return {
        given: { socket: await socketTo(await sender(frames)) },
        check: ({ handled }) => assert.deepEqual(handled, [Buffer.from("a"), Buffer.from("bc")]),
      };
    },
  },
  "src/socket-messages.ts:tryReadLine": {
    async setup() {
      const socket = connect(await sender("a\nb\n", true));
      return {
        given: { socket },
        async check({ handled }) {
          await waitFor(() => handled.length === 2, 5000);
          assert.deepEqual(handled, [Buffer.from("a"), Buffer.from("b")]);
        },
      };
    },
  },
  "src/socket.ts:sendFrom": {
    async setup() {
      const peer = await sink();
      return {
        given: { socket: await socketTo(peer.target), bigBuffer: Buffer.alloc(256 * 1024, 1) },
        async check({ vars, logs }) {
          assert.equal(vars.userAborted, false);
          assert.deepEqual(logs.at(-1), [256 * 1024, 256 * 1024]);
          await waitFor(() => peer.received().length === 256 * 1024, 5000);
        },
      };
    },
  },
  "src/socket.ts:startTLS": {
    ...(opensslPeer.path === undefined ? { skip: "openssl is not installed" } : {}),
    async setup() {
      // A STARTTLS server whose certificate names localhost, signed by the test CA: the run
      // trusts that CA where the example trusts Node's root store.
      const certs = await makeCertificates();
      const server = await listen("127.0.0.1:0", async (peer) => {
        await peer.readLine();
        peer.write("220 Ready to start TLS\r\n");
        await peer.startTLS({ cert: certs.server.cert, key: certs.server.key });
      });
      const socket = await socketTo(`localhost:${server.port}`);
      return {
        given: { socket, __ca: certs.ca.cert },
        replace: [["socket.startTLS()", "socket.startTLS({ ca: __ca })"]],
        async check() {
          assert.equal(socket.info().secure, true);
          await socket.destroy();
          await server.closeAll();
          await cleanupCertificates();
        },
      };
    },
  },
  "src/socket.ts:setIdleTimeout": {
    async setup() {
      const socket = await socketTo((await echo()).target);
      return { given: { socket }, check: () => assert.equal(socket.idleTimeout, 30_000) };
    },
  },
  "src/text.ts:decodeText": pure,
  "src/text.ts:encodeText": pure,
  "src/text.ts:EolConverter": pure,
  "src/text.ts:convertEol": pure,
  "src/web-streams.ts:toReadableStream": {
    async setup() {
      const { target } = await httpPeer("streamed body");
      const written: string[] = [];
      return {
        given: { process: { stdout: { write: (text: string) => written.push(text) } } },
        replace: [["example.org:80", target]],
        check: () =>
          assert.match(written.join(""), /^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nstreamed body$/),
      };
    },
  },
  "src/web-streams.ts:toWritableStream": {
    async setup() {
      const peer = await sink();
      return {
        replace: [["127.0.0.1:7", peer.target]],
        async check() {
          await waitFor(() => peer.received() === "hello\n", 5000);
        },
      };
    },
  },
};

/** A socket whose peer sends `text` then ends; `handle` must see `lines`. */
function lineScenario(text: string, lines: string[]): Scenario {
  return {
    async setup() {
      return {
        given: { socket: await socketTo(await sender(text)) },
        check: ({ handled }) => assert.deepEqual(handled, lines),
      };
    },
  };
}
