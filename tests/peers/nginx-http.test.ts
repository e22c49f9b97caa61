/**
 * hs.socket's tagged HTTP client (seed 004), run against a real nginx on 127.0.0.1 that
 * serves a 1 MiB file of pseudo-random bytes, and the same client in promise style.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect, type Socket, SocketError } from "../../src/index.js";
import {
  findPeer,
  freePort,
  makeTempDir,
  type RunningProcess,
  startProcess,
  type TempDir,
  waitForPort,
} from "../helpers/peers.js";

const nginx = findPeer("nginx", "nginx", { sbin: true });

const FILE_SIZE = 1024 * 1024;
/** Every read in this file gives up after this long, so a stuck read fails with a reason. */
const READ_TIMEOUT = 10_000;
const REQUEST_FILE = "GET /file.bin HTTP/1.0\r\nHost: localhost\r\n\r\n";

/** Reproducible pseudo-random bytes (xorshift32): a failure can be replayed byte for byte. */
function pseudoRandomBytes(length: number, seed = 0x5eed_c0de): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

function nginxConfig(dir: string, port: number): string {
  const at = (name: string): string => join(dir, name);
  return `daemon off;
master_process off;
worker_processes 1;
pid ${at("nginx.pid")};
error_log stderr notice;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${at("client_body")};
  proxy_temp_path ${at("proxy")};
  fastcgi_temp_path ${at("fastcgi")};
  uwsgi_temp_path ${at("uwsgi")};
  scgi_temp_path ${at("scgi")};
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${at("www")};
  }
}
`;
}

/** The Content-Length of a response header, matched as the seed does (`\r\nContent-Length: N\r\n`). */
function contentLength(header: string): number {
  const match = /\r\nContent-Length: (\d+)\r\n/.exec(header);
  if (match?.[1] === undefined) throw new Error(`no Content-Length in ${JSON.stringify(header)}`);
  return Number(match[1]);
}

describe.skipIf(nginx.path === undefined)("an HTTP client on sockit against a real nginx", () => {
  let temp: TempDir | undefined;
  let server: RunningProcess | undefined;
  let port = 0;
  let file: Buffer = Buffer.alloc(0);
  const sockets: Socket<unknown>[] = [];

  /** Connects to nginx; the socket is destroyed after the test whatever happens. */
  function open<Tag = unknown>(): Socket<Tag> {
    const socket = connect<Tag>(`127.0.0.1:${port}`, { connectTimeout: 5000 });
    sockets.push(socket as Socket<unknown>);
    return socket;
  }

  beforeAll(async () => {
    temp = await makeTempDir("nginx");
    const www = join(temp.path, "www");
    await mkdir(www);
    file = pseudoRandomBytes(FILE_SIZE);
    await writeFile(join(www, "file.bin"), file);
    const configPath = join(temp.path, "nginx.conf");
    // The free port may be taken between our probe and nginx's bind: try a few.
    for (let attempt = 1; attempt <= 3; attempt++) {
      port = await freePort();
      await writeFile(configPath, nginxConfig(temp.path, port));
      server = startProcess(nginx.path!, ["-p", temp.path, "-c", configPath, "-e", "stderr"]);
      try {
        const running = server;
        await waitForPort("127.0.0.1", port, { stillRunning: () => !running.exited() });
        return;
      } catch (error) {
        const stderr = server.stderr();
        await server.stop();
        if (attempt === 3 || !stderr.includes("Address already in use")) {
          throw new Error(`nginx did not start: ${String(error)}\n${stderr}`);
        }
      }
    }
  });

  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
  });

  afterAll(async () => {
    await server?.stop();
    await temp?.cleanup();
  });

  it("fetches a 1 MiB file byte for byte with tagged reads, as in the hs.socket example", async () => {
    const TAG_HTTP_HEADER = 1;
    const TAG_HTTP_CONTENT = 2;
    const client = open<number>();
    const response = new Promise<{ header: string; body: Buffer }>((resolve, reject) => {
      let header = "";
      client.on("read", (data, tag) => {
        if (tag === TAG_HTTP_HEADER) {
          header = data.toString("latin1");
          client.read(contentLength(header), TAG_HTTP_CONTENT, { timeout: READ_TIMEOUT });
        } else if (tag === TAG_HTTP_CONTENT) {
          resolve({ header, body: data });
        }
      });
      client.on("readError", (error, tag) =>
        reject(new Error(`read ${tag} failed`, { cause: error })),
      );
      void client.closed.then((info) =>
        reject(new Error(`closed before the body arrived: ${JSON.stringify(info)}`)),
      );
    });
    client.write(REQUEST_FILE);
    client.read("\r\n\r\n", TAG_HTTP_HEADER, { timeout: READ_TIMEOUT });

    const { header, body } = await response;
    expect(header).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
    expect(header.endsWith("\r\n\r\n")).toBe(true);
    expect(contentLength(header)).toBe(FILE_SIZE);
    expect(body.length).toBe(FILE_SIZE);
    expect(body.equals(file)).toBe(true);
  });

  it("fetches a 1 MiB file byte for byte with readUntil then readBytes", async () => {
    const client = open();
    client.write(REQUEST_FILE);
    const header = (await client.readUntil("\r\n\r\n", { timeout: READ_TIMEOUT })).toString(
      "latin1",
    );
    expect(header).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
    const length = contentLength(header);
    expect(length).toBe(FILE_SIZE);
    const body = await client.readBytes(length, { timeout: READ_TIMEOUT });
    expect(body.equals(file)).toBe(true);
  });

  it("reads a 404 response for a missing file, header and body", async () => {
    const client = open();
    client.write("GET /missing.bin HTTP/1.0\r\nHost: localhost\r\n\r\n");
    const header = (await client.readUntil("\r\n\r\n", { timeout: READ_TIMEOUT })).toString(
      "latin1",
    );
    expect(header).toMatch(/^HTTP\/1\.[01] 404 Not Found\r\n/);
    const body = await client.readBytes(contentLength(header), { timeout: READ_TIMEOUT });
    expect(body.toString("latin1")).toContain("404 Not Found");
  });

  it("resolves closed without error once nginx ends an HTTP/1.0 response, and a further readBytes rejects with ERR_END_OF_STREAM", async () => {
    const client = open();
    let ended = false;
    client.on("end", () => {
      ended = true;
    });
    await client.opened;
    client.write(REQUEST_FILE);
    const header = (await client.readUntil("\r\n\r\n", { timeout: READ_TIMEOUT })).toString(
      "latin1",
    );
    expect(header).toContain("\r\nConnection: close\r\n");
    const body = await client.readBytes(contentLength(header), { timeout: READ_TIMEOUT });
    expect(body.equals(file)).toBe(true);

    const info = await client.closed;
    expect(info).toEqual({ hadError: false });
    expect(ended).toBe(true);
    expect(client.connected).toBe(false);
    expect(client.available).toBe(0);

    const after = client.readBytes(1, { timeout: READ_TIMEOUT });
    await expect(after).rejects.toBeInstanceOf(SocketError);
    await expect(after).rejects.toMatchObject({ code: "ERR_END_OF_STREAM" });
  });
});
