/**
 * A connection through a proxy as a whole: `connect()` returns at once, writes wait for the
 * tunnel, deadlines and abort signals cover the proxy's part, and failures are coded.
 * Scripted proxies on 127.0.0.1.
 */
import { once } from "node:events";
import { type Socket as NetSocket, connect as netConnect } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect, listen, ProxyError, type Socket } from "../../src/index.js";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
} from "../helpers/certs.js";
import { rejection, thrown } from "../helpers/errors.js";
import { closedPort, rawPeer } from "../helpers/raw-peer.js";

const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
});

function via(target: string, options: Parameters<typeof connect>[1]): Socket {
  const socket = connect(target, options);
  sockets.push(socket);
  return socket;
}

/** A proxy that accepts and then says nothing; `connections` resolve as they arrive. */
async function silentProxy(): Promise<{ url: string; next: Promise<NetSocket> }> {
  let arrived!: (socket: NetSocket) => void;
  const next = new Promise<NetSocket>((resolve) => {
    arrived = resolve;
  });
  const { port } = await rawPeer((socket) => {
    socket.resume(); // reading, so that the client's FIN or reset is seen
    arrived(socket);
  });
  return { url: `http://127.0.0.1:${port}`, next };
}

/**
 * A CONNECT proxy that answers 200 once `release()` is called, then records everything the
 * client sends through the tunnel until it ends.
 */
async function heldProxy(): Promise<{
  url: string;
  release: () => void;
  received: Promise<{ head: string; tunnel: string }>;
}> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let done!: (value: { head: string; tunnel: string }) => void;
  const received = new Promise<{ head: string; tunnel: string }>((resolve) => {
    done = resolve;
  });
  const { port } = await rawPeer((socket) => {
    let all = "";
    socket.on("data", (chunk: Buffer) => {
      all += chunk.toString("latin1");
    });
    socket.on("end", () => {
      const end = all.indexOf("\r\n\r\n") + 4;
      done({ head: all.slice(0, end), tunnel: all.slice(end) });
      socket.end();
    });
    void released.then(() => socket.write("HTTP/1.1 200 OK\r\n\r\n"));
  });
  return { url: `http://127.0.0.1:${port}`, release, received };
}

describe("connect() through a proxy", () => {
  it("returns at once; writes made meanwhile report room and go out after the CONNECT", async () => {
    const proxy = await heldProxy();
    const socket = via("target.test:7", { proxy: proxy.url });
    expect(socket.connecting).toBe(true);
    expect(socket.write("first\n")).toBe(true);
    const sent = socket.send("second\n");
    proxy.release();
    await socket.opened;
    await sent;
    await socket.end();
    const { head, tunnel } = await proxy.received;
    expect(head).toMatch(/^CONNECT target\.test:7 /);
    expect(tunnel).toBe("first\nsecond\n");
  });

  it("close() before the tunnel is up sends the queued writes, then FIN", async () => {
    const proxy = await heldProxy();
    const socket = via("target.test:7", { proxy: proxy.url });
    socket.write("queued\n");
    const closed = socket.close();
    proxy.release();
    expect((await proxy.received).tunnel).toBe("queued\n");
    expect((await closed).hadError).toBe(false);
  });

  it("destroy() before the tunnel is up fails the queued writes and drops the proxy connection", async () => {
    const proxy = await silentProxy();
    const socket = via("target.test:7", { proxy: proxy.url });
    const write = socket.send("never\n");
    const upstream = await proxy.next;
    const gone = once(upstream, "close");
    await socket.destroy();
    expect((await rejection(write)).code).toBe("ERR_SOCKET_CLOSED");
    expect((await rejection(socket.opened)).code).toBe("ERR_SOCKET_CLOSED");
    await gone;
  });

  it("rejects with a ProxyError naming the proxy when the proxy is down", async () => {
    const port = await closedPort();
    const socket = via("target.test:7", { proxy: `socks5://127.0.0.1:${port}` });
    const error = await rejection(socket.opened);
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({
      code: "ECONNREFUSED",
      address: `127.0.0.1:${port}`,
      proxy: `socks5://127.0.0.1:${port}`,
    });
  });

  it("rejects with ERR_PROXY_TIMEOUT when the proxy does not answer within proxyTimeout", async () => {
    const proxy = await silentProxy();
    const socket = via("target.test:7", { proxy: proxy.url, proxyTimeout: 200 });
    const upstream = await proxy.next;
    const gone = once(upstream, "close");
    const error = await rejection(socket.opened);
    expect(error).toBeInstanceOf(ProxyError);
    expect(error.code).toBe("ERR_PROXY_TIMEOUT");
    await gone; // the half-made tunnel is torn down
  });

  it("counts the proxy's part in connectTimeout", async () => {
    const proxy = await silentProxy();
    const socket = via("target.test:7", { proxy: proxy.url, connectTimeout: 200 });
    expect((await rejection(socket.opened)).code).toBe("ERR_CONNECT_TIMEOUT");
  });

  it("rejects with ERR_ABORTED when the signal aborts during the proxy's part", async () => {
    const proxy = await silentProxy();
    const controller = new AbortController();
    const socket = via("target.test:7", { proxy: proxy.url, signal: controller.signal });
    const upstream = await proxy.next;
    const gone = once(upstream, "close");
    controller.abort();
    expect((await rejection(socket.opened)).code).toBe("ERR_ABORTED");
    await gone;
  });

  it("bounds the TLS handshake through the tunnel by handshakeTimeout", async () => {
    const { port } = await rawPeer((socket) => {
      socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\n\r\n")); // then silence
    });
    const socket = via("target.test:443", {
      proxy: `http://127.0.0.1:${port}`,
      tls: { handshakeTimeout: 200 },
    });
    expect((await rejection(socket.opened)).code).toBe("ERR_TLS_HANDSHAKE_TIMEOUT");
  });

  it('takes the proxy from the environment for proxy: "env"', async () => {
    const proxy = await heldProxy();
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = proxy.url;
    try {
      const socket = via("from-env.test:80", { proxy: "env" });
      proxy.release();
      await socket.opened;
      await socket.end();
      expect((await proxy.received).head).toMatch(/^CONNECT from-env\.test:80 /);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });

  it.each([
    ["a malformed proxy URL", { proxy: "socks5://host:99999" }, "ERR_INVALID_ADDRESS"],
    ["an unsupported scheme", { proxy: "ftp://host:21" }, "ERR_INVALID_ARGUMENT"],
    [
      "a negative proxyTimeout",
      { proxy: "socks5://h:1", proxyTimeout: -1 },
      "ERR_INVALID_ARGUMENT",
    ],
    ["a malformed noProxy", { proxy: "socks5://h:1", noProxy: "a b!" }, "ERR_INVALID_ARGUMENT"],
  ] as const)("throws at call time for %s", (_what, options, code) => {
    expect(thrown(() => connect("target.test:7", options)).code).toBe(code);
  });

  it("throws ERR_INVALID_ARGUMENT at call time for SOCKS4 to an IPv6 address", () => {
    expect(thrown(() => connect("[::1]:7", { proxy: "socks4://h:1" })).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
  });
});

/** A CONNECT proxy that relays to 127.0.0.1:port, recording what crossed it towards the target. */
async function relayProxy(): Promise<{ url: string; upstream: () => Buffer }> {
  const sent: Buffer[] = [];
  const { port } = await rawPeer((client) => {
    let head = "";
    const onData = (chunk: Buffer): void => {
      head += chunk.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      client.off("data", onData);
      const match = /^CONNECT [^ ]*:(\d+) /.exec(head);
      const upstream = netConnect({ host: "127.0.0.1", port: Number(match?.[1]) }, () => {
        client.write("HTTP/1.1 200 OK\r\n\r\n");
        const early = Buffer.from(head.slice(end + 4), "latin1");
        if (early.length > 0) sent.push(early);
        upstream.write(early);
        client.on("data", (data: Buffer) => {
          sent.push(data);
          upstream.write(data);
        });
        upstream.pipe(client);
      });
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
    };
    client.on("data", onData);
  });
  return { url: `http://127.0.0.1:${port}`, upstream: () => Buffer.concat(sent) };
}

describe.skipIf(opensslPeer.path === undefined)("startTLS() through a proxy", () => {
  let certs: Certificates;
  beforeAll(async () => {
    certs = await makeCertificates();
  });
  afterAll(async () => {
    await cleanupCertificates();
  });

  it("asked for before the tunnel is up: earlier writes go in clear, later ones only through TLS", async () => {
    const server = await listen("127.0.0.1:0", async (socket) => {
      expect(await socket.readLine({ encoding: "utf8", timeout: 5000 })).toBe("STARTTLS");
      await socket.startTLS({ cert: certs.server.certPath, key: certs.server.keyPath });
      const secret = await socket.readLine({ encoding: "utf8", timeout: 5000 });
      await socket.send(`got ${secret}\n`);
      await socket.close();
    });
    try {
      const proxy = await relayProxy();
      const socket = via(`localhost:${server.port}`, { proxy: proxy.url });
      socket.write("STARTTLS\n");
      const upgraded = socket.startTLS({ ca: certs.ca.cert });
      socket.write("top secret\n");
      expect((await upgraded).tls?.authorized).toBe(true);
      expect(await socket.readLine({ encoding: "utf8", timeout: 5000 })).toBe("got top secret");
      const upstream = proxy.upstream();
      expect(upstream.subarray(0, 9).toString()).toBe("STARTTLS\n");
      expect(upstream.includes("top secret")).toBe(false); // never in clear
    } finally {
      await server.closeAll();
    }
  });
});
