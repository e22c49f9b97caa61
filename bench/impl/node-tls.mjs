// node-tls: the raw `node:tls` reference for the TLS workloads W6 and W7 (what a user writes
// by hand with tls.createServer() and tls.connect()), the TLS counterpart of node-net.mjs.
// Not from the shared anchors harness (it has no TLS workloads): written here, to the same
// protocol, verification and RESULT lines. Do not optimise it beyond what a user writes.
//
//   SOCKIT_BENCH_TLS=DIR OPENSSL_CONF=DIR/openssl.cnf node impl/node-tls.mjs [--style await] server PORT WORKLOAD
//   SOCKIT_BENCH_TLS=DIR OPENSSL_CONF=DIR/openssl.cnf node impl/node-tls.mjs client PORT WORKLOAD
//
// WORKLOAD is W6 or W7. DIR holds ca.pem, server.pem and server.key (made by bench/run.mjs;
// `node bench/run.mjs --certs DIR` makes them for a run by hand). The client trusts only
// ca.pem and checks the name "localhost" while it connects to 127.0.0.1. OPENSSL_CONF sets
// NumTickets = 0, so that no side issues or holds a session ticket: every handshake is full.
//
//   W6  the client writes W6_TOTAL_BYTES in W6_CHUNK_BYTES writes and half-closes; the
//       server counts bytes to EOF (timed from its first byte) and replies "<bytes>\n".
//   W7  W7_HANDSHAKES sequential connections: connect, full handshake, 1 byte each way,
//       close (timed by the client, first connect to last close).

// ---- workload parameters (keep identical in every implementation) ----------
const HOST = "127.0.0.1";
const W6_TOTAL_BYTES = 256 * 1024 * 1024; // 256 MiB
const W6_CHUNK_BYTES = 64 * 1024; // client write size
const W7_HANDSHAKES = 750; // sequential connections, one full handshake each

// ------------------------------------------------------------------------------

import fs from "node:fs";
import path from "node:path";
import tls from "node:tls";

// `--style await` (W6's server only): the chunks read with `for await` over the TLS socket,
// what a user writes by hand for an awaited read loop with no library (await-floor.mjs).
const args = process.argv.slice(2);
const styleAt = args.indexOf("--style");
const style = styleAt < 0 ? "callbacks" : args.splice(styleAt, 2)[1];
const [role, portArg, workload] = args;
const PORT = Number(portArg);
const DIR = process.env.SOCKIT_BENCH_TLS;

const now = () => Number(process.hrtime.bigint()) / 1e9;
const die = (msg) => {
  process.stderr.write(`FAIL node-tls ${role} ${workload}: ${msg}\n`);
  process.exit(1);
};
const result = (obj) => process.stdout.write(`RESULT ${JSON.stringify(obj)}\n`);

if (style !== "callbacks" && (style !== "await" || role !== "server" || workload !== "W6"))
  die(`--style ${style}: only --style await, for W6's server`);
if (!DIR) die("SOCKIT_BENCH_TLS (the folder with ca.pem, server.pem, server.key) is not set");
if (!Number.isInteger(PORT) || PORT <= 0) die(`bad port ${portArg}`);
const pem = (name) => fs.readFileSync(path.join(DIR, name));

// ---- server -----------------------------------------------------------------------

function server() {
  const expectConns = workload === "W7" ? W7_HANDSHAKES : 1;
  let closed = 0,
    replies = 0;
  const srv = tls.createServer({
    cert: pem("server.pem"),
    key: pem("server.key"),
    allowHalfOpen: workload === "W6", // W6 replies after the client's half-close
    noDelay: true,
  });
  const onAllClosed = () => {
    if (workload === "W7") result({ conns: closed, replies });
    process.exit(0);
  };
  srv.on("secureConnection", (sock) => {
    sock.setNoDelay(true);
    sock.on("error", (e) => die(`socket error ${e.code} ${e.message}`));
    sock.on("close", () => {
      if (++closed === expectConns) srv.close(onAllClosed);
    });
    switch (workload) {
      case "W6": {
        let bytes = 0,
          t0 = 0;
        if (style === "await") {
          (async () => {
            // destroyOnReturn: false, or the loop's end destroys the socket before the reply.
            for await (const c of sock.iterator({ destroyOnReturn: false })) {
              if (bytes === 0) t0 = now();
              bytes += c.length;
            }
            const seconds = now() - t0;
            sock.end(`${bytes}\n`);
            result({ bytes, seconds, protocol: sock.getProtocol() });
          })().catch((e) => die(`read error ${e.code} ${e.message}`));
          break;
        }
        sock.on("data", (c) => {
          if (bytes === 0) t0 = now();
          bytes += c.length;
        });
        sock.on("end", () => {
          const seconds = now() - t0;
          sock.end(`${bytes}\n`);
          result({ bytes, seconds, protocol: sock.getProtocol() });
        });
        break;
      }
      case "W7": {
        const one = Buffer.from("y");
        sock.on("data", (d) => {
          if (d.length !== 1) die(`expected 1 byte, got ${d.length}`);
          replies++;
          sock.write(one);
        }); // the client's FIN ends this side too (allowHalfOpen false)
        break;
      }
      default:
        die(`unknown workload ${workload}`);
    }
  });
  srv.on("tlsClientError", (e) => die(`TLS client error ${e.code} ${e.message}`));
  srv.on("error", (e) => die(`listen error ${e.message}`));
  srv.listen({ host: HOST, port: PORT, backlog: 511 }, () => process.stdout.write("READY\n"));
}

// ---- client -----------------------------------------------------------------------

const ca = DIR ? pem("ca.pem") : null;
let tickets = 0,
  resumed = 0;

// Resolves with the socket once the handshake is done and the server verified (CA and name).
function connect(allowHalfOpen) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host: HOST,
      port: PORT,
      servername: "localhost",
      ca,
      allowHalfOpen,
      noDelay: true,
    });
    sock.setNoDelay(true);
    sock.on("session", () => tickets++); // none expected (NumTickets = 0)
    sock.once("secureConnect", () => {
      if (!sock.authorized) die(`not authorized: ${sock.authorizationError}`);
      if (sock.isSessionReused()) resumed++;
      resolve(sock);
    });
    sock.once("error", reject);
  });
}

async function client() {
  switch (workload) {
    case "W6": {
      const sock = await connect(true);
      sock.on("error", (e) => die(`socket error ${e.message}`));
      const protocol = sock.getProtocol();
      const replyChunks = [];
      sock.on("data", (c) => replyChunks.push(c));
      const ended = new Promise((r) => sock.on("end", r));
      const chunk = Buffer.alloc(W6_CHUNK_BYTES, 0x61);
      await new Promise((resolve) => {
        let left = W6_TOTAL_BYTES;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(W6_CHUNK_BYTES, left);
            left -= n;
            if (!sock.write(n === W6_CHUNK_BYTES ? chunk : chunk.subarray(0, n))) {
              sock.once("drain", pump);
              return;
            }
          }
          resolve();
        };
        pump();
      });
      sock.end();
      await ended;
      sock.destroy();
      const reply = Buffer.concat(replyChunks).toString("latin1").trim();
      if (Number(reply) !== W6_TOTAL_BYTES)
        die(`server counted ${reply} bytes, expected ${W6_TOTAL_BYTES}`);
      result({ bytes: W6_TOTAL_BYTES, protocol, authorized: true, tickets, resumed });
      break;
    }
    case "W7": {
      const one = Buffer.from("x");
      let protocol = null,
        handshakes = 0;
      const t0 = now();
      for (let i = 0; i < W7_HANDSHAKES; i++) {
        const sock = await connect(false);
        if (i === 0) protocol = sock.getProtocol();
        await new Promise((resolve) => {
          sock.on("error", (e) => die(`socket error ${e.message}`));
          sock.once("data", (d) => {
            if (d.length !== 1) die(`expected 1 byte, got ${d.length}`);
            sock.end();
          });
          sock.on("close", resolve);
          sock.write(one);
        });
        handshakes++;
      }
      const seconds = now() - t0;
      result({ handshakes, seconds, protocol, authorized: true, tickets, resumed });
      break;
    }
    default:
      die(`unknown workload ${workload}`);
  }
}

if (role === "server") server();
else if (role === "client") client().catch((e) => die(e.stack || String(e)));
else die("usage: node-tls.mjs server|client PORT WORKLOAD");
