/**
 * A sockit server behind a real nginx stream proxy (Debian's nginx with its stream module)
 * with `proxy_protocol on;` (nginx sends v1), on loopback: plain TCP, and a sockit TLS
 * server behind nginx's TCP passthrough.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../src/connect.js";
import { listen } from "../../src/listen.js";
import type { Server } from "../../src/server.js";
import type { Socket } from "../../src/socket.js";
import type { SocketInfo } from "../../src/socket-info.js";
import {
  type Certificates,
  cleanupCertificates,
  makeCertificates,
  opensslPeer,
} from "../helpers/certs.js";
import { startDaemon } from "../helpers/daemons.js";
import {
  findPeer,
  makeTempDir,
  type RunningProcess,
  runProcess,
  skipReason,
  type TempDir,
} from "../helpers/peers.js";

const nginx = findPeer("nginx", "nginx stream PROXY protocol", { sbin: true });
const STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";

/**
 * How this nginx gets its stream module: built in (""), loaded from Debian's
 * libnginx-mod-stream (a `load_module` line), or not at all (undefined).
 */
async function streamModule(path: string): Promise<string | undefined> {
  const { stderr } = await runProcess(path, ["-V"]);
  if (/--with-stream(\s|$)/.test(stderr)) return "";
  if (stderr.includes("--with-stream=dynamic") && existsSync(STREAM_MODULE)) {
    return `load_module ${STREAM_MODULE};`;
  }
  return undefined;
}

const loadStream = nginx.path === undefined ? undefined : await streamModule(nginx.path);
const skip =
  nginx.path === undefined
    ? nginx.skipReason
    : loadStream === undefined
      ? skipReason("nginx stream tests: no stream module (install libnginx-mod-stream)")
      : opensslPeer.path === undefined
        ? skipReason("nginx stream TLS tests: openssl is absent")
        : undefined;

function nginxConfig(dir: string, ports: number[], apps: { plain: number; tls: number }): string {
  return `${loadStream}
daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log stderr notice;
events { worker_connections 64; }
stream {
  server {
    listen 127.0.0.1:${ports[0]};
    proxy_pass 127.0.0.1:${apps.plain};
    proxy_protocol on;
  }
  server {
    listen 127.0.0.1:${ports[1]};
    proxy_pass 127.0.0.1:${apps.tls};
    proxy_protocol on;
  }
}
`;
}

describe.skipIf(skip !== undefined)("a sockit server behind nginx's stream proxy", () => {
  let temp: TempDir | undefined;
  let certs: Certificates;
  let daemon: RunningProcess | undefined;
  let ports: number[] = [];
  const servers: Server[] = [];
  const seen = new Map<string, SocketInfo>();
  const clients: Socket[] = [];

  async function recording(options: Parameters<typeof listen>[1]): Promise<Server> {
    const server = await listen("127.0.0.1:0", options ?? {}, async (socket) => {
      const line = await socket.readLine({ encoding: "utf8" });
      seen.set(line, socket.info());
      await socket.send("ok\n");
      await socket.close();
    });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    temp = await makeTempDir("nginx-stream");
    await mkdir(join(temp.path, "logs"));
    certs = await makeCertificates();
    const plain = await recording({ proxyProtocol: "v1" });
    const tls = await recording({
      proxyProtocol: "any",
      tls: { cert: certs.server.certPath, key: certs.server.keyPath },
    });
    const dir = temp.path;
    const configPath = join(dir, "nginx.conf");
    const args = ["-p", dir, "-c", configPath, "-e", "stderr"];
    const started = await startDaemon(nginx.path!, args, configPath, 2, (p) =>
      nginxConfig(dir, p, { plain: plain.port!, tls: tls.port! }),
    );
    daemon = started.process;
    ports = started.ports;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.destroy()));
  });

  afterAll(async () => {
    await daemon?.stop();
    await Promise.all(servers.map((s) => s.closeAll()));
    await cleanupCertificates();
    await temp?.cleanup();
  });

  async function through(port: number, id: string, options: Parameters<typeof connect>[1] = {}) {
    const client = connect(`127.0.0.1:${port}`, { connectTimeout: 5000, ...options });
    clients.push(client);
    client.write(`${id}\n`);
    expect(await client.readLine({ encoding: "utf8", timeout: 10_000 })).toBe("ok");
    return client.info();
  }

  it("proxy_protocol on: info() names the client, and proxy.via names nginx", async () => {
    const client = await through(ports[0]!, "plain");
    const info = seen.get("plain")!;
    expect(info.remoteAddress).toBe("127.0.0.1");
    expect(info.remotePort).toBe(client.localPort);
    expect(info.proxy).toMatchObject({
      version: 1,
      command: "PROXY",
      transport: "TCP4",
      destination: { family: "IPv4", address: "127.0.0.1", port: ports[0] },
    });
    const via = info.proxy?.via;
    expect(via?.family === "unix" ? undefined : via?.port).not.toBe(client.localPort);
  });

  it("a sockit TLS server behind nginx's TCP passthrough terminates TLS after the header", async () => {
    const client = await through(ports[1]!, "tls", {
      tls: { ca: certs.ca.cert, verifyHost: "localhost" },
    });
    const info = seen.get("tls")!;
    expect(info.secure).toBe(true);
    expect(info.remotePort).toBe(client.localPort);
    expect(info.proxy?.version).toBe(1);
  });
});
