/**
 * SOCKS through the `socks` package, against scripted SOCKS servers on 127.0.0.1: what is
 * sent (remote DNS for SOCKS5 and SOCKS4a, a local lookup for SOCKS4), and how replies map
 * to coded errors. The real SOCKS5 server, dante, is in tests/peers/dante-socks.test.ts.
 */
import type { Socket as NetSocket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connect, ProxyError, type Socket } from "../../src/index.js";
import { rejection } from "../helpers/errors.js";
import { rawPeer } from "../helpers/raw-peer.js";

const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
});

function via(target: string, proxy: string): Socket {
  const socket = connect(target, { proxy, proxyTimeout: 5000 });
  sockets.push(socket);
  return socket;
}

/**
 * A SOCKS5 server without authentication: answers the greeting, records the CONNECT
 * request, and answers it with `reply` (a full reply, plus anything after it).
 */
async function socks5Server(reply: Buffer): Promise<{ port: number; requests: Buffer[] }> {
  const requests: Buffer[] = [];
  const { port } = await rawPeer((socket: NetSocket) => {
    let stage: "greeting" | "request" | "tunnel" = "greeting";
    let bytes = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (stage === "greeting" && bytes.length >= 2 && bytes.length >= 2 + (bytes[1] ?? 0)) {
        bytes = bytes.subarray(2 + (bytes[1] ?? 0));
        stage = "request";
        socket.write(Buffer.from([5, 0]));
      }
      if (stage === "request" && bytes.length >= 7) {
        requests.push(bytes);
        stage = "tunnel";
        socket.write(reply);
      }
    });
  });
  return { port, requests };
}

/** A SOCKS4 server: records the request (up to its last NUL) and answers `reply`. */
async function socks4Server(reply: Buffer): Promise<{ port: number; requests: Buffer[] }> {
  const requests: Buffer[] = [];
  const { port } = await rawPeer((socket: NetSocket) => {
    let bytes = Buffer.alloc(0);
    let answered = false;
    socket.on("data", (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const socks4a = bytes[4] === 0 && bytes[5] === 0 && bytes[6] === 0;
      const nuls = bytes.subarray(8).filter((b) => b === 0).length;
      if (!answered && bytes.length > 8 && nuls >= (socks4a ? 2 : 1)) {
        answered = true;
        requests.push(bytes);
        socket.write(reply);
      }
    });
  });
  return { port, requests };
}

/** A SOCKS5 reply: `code`, bound address 0.0.0.0:0. */
const reply5 = (code: number): Buffer => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
/** A SOCKS4 reply: `code` (90 granted). */
const reply4 = (code: number): Buffer => Buffer.from([0, code, 0, 0, 0, 0, 0, 0]);

describe("connect() through SOCKS", () => {
  it("sends the host name to a SOCKS5 proxy for it to resolve (remote DNS)", async () => {
    const proxy = await socks5Server(reply5(0));
    await via("only-the-proxy-knows.test:443", `socks5://127.0.0.1:${proxy.port}`).opened;
    const request = proxy.requests[0] ?? Buffer.alloc(0);
    expect([...request.subarray(0, 4)]).toEqual([5, 1, 0, 3]); // CONNECT, ATYP domain name
    const name = "only-the-proxy-knows.test";
    expect(request[4]).toBe(name.length);
    expect(request.subarray(5, 5 + name.length).toString()).toBe(name);
    expect(request.readUInt16BE(5 + name.length)).toBe(443);
  });

  it("sends the host name to a SOCKS4a proxy (0.0.0.1, then the name)", async () => {
    const proxy = await socks4Server(reply4(90));
    await via("named.test:8080", `socks4a://userid@127.0.0.1:${proxy.port}`).opened;
    const request = proxy.requests[0] ?? Buffer.alloc(0);
    expect([...request.subarray(0, 8)]).toEqual([4, 1, 0x1f, 0x90, 0, 0, 0, 1]);
    expect(request.subarray(8).toString("latin1")).toBe("userid\0named.test\0");
  });

  it("resolves the name itself for a SOCKS4 proxy, which carries only IPv4 addresses", async () => {
    const proxy = await socks4Server(reply4(90));
    await via("localhost:80", `socks4://127.0.0.1:${proxy.port}`).opened;
    const request = proxy.requests[0] ?? Buffer.alloc(0);
    expect([...request.subarray(0, 8)]).toEqual([4, 1, 0, 80, 127, 0, 0, 1]);
  });

  it("delivers the bytes that came with the proxy's reply before any other", async () => {
    const proxy = await socks5Server(Buffer.concat([reply5(0), Buffer.from("BANNER\n")]));
    const socket = via("banner.test:25", `socks5://127.0.0.1:${proxy.port}`);
    await socket.opened;
    expect(await socket.readLine({ encoding: "utf8", timeout: 5000 })).toBe("BANNER");
  });

  it.each([
    [1, "general SOCKS server failure"],
    [2, "not allowed by ruleset"],
    [4, "host unreachable"],
    [5, "connection refused"],
  ])("rejects SOCKS5 reply %d with ERR_PROXY_REFUSED and socksReply", async (code, text) => {
    const proxy = await socks5Server(reply5(code));
    const error = await rejection(via("x.test:1", `socks5://127.0.0.1:${proxy.port}`).opened);
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({ code: "ERR_PROXY_REFUSED", socksReply: code });
    expect(error.message).toContain(text);
  });

  it("rejects SOCKS4 reply 91 with ERR_PROXY_REFUSED and socksReply 91", async () => {
    const proxy = await socks4Server(reply4(91));
    const error = await rejection(via("x.test:1", `socks4a://127.0.0.1:${proxy.port}`).opened);
    expect(error).toMatchObject({ code: "ERR_PROXY_REFUSED", socksReply: 91 });
  });

  it("rejects a reply that is not SOCKS5 with ERR_PROXY_RESPONSE", async () => {
    const { port } = await rawPeer((socket) => {
      socket.once("data", () => socket.write("HTTP/1.1 400 Bad Request\r\n\r\n"));
    });
    const error = await rejection(via("x.test:1", `socks5://127.0.0.1:${port}`).opened);
    expect(error).toMatchObject({ code: "ERR_PROXY_RESPONSE" });
  });

  it("rejects with ERR_PROXY_RESPONSE when the proxy closes during the handshake", async () => {
    const { port } = await rawPeer((socket) => {
      socket.once("data", () => socket.end());
    });
    const error = await rejection(via("x.test:1", `socks5://127.0.0.1:${port}`).opened);
    expect(error).toMatchObject({ code: "ERR_PROXY_RESPONSE" });
    expect(error.message).toContain("closed the connection");
  });
});
