/**
 * HTTP CONNECT: the request sockit writes, the parser of the proxy's reply, and the
 * exchange against scripted proxies on 127.0.0.1 (the real proxy, tinyproxy, is in
 * tests/peers/tinyproxy-connect.test.ts).
 */
import type { Socket as NetSocket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connect, ProxyError, type Socket } from "../../src/index.js";
import {
  connectRequest,
  MAX_CONNECT_RESPONSE_HEAD,
  parseConnectResponse,
} from "../../src/proxy/http-connect.js";
import { rejection } from "../helpers/errors.js";
import { rawPeer } from "../helpers/raw-peer.js";

const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
});

/** A proxy that reads the CONNECT head, then runs `answer` on the raw connection. */
async function scriptedProxy(
  answer: (socket: NetSocket, request: string) => void,
): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const { port } = await rawPeer((socket) => {
    let head = "";
    const onData = (chunk: Buffer): void => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      requests.push(head);
      answer(socket, head);
    };
    socket.on("data", onData);
  });
  return { url: `http://127.0.0.1:${port}`, requests };
}

function via(target: string, proxy: string, options: object = {}): Socket {
  const socket = connect(target, { proxy, ...options });
  sockets.push(socket);
  return socket;
}

describe("connectRequest", () => {
  it("asks for host:port with a Host header and no credentials", () => {
    expect(connectRequest("example.org", 443, undefined, undefined).toString()).toBe(
      "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n",
    );
  });

  it("brackets an IPv6 target and sends Basic credentials (RFC 7617)", () => {
    const request = connectRequest("::1", 8443, "Aladdin", "open sesame").toString();
    expect(request).toContain("CONNECT [::1]:8443 HTTP/1.1\r\n");
    expect(request).toContain("Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n");
  });
});

describe("parseConnectResponse", () => {
  const parse = (text: string) => parseConnectResponse(Buffer.from(text, "latin1"));

  it("reads the status, the reason and the headers, and where the head ends", () => {
    const reply = parse("HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\nTARGET");
    expect(reply).toMatchObject({ kind: "done", status: 200, reason: "Connection established" });
    expect(reply.kind === "done" && reply.length).toBe(
      "HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n".length,
    );
    expect(reply.kind === "done" && reply.headers).toEqual([["via", "test"]]);
  });

  it("accepts bare LF line endings and a status line without a reason", () => {
    expect(parse("HTTP/1.0 200\n\n")).toMatchObject({ kind: "done", status: 200, reason: "" });
  });

  it("needs more bytes until the blank line, whatever the chunking", () => {
    const full = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
    for (let cut = 0; cut < full.length; cut++) {
      expect(parse(full.slice(0, cut)).kind).toBe("more");
    }
    expect(parse(full).kind).toBe("done");
  });

  it("skips an interim 1xx reply", () => {
    const reply = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
    expect(reply).toMatchObject({ kind: "done", status: 200 });
  });

  it.each([
    ["a non-HTTP status line", "SSH-2.0-OpenSSH\r\n\r\n"],
    ["a three-letter status", "HTTP/1.1 2000 OK\r\n\r\n"],
    ["a header without a colon", "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n"],
  ])("is bad for %s", (_what, text) => {
    expect(parse(text).kind).toBe("bad");
  });

  it(`is bad once the head passes ${MAX_CONNECT_RESPONSE_HEAD} bytes without ending`, () => {
    const long = `HTTP/1.1 200 OK\r\nX: ${"a".repeat(MAX_CONNECT_RESPONSE_HEAD)}`;
    expect(parse(long.slice(0, MAX_CONNECT_RESPONSE_HEAD - 1)).kind).toBe("more");
    expect(parse(long)).toMatchObject({ kind: "bad" });
  });
});

describe("connect() through an HTTP proxy", () => {
  it("sends CONNECT with the target and delivers the bytes after the reply first", async () => {
    const proxy = await scriptedProxy((socket) => {
      // The reply and the target's first bytes in one segment.
      socket.write("HTTP/1.1 200 Connection established\r\n\r\nGREETING\n");
      socket.on("data", (chunk) => socket.write(chunk));
    });
    const socket = via("target.test:7", proxy.url);
    socket.write("ping\n");
    await socket.opened;
    expect(await socket.readLine({ encoding: "utf8" })).toBe("GREETING");
    expect(await socket.readLine({ encoding: "utf8" })).toBe("ping");
    expect(proxy.requests[0]).toMatch(
      /^CONNECT target\.test:7 HTTP\/1\.1\r\nHost: target\.test:7\r\n/,
    );
  });

  it("sends the URL's credentials as Basic Proxy-Authorization", async () => {
    const proxy = await scriptedProxy((socket) => socket.write("HTTP/1.1 200 OK\r\n\r\n"));
    const socket = via("target.test:7", proxy.url.replace("//", "//user:p%40ss@"));
    await socket.opened;
    const basic = Buffer.from("user:p@ss").toString("base64");
    expect(proxy.requests[0]).toContain(`Proxy-Authorization: Basic ${basic}\r\n`);
  });

  it("rejects with ERR_PROXY_REFUSED and status 403", async () => {
    const proxy = await scriptedProxy((socket) => socket.end("HTTP/1.1 403 Forbidden\r\n\r\n"));
    const error = await rejection(via("target.test:7", proxy.url).opened);
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({ code: "ERR_PROXY_REFUSED", status: 403 });
    expect(error.message).toContain("403 Forbidden");
  });

  it("rejects with ERR_PROXY_AUTH and status 407, quoting the challenge", async () => {
    const proxy = await scriptedProxy((socket) =>
      socket.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\n',
      ),
    );
    const error = await rejection(via("target.test:7", proxy.url).opened);
    expect(error).toMatchObject({ code: "ERR_PROXY_AUTH", status: 407 });
    expect(error.message).toContain('Basic realm="x"');
  });

  it("rejects a malformed reply with ERR_PROXY_RESPONSE", async () => {
    const proxy = await scriptedProxy((socket) => socket.write("220 smtp.example ESMTP\r\n\r\n"));
    const error = await rejection(via("target.test:7", proxy.url).opened);
    expect(error).toMatchObject({ code: "ERR_PROXY_RESPONSE" });
  });

  it("rejects an endless reply head with ERR_PROXY_RESPONSE once it passes 16 KiB", async () => {
    const proxy = await scriptedProxy((socket) =>
      socket.write(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(MAX_CONNECT_RESPONSE_HEAD + 10)}`),
    );
    const error = await rejection(via("target.test:7", proxy.url).opened);
    expect(error.code).toBe("ERR_PROXY_RESPONSE");
    expect(error.message).toContain(`${MAX_CONNECT_RESPONSE_HEAD} bytes`);
  });

  it("rejects with ERR_PROXY_RESPONSE when the proxy closes in the middle of its reply", async () => {
    const proxy = await scriptedProxy((socket) => socket.end("HTTP/1.1 200 OK\r\n"));
    const error = await rejection(via("target.test:7", proxy.url).opened);
    expect(error.code).toBe("ERR_PROXY_RESPONSE");
    expect(error.message).toContain("in the middle of its reply");
  });
});
