/**
 * How each TSDoc `@example` of `src/` is run by `tests/tsdoc-examples.test.ts`: the peers it
 * talks to (on loopback), the text substituted to reach them (an example says
 * `"127.0.0.1:6379"`, the run uses the local peer's port), the free variables it takes as
 * given (`socket`, …), and what is checked beyond the values its comments state. An example
 * that cannot run says why; every example is typechecked either way.
 */
import * as assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { join } from "node:path";
import {
  connect,
  findSocket,
  getDefaults,
  listen,
  openDatagram,
  openSockets,
  parseProxyHeader,
} from "../../src/index.js";
import { makeTempDir } from "./peers.js";
import { rawPeer, waitFor } from "./raw-peer.js";
import { echo, httpPeer, logged, type Scenario, sender, sink, socketTo } from "./tsdoc-peers.js";
import { IO_SCENARIOS } from "./tsdoc-scenarios-io.js";
import { SOCKET_SCENARIOS } from "./tsdoc-scenarios-socket.js";

export type { Outcome, Scenario, Setup } from "./tsdoc-peers.js";

const pure: Scenario = {};

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  "src/address.ts:TargetInput": {
    async setup() {
      const { port } = await echo();
      const dir = await makeTempDir("tsdoc");
      const path = join(dir.path, "app.sock");
      const unixServer = await listen(`unix:${path}`);
      return {
        replace: [
          ["example.org:7", `127.0.0.1:${port}`],
          ['{ host: "::1", port: 7 }', `{ host: "127.0.0.1", port: ${port} }`],
          ["/run/app.sock", path],
        ],
        async check() {
          const ids = openSockets().filter((id) => !/\|\d+$/.test(id));
          assert.deepEqual(
            ids.sort(),
            [`127.0.0.1:${port}`, `127.0.0.1:${port}|echo`, `unix:${path}`].sort(),
          );
          await Promise.all(ids.map((id) => findSocket(id)?.opened));
          await unixServer.closeAll();
          await dir.cleanup();
        },
      };
    },
  },
  "src/address.ts:parseTarget": pure,
  "src/address.ts:parseLocal": pure,
  "src/address.ts:unmapIPv4": pure,
  "src/address.ts:formatAddress": pure,
  "src/address.ts:formatEndpoint": pure,
  "src/resolve.ts:resolve": {
    async setup() {
      return {
        async check(outcome) {
          await waitFor(() => outcome.logs.length > 0, 5000);
          assert.match(logged(outcome), /127\.0\.0\.1/);
        },
      };
    },
  },
  "src/address.ts:networkInterfaces": {
    async setup() {
      return {
        check: ({ vars }) =>
          assert.equal((vars.loopback as { address: string }).address.startsWith("127."), true),
      };
    },
  },
  "src/adopt.ts:adopt": {
    async setup() {
      const httpServer: HttpServer = createHttpServer();
      await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
      const address = httpServer.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      // The example's upgrade listener, kept to see its loop end once the client is done.
      let upgraded: Promise<unknown> | undefined;
      const on = (event: string, listener: (...args: unknown[]) => unknown) =>
        httpServer.on(event, (...args: unknown[]) => {
          upgraded = Promise.resolve(listener(...args));
        });
      return {
        given: { httpServer: { on } },
        async check() {
          const client = connect(`127.0.0.1:${port}`);
          client.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: line\r\n\r\n");
          const head = await client.readUntil("\r\n\r\n", { timeout: 5000 });
          assert.match(head.toString(), /^HTTP\/1\.1 101 /);
          client.write("hello\n");
          assert.equal(await client.readLine({ encoding: "utf8", timeout: 5000 }), "HELLO");
          await client.end(); // the example's lines() loop ends at this FIN
          await upgraded;
          await client.destroy();
          httpServer.close(); // the upgraded socket is the example's: destroyed after the test
        },
      };
    },
  },
  "src/codec/bytes.ts:BytesDecoder": pure,
  "src/codec/bytes.ts:availableDecoder": pure,
  "src/codec/decoder.ts:Decoder": pure,
  "src/codec/delimiter.ts:DelimiterDecoder": pure,
  "src/codec/frame.ts:frameDecoder": pure,
  "src/codec/frame.ts:encodeFrame": pure,
  "src/codec/length.ts:LengthPrefixedDecoder": pure,
  "src/codec/length.ts:encodeLengthPrefixed": pure,
  "src/codec/line.ts:LineDecoder": pure,
  "src/codec/varint.ts:VarintDecoder": pure,
  "src/codec/varint.ts:encodeVarintLength": pure,
  "src/codec/varint.ts:encodeVarint": pure,
  "src/connect.ts:proxyHeader": {
    async setup() {
      const peer = await sink();
      return {
        replace: [["127.0.0.1:8443", peer.target]],
        async check() {
          await waitFor(() => peer.received().length >= 16, 5000);
          const parsed = parseProxyHeader(Buffer.from(peer.received(), "latin1"));
          assert.equal(parsed.status, "header");
          if (parsed.status !== "header") return;
          assert.deepEqual(parsed.header.source, {
            family: "IPv4",
            address: "203.0.113.7",
            port: 51000,
          });
          assert.equal(parsed.header.tlvs.authority, "example.org");
        },
      };
    },
  },
  "src/connect.ts:connect": {
    async setup() {
      const { target } = await httpPeer("hi");
      return {
        // The proxy's port is a loopback port nothing listens on: the tunnel fails, unobserved.
        replace: [["example.org:80", target]],
        check: ({ vars }) =>
          assert.match(String(vars.header), /^HTTP\/1\.0 200 OK\r\n.*\r\n\r\n$/s),
      };
    },
  },
  "src/datagram-socket.ts:DatagramSocket": {
    async setup() {
      const peer = await openDatagram({ localAddress: "127.0.0.1" });
      peer.on(
        "message",
        (data, from) => void peer.send(data, { host: from.address, port: from.port }),
      );
      return {
        replace: [["127.0.0.1:9999", `127.0.0.1:${peer.localPort}`]],
        async check({ vars }) {
          assert.equal((vars.reply as { data: Buffer }).data.toString(), "ping");
          await peer.close();
        },
      };
    },
  },
  "src/datagram.ts:openDatagram": {
    async setup() {
      const peer = await openDatagram({ localAddress: "127.0.0.1" });
      return {
        replace: [
          ["localPort: 8080", "localPort: 0"],
          ["10.2.1.1:8080", `127.0.0.1:${peer.localPort}`],
        ],
        async check() {
          assert.equal((await peer.receive({ timeout: 5000 })).data.toString(), "hello");
          await peer.close();
        },
      };
    },
  },
  "src/defaults.ts:setDefaults": {
    async setup() {
      const { target } = await echo();
      return {
        replace: [["127.0.0.1:7", target]],
        check() {
          assert.equal(getDefaults().idleTimeout, 30_000);
          assert.equal(findSocket(target)?.idleTimeout, 0);
        },
      };
    },
  },
  "src/diagnostics.ts:CHANNELS": {
    async setup() {
      const { target } = await echo();
      return {
        async check(outcome) {
          await (await socketTo(target)).close();
          assert.match(logged(outcome), /^connected /m);
        },
      };
    },
  },
  "src/errors.ts:SocketError": {
    async setup() {
      return { check: (outcome) => assert.equal(logged(outcome), "nobody there") };
    },
  },
  "src/errors.ts:IncompleteReadError": {
    async setup() {
      return {
        given: { socket: await socketTo(await sender("only 15 bytes.\n")) },
        check: ({ handled }) => assert.deepEqual(handled, [Buffer.from("only 15 bytes.\n")]),
      };
    },
  },
  "src/errors.ts:FrameTooLongError": {
    rejects: "ERR_FRAME_TOO_LONG",
    async setup() {
      const socket = await socketTo(await sender("x".repeat(600), true));
      await waitFor(() => socket.available >= 600, 5000);
      return {
        given: { socket },
        check() {
          assert.equal(socket.available, 0); // purged
          assert.equal(socket.connected, true); // and kept
        },
      };
    },
  },
  "src/proxy-protocol/crc32c.ts:crc32c": pure,
  "src/reconnect.ts:backoffDelay": pure,
  "src/proxy-protocol/encode.ts:encodeProxyHeader": pure,
  "src/proxy-protocol/parse.ts:parseProxyHeader": {
    async setup() {
      return {
        check: ({ vars }) => assert.equal((vars.result as { status: string }).status, "header"),
      };
    },
  },
  "src/proxy/error.ts:ProxyError": {
    async setup() {
      // An HTTP proxy that refuses every CONNECT.
      const proxy = await rawPeer((peer) => {
        peer.once("data", () => peer.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
      });
      return {
        replace: [["http://proxy:3128", `http://${proxy.target}`]],
        check: (outcome) => assert.equal(logged(outcome), "403"),
      };
    },
  },
  "src/receive-buffer.ts:ReceiveBuffer": pure,
  "src/registry.ts:openSockets": {
    async setup() {
      const { target } = await echo();
      return { replace: [["127.0.0.1:8080", target]] };
    },
  },
  "src/registry.ts:findSocket": {
    async setup() {
      const { target } = await echo();
      const socket = connect(`${target}|control`);
      return {
        replace: [["127.0.0.1:8080", target]],
        async check() {
          assert.equal(await socket.readLine({ encoding: "utf8", timeout: 5000 }), "PING");
        },
      };
    },
  },
  "src/server.ts:Server": {
    async setup() {
      return {
        async check({ vars, logs }) {
          const port = (vars.server as { port: number }).port;
          assert.deepEqual(logs, [[port]]);
          const client = await socketTo(`127.0.0.1:${port}`);
          client.write("echo me\n");
          assert.equal(await client.readLine({ encoding: "utf8", timeout: 5000 }), "echo me");
          await client.destroy();
        },
      };
    },
  },
  "src/server.ts:[Symbol.asyncIterator]": { background: true },
  "src/listen.ts:listen": pure,
  // Connects to localhost:80, where nothing need listen: the socket is closed after the run.
  "src/services.ts:servicePort": pure,
  "src/sockaddr.ts:parseSockaddr": pure,
  "src/sockaddr.ts:formatSockaddr": pure,
  ...IO_SCENARIOS,
  ...SOCKET_SCENARIOS,
};
