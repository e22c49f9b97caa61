import { createServer, type Socket as NetSocket, connect as netConnect } from "node:net";
import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { openDatagram } from "../src/datagram.js";
import { setDefaults } from "../src/defaults.js";
import { listen } from "../src/listen.js";
import {
  interfaceAddresses,
  localAddresses,
  resolveLocalBind,
  splitLocalAddress,
} from "../src/local-address.js";
import type { Server } from "../src/server.js";
import type { Socket } from "../src/socket.js";
import { cleanupCertificates, makeCertificates, opensslPeer } from "./helpers/certs.js";
import { canUnshare, DIST_ENTRY, inNetworkNamespace } from "./helpers/namespaces.js";

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  setDefaults(null);
  await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
  await Promise.all(servers.splice(0).map((server) => server.closeAll()));
});

async function server(): Promise<Server> {
  const made = await listen(
    "lo:0",
    (socket) => void socket.write(`${socket.info().remoteAddress}\n`),
  );
  servers.push(made);
  return made;
}

function client(...args: Parameters<typeof connect>): Socket {
  const socket = connect(...args);
  sockets.push(socket);
  return socket;
}

const loV6 = (networkInterfaces().lo ?? []).some((entry) => entry.address === "::1");

describe("local addresses by name (Tcl -myaddr, LiveCode from host, CocoaAsyncSocket interface)", () => {
  it("splits an IP, a name, and CocoaAsyncSocket's name:port, [v6]:port and :port forms", () => {
    expect(splitLocalAddress("::1")).toEqual({ host: "::1", port: undefined });
    expect(splitLocalAddress("lo")).toEqual({ host: "lo", port: undefined });
    expect(splitLocalAddress("en1:8082")).toEqual({ host: "en1", port: 8082 });
    expect(splitLocalAddress("[::1]:8082")).toEqual({ host: "::1", port: 8082 });
    expect(splitLocalAddress(":8082")).toEqual({ host: undefined, port: 8082 });
    for (const bad of ["bad host!", "unix:/tmp/x", "", "lo:99999"]) {
      expect(() => splitLocalAddress(bad)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_ADDRESS" }),
      );
    }
    expect(() => splitLocalAddress(7)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ADDRESS" }),
    );
  });

  it("gives an interface's addresses, link-local ones last with their zone; 'loopback' too", () => {
    const lo = interfaceAddresses("lo");
    expect(lo?.map((entry) => entry.address)).toContain("127.0.0.1");
    expect(interfaceAddresses("no-such-interface0")).toBeUndefined();
    expect(interfaceAddresses("loopback")).toEqual([
      { address: "127.0.0.1", family: "IPv4" },
      { address: "::1", family: "IPv6" },
    ]);
    for (const [name, entries] of Object.entries(networkInterfaces())) {
      const listed = interfaceAddresses(name) ?? [];
      const zoned = listed.findIndex((entry) => entry.address.includes("%"));
      if (zoned < 0) continue;
      expect(listed[zoned]?.address).toMatch(new RegExp(`^fe80:.*%${name}$`, "i"));
      expect(listed.slice(zoned).every((entry) => entry.address.includes("%"))).toBe(true);
      expect(listed.length).toBe(entries?.length);
    }
  });

  it("resolves an interface or a host name of this machine, in the family asked for", async () => {
    expect(await localAddresses("lo", 4)).toEqual([{ address: "127.0.0.1", family: "IPv4" }]);
    expect(await localAddresses("localhost", 4)).toEqual([
      { address: "127.0.0.1", family: "IPv4" },
    ]);
    expect(await localAddresses("10.0.0.1")).toEqual([{ address: "10.0.0.1", family: "IPv4" }]);
    // Here localhost is 127.0.0.1 only: asking it for IPv6 is a clear error.
    const v6 = (await localAddresses("localhost")).some((entry) => entry.family === "IPv6");
    if (!v6) {
      await expect(localAddresses("localhost", 6)).rejects.toMatchObject({
        code: "ERR_UNKNOWN_INTERFACE",
        address: "localhost",
      });
    }
    // A target given by name: the local name's first address decides the family.
    expect(await resolveLocalBind({ localAddress: "lo", localPort: 0 }, "example.test")).toEqual({
      localAddress: "127.0.0.1",
      localPort: 0,
      family: 4,
    });
  });

  it("binds a client to an interface or a host name, resolved before the bind", async () => {
    const { port } = await server();
    for (const localAddress of ["lo", "localhost", "loopback", "127.0.0.1"]) {
      const socket = client(`127.0.0.1:${port}`, { localAddress });
      expect(socket.connecting).toBe(true);
      socket.write("queued while the name is looked up\n");
      expect([localAddress, String(await socket.readLine())]).toEqual([localAddress, "127.0.0.1"]);
      expect((await socket.opened).localAddress).toBe("127.0.0.1");
    }
  });

  it("takes CocoaAsyncSocket's interface:port form, and refuses a port given twice", async () => {
    const { port } = await server();
    const probe = client(`127.0.0.1:${port}`, { localAddress: "lo:0" });
    const { localPort } = await probe.opened;
    await probe.close();
    const socket = client(`127.0.0.1:${port}`, { localAddress: `127.0.0.1:${localPort}` });
    expect((await socket.opened).localPort).toBe(localPort);
    expect(() => client(`127.0.0.1:${port}`, { localAddress: "lo:0", localPort: 0 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });

  it("picks the interface's address in the family of an IPv6 target", async (context) => {
    if (!loV6) return context.skip();
    const { port } = await server();
    const socket = client(`[::1]:${port}`, { localAddress: "lo" });
    expect((await socket.opened).localAddress).toBe("::1");
  });

  it("binds a TLS client to a local name, verifying the target's own name", async (context) => {
    if (opensslPeer.path === undefined) return context.skip();
    const certs = await makeCertificates();
    try {
      const tls = { cert: certs.server.certPath, key: certs.server.keyPath };
      const made = await listen("127.0.0.1:0", { tls }, (socket) => void socket.write("secure\n"));
      servers.push(made);
      const socket = client(`localhost:${made.port}`, {
        localAddress: "lo",
        tls: { ca: certs.ca.cert },
      });
      expect(String(await socket.readLine())).toBe("secure");
      expect(await socket.opened).toMatchObject({ secure: true, localAddress: "127.0.0.1" });
    } finally {
      await cleanupCertificates();
    }
  });

  it("binds the connection to an HTTP proxy to a local name", async () => {
    const { port } = await server();
    const seen: string[] = [];
    // A minimal CONNECT proxy on loopback: it records where its client came from.
    const proxy = createServer((incoming: NetSocket) => {
      seen.push(`${incoming.remoteAddress}:${incoming.remotePort}`);
      incoming.once("data", () => {
        const upstream = netConnect(port ?? 0, "127.0.0.1", () => {
          incoming.write("HTTP/1.1 200 Connection established\r\n\r\n");
          incoming.pipe(upstream).pipe(incoming);
        });
        upstream.on("error", () => incoming.destroy());
      });
      incoming.on("error", () => {});
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const address = proxy.address();
      const proxyPort = typeof address === "object" && address !== null ? address.port : 0;
      // A local port that was free a moment ago, to tell this connection to the proxy apart.
      const spare = await listen("127.0.0.1:0");
      const localPort = spare.port;
      await spare.close();
      const socket = client(`127.0.0.1:${port}`, {
        localAddress: `localhost:${localPort}`,
        proxy: `http://127.0.0.1:${proxyPort}`,
      });
      expect(String(await socket.readLine())).toBe("127.0.0.1"); // the proxy, as the server saw it
      expect(seen).toEqual([`127.0.0.1:${localPort}`]);
    } finally {
      proxy.close();
    }
  });

  it("takes a name from setDefaults({ localAddress }) (LiveCode defaultNetworkInterface)", async () => {
    const { port } = await server();
    setDefaults({ localAddress: "lo" });
    const socket = client(`127.0.0.1:${port}`);
    expect((await socket.opened).localAddress).toBe("127.0.0.1");
  });

  it("binds a datagram socket to an interface or a host name, with a port in the name", async () => {
    const byName = await openDatagram({ localAddress: "localhost" });
    expect(byName.info().localAddress).toBe("127.0.0.1");
    const byInterface = await openDatagram({ localAddress: "lo:0", type: "udp4" });
    expect(byInterface.info()).toMatchObject({ localAddress: "127.0.0.1", type: "udp4" });
    await byName.send("over lo", `127.0.0.1:${byInterface.info().localPort}`);
    expect(String((await byInterface.receive({ timeout: 2000 })).data)).toBe("over lo");
    await expect(openDatagram({ localAddress: "lo:0", localPort: 0 })).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    });
    await byName.close();
    await byInterface.close();
  });

  it("destroys a socket closed during the lookup without opening a connection", async () => {
    const made = await server();
    const socket = client(`127.0.0.1:${made.port}`, { localAddress: "localhost" });
    const opened = socket.opened.then(
      () => "connected",
      (error: { code: string }) => error.code,
    );
    await socket.destroy();
    expect(await opened).toBe("ERR_SOCKET_CLOSED");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(made.stats.accepted).toBe(0);
  });

  it("fails with ERR_UNKNOWN_INTERFACE for a name that is no interface and does not resolve", (context) => {
    // The failing lookup runs in a network namespace of its own: no query leaves the machine.
    if (!canUnshare("-rn")) return context.skip();
    const outcome = inNetworkNamespace(
      `
      import { connect, listen, openDatagram } from ${JSON.stringify(DIST_ENTRY)};
      const name = "no-such-interface.invalid";
      const socket = connect("127.0.0.1:9", { localAddress: name });
      const client = await socket.opened.then(() => "connected", (e) => [e.code, e.address]);
      const udp = await openDatagram({ localAddress: name }).then(() => "bound", (e) => e.code);
      const server = await listen(name + ":0").then(() => "listening", (e) => e.code);
      console.log(JSON.stringify({ client, udp, server, closed: (await socket.closed).error?.code }));
      `,
    );
    expect(outcome).toEqual({
      client: ["ERR_UNKNOWN_INTERFACE", "no-such-interface.invalid"],
      udp: "ERR_UNKNOWN_INTERFACE",
      server: "ERR_UNKNOWN_INTERFACE",
      closed: "ERR_UNKNOWN_INTERFACE",
    });
  });
});
