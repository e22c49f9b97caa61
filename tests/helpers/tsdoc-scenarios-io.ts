/**
 * The scenarios of the examples about a connection's life and its text: reconnecting
 * clients, a server's reads and broadcasts, a socket's data, encoding and names (see
 * `tsdoc-scenarios.ts`).
 */
import * as assert from "node:assert/strict";
import type { Socket as NetSocket } from "node:net";
import { connect, listen, type Server, type Socket } from "../../src/index.js";
import { rawPeer, waitFor } from "./raw-peer.js";
import { echo, logged, type Scenario, sink, socketTo } from "./tsdoc-peers.js";

/** A peer whose connections are kept, to drop them when the scenario says. */
async function droppingPeer(greeting = ""): Promise<{
  target: string;
  connections: NetSocket[];
  received: () => string;
}> {
  const connections: NetSocket[] = [];
  const chunks: Buffer[] = [];
  const { target } = await rawPeer((peer) => {
    connections.push(peer);
    peer.on("data", (c: Buffer) => chunks.push(c));
    if (greeting !== "") peer.write(greeting);
  });
  return { target, connections, received: () => Buffer.concat(chunks).toString("latin1") };
}

export const IO_SCENARIOS: Readonly<Record<string, Scenario>> = {
  "src/connect.ts:reconnect": {
    async setup() {
      // The server stays up; its first connection is dropped: the client reconnects to it.
      const peer = await droppingPeer();
      return {
        replace: [["127.0.0.1:6379", peer.target]],
        async check(outcome) {
          await waitFor(() => peer.connections.length === 1, 5000);
          peer.connections[0]?.destroy();
          await waitFor(() => peer.received() === "SUBSCRIBE news\r\n", 5000);
          assert.equal(peer.connections.length, 2);
          assert.match(logged(outcome), /^attempt 1 in \d+ ms after ERR_CONNECTION_LOST$/);
        },
      };
    },
  },
  "src/errors.ts:ConnectionLostError": {
    async setup() {
      // The first connection delivers bytes nobody reads, then drops.
      const peer = await droppingPeer("unread");
      const socket = connect(peer.target, { reconnect: { initialDelay: 10 } });
      await socket.opened;
      await waitFor(() => socket.available === 6, 5000);
      return {
        given: { socket },
        async check({ handled }) {
          peer.connections[0]?.destroy();
          await waitFor(() => handled.length === 1, 5000);
          assert.deepEqual(handled, [Buffer.from("unread")]);
          await waitFor(() => peer.connections.length === 2, 5000); // and it reconnected
          await socket.destroy();
        },
      };
    },
  },
  "src/server.ts:addresses": {
    async setup() {
      // The example states a port the system picks: the run states the server's own.
      return { replace: [["port: 40123", "port: server.port"]] };
    },
  },
  "src/server.ts:read": {
    async setup() {
      return {
        async check({ vars }) {
          const { port } = vars.server as Server;
          for (const name of ["ann", "bob"]) {
            const client = await socketTo(`127.0.0.1:${port}`);
            client.write(`${name}\n`);
            assert.equal(await client.readLine({ encoding: "utf8", timeout: 5000 }), `hi ${name}`);
            await client.destroy();
          }
        },
      };
    },
  },
  "src/server.ts:write": {
    async setup() {
      const connected: Socket[] = [];
      const server = await listen("127.0.0.1:0", (socket) => void connected.push(socket));
      const clients = await Promise.all([1, 2, 3].map(() => socketTo(`127.0.0.1:${server.port}`)));
      await waitFor(() => connected.length === 3, 5000);
      return {
        given: { server },
        async check(outcome) {
          await waitFor(() => outcome.logs.length === 1, 5000);
          assert.deepEqual(outcome.logs, [[7, 3, 0]]);
          for (const client of clients) {
            assert.equal(
              await client.readLine({ encoding: "utf8", timeout: 5000 }),
              "shutting down",
            );
            await client.destroy();
          }
          await server.closeAll();
        },
      };
    },
  },
  "src/socket.ts:data": {
    async setup() {
      return {
        async check({ vars }) {
          const server = vars.server as Server<{ lines: number }>;
          const accepted = new Promise<Socket<unknown, { lines: number }>>((resolve) =>
            server.once("connection", resolve),
          );
          const client = await socketTo(`127.0.0.1:${server.port}`);
          client.write("one\ntwo\n");
          const socket = await accepted;
          await waitFor(() => socket.data.lines === 2, 5000);
          await client.destroy();
        },
      };
    },
  },
  "src/socket-reads.ts:setEncoding": {
    async setup() {
      const peer = await sink();
      return {
        given: { socket: await socketTo(peer.target) },
        async check() {
          await waitFor(() => peer.received().length === 6, 5000);
          assert.equal(Buffer.from(peer.received(), "latin1").toString("hex"), "636166e90d0a");
        },
      };
    },
  },
  "src/socket.ts:lookupNames": {
    async setup() {
      const { target, port } = await echo();
      return {
        given: { socket: await socketTo(target) },
        check({ logs }) {
          const [host, address, remotePort] = logs[0] ?? [];
          assert.equal(typeof host, "string"); // "localhost" where /etc/hosts says so
          assert.equal(address, "127.0.0.1");
          assert.equal(remotePort, port);
        },
      };
    },
  },
};
