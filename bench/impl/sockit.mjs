// sockit: the socket anchors workloads (W1-W5, ../shared/bench/anchors/README.md) and the TLS
// workloads W6/W7 (bench/README.md) written with sockit's public API, in the three styles
// users write. Both sides use sockit.
//
//   node --expose-gc bench/impl/sockit.mjs [--style iter|promise|tagged] server PORT WORKLOAD
//   node --expose-gc bench/impl/sockit.mjs [--style iter|promise|tagged] client PORT WORKLOAD
//
// The style may also come from SOCKIT_STYLE (the flag wins); default: promise.
//   iter     for await over socket.lines() / socket.frames() / the socket's chunks
//   promise  await socket.readLine() / readUntil() / readFrame() / readBytes() / readAvailable()
//   tagged   socket.read(delimiter | length, tag) and the 'read' event (hs.socket style)
//   online   socket.onLine(handler) / socket.onFrame(handler): a plain call per message
//   batch    for await over socket.lineBatches() / socket.frameBatches(): an array per read
// The online and batch styles are about message rate: W2, W3, W3c and W4 (bench/run.mjs).
// The bulk senders (W1/W2/W4 clients) are the same in every style: write() with 'drain'.
//
// Same protocol, constants, verification and RESULT lines as impl/node-net.mjs (the raw
// node:net reference, copied from the shared anchors harness) and, for W6/W7, impl/node-tls.mjs
// (the raw node:tls reference). Keep the constants identical: bench/run.mjs checks them
// before it runs. W6/W7 read the certificates from SOCKIT_BENCH_TLS (ca.pem, server.pem,
// server.key; see impl/node-tls.mjs) and want OPENSSL_CONF set as there (no session tickets).

// ---- workload parameters (keep identical in every implementation) ----------
const HOST = "127.0.0.1";
const W1_TOTAL_BYTES = 1024 * 1024 * 1024; // 1 GiB
const W1_CHUNK_BYTES = 64 * 1024; // client write size
const W2_LINES = 2_000_000;
const W2_LINE_CONTENT = 63; // bytes before the '\n'
const W2_BATCH_BYTES = 1024 * 1024; // client pre-built write buffer (16384 lines)
const W3_ROUNDTRIPS = 100_000;
const W3_MSG_BYTES = 32; // including the trailing '\n'
const W3C_CONNS = 16;
const W3C_ROUNDTRIPS_PER_CONN = 10_000;
const W4_FRAMES = 1_000_000;
const W4_MIN_PAYLOAD = 16;
const W4_MAX_PAYLOAD = 1024;
const W4_SEED = 0x2545f491;
const W4_BATCH_BYTES = 1024 * 1024; // client write size
const W5_CONNS = 5000;
const W5_CONNECT_WINDOW = 256; // max connections in flight (connect..reply) at once
const W6_TOTAL_BYTES = 256 * 1024 * 1024; // 256 MiB over TLS
const W6_CHUNK_BYTES = 64 * 1024; // client write size
const W7_HANDSHAKES = 750; // sequential TLS connections, one full handshake each

// ------------------------------------------------------------------------------

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

// sockit's public API from dist/; bench/run.mjs points SOCKIT_DIST at a snapshot of dist/
// taken when it starts, so that a rebuild during a run does not change what is measured.
const { connect, listen } = await import(
  process.env.SOCKIT_DIST ? pathToFileURL(process.env.SOCKIT_DIST).href : "../../dist/index.js"
);

const STYLES = ["iter", "promise", "tagged", "online", "batch"];
const args = process.argv.slice(2);
let style = process.env.SOCKIT_STYLE || "promise";
const positional = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--style") style = args[++i];
  else if (a.startsWith("--style=")) style = a.slice("--style=".length);
  else positional.push(a);
}
const [role, portArg, workload] = positional;
const PORT = Number(portArg);
const TARGET = `${HOST}:${PORT}`;
const NL = 10;

const now = () => Number(process.hrtime.bigint()) / 1e9;
const die = (msg) => {
  process.stderr.write(`FAIL sockit-${style} ${role} ${workload}: ${msg}\n`);
  process.exit(1);
};
const result = (obj) => process.stdout.write(`RESULT ${JSON.stringify(obj)}\n`);
const rssKiB = () => process.memoryUsage().rss / 1024;
const gc = () => {
  if (typeof globalThis.gc === "function") globalThis.gc();
};
const isEnd = (e) => e?.code === "ERR_END_OF_STREAM";
const fail = (e) => die(e?.stack || `${e?.code ?? ""} ${e?.message ?? String(e)}`);

if (!STYLES.includes(style)) die(`unknown style ${style} (one of ${STYLES.join(", ")})`);
if (!Number.isInteger(PORT) || PORT <= 0) die(`bad port ${portArg}`);

// W6/W7: TLS with the certificates bench/run.mjs made (a CA and a server certificate for
// "localhost"). The server gets file paths; the client reads the CA once (as node-tls does)
// and verifies the chain and the name "localhost" while it connects to 127.0.0.1.
const TLS_WORKLOAD = workload === "W6" || workload === "W7";
const TLS_DIR = process.env.SOCKIT_BENCH_TLS;
if (TLS_WORKLOAD && !TLS_DIR) die("SOCKIT_BENCH_TLS (the folder with the certificates) is not set");
const serverTls = () => ({
  cert: path.join(TLS_DIR, "server.pem"),
  key: path.join(TLS_DIR, "server.key"),
});
const CA = TLS_WORKLOAD ? fs.readFileSync(path.join(TLS_DIR, "ca.pem")) : null;
const clientTls = () => ({ ca: CA, verifyHost: "localhost" });

// Deterministic W4 payload sizes: 32-bit LCG, size = MIN + ((x >>> 8) % span).
function w4Sizes() {
  const sizes = new Uint16Array(W4_FRAMES);
  const span = W4_MAX_PAYLOAD - W4_MIN_PAYLOAD + 1;
  let x = W4_SEED >>> 0;
  let sum = 0;
  for (let i = 0; i < W4_FRAMES; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    sizes[i] = W4_MIN_PAYLOAD + ((x >>> 8) % span);
    sum += sizes[i];
  }
  return { sizes, sum };
}

// A standing tagged read of lines. A build from before `repeat` (an A/B baseline: it has no
// onLine() either, and ignores the option) re-arms the read per line instead.
function standingRead(socket) {
  if (typeof socket.onLine === "function") return socket.read("\n", LINE_TAG, { repeat: true });
  socket.prependListener("read", () => socket.read("\n", LINE_TAG));
  socket.read("\n", LINE_TAG);
}

// ---- server -------------------------------------------------------------------------
//
// Each handler returns a promise that settles when its reading is done; the count line of
// W1/W2/W4 is written by the caller. A tagged handler turns its events into that promise.

// W1: count bytes until EOF.
const W1_TAG = 1;
const countBytes = {
  async iter(socket) {
    let bytes = 0;
    for await (const chunk of socket) bytes += chunk.length;
    return { bytes };
  },
  async promise(socket) {
    let bytes = 0;
    for (;;) {
      const chunk = await socket.readAvailable();
      if (chunk.length === 0) break;
      bytes += chunk.length;
    }
    return { bytes };
  },
  tagged(socket) {
    return new Promise((resolve) => {
      let bytes = 0;
      socket.on("read", (data) => {
        bytes += data.length;
        socket.read(W1_CHUNK_BYTES, W1_TAG);
      });
      socket.on("readError", (e) => {
        if (isEnd(e)) resolve({ bytes });
        else if (e.code === "ERR_INCOMPLETE_READ") resolve({ bytes: bytes + e.partial.length });
        else fail(e);
      });
      socket.read(W1_CHUNK_BYTES, W1_TAG);
    });
  },
};

// W2: each line its own object; count lines and content bytes (without the line ending).
const LINE_TAG = 2;
const countLines = {
  async iter(socket) {
    let lines = 0,
      lineBytes = 0;
    for await (const line of socket.lines()) {
      lines++;
      lineBytes += line.length;
    } // ASCII: chars = bytes
    return { lines, lineBytes };
  },
  async promise(socket) {
    let lines = 0,
      lineBytes = 0;
    for (;;) {
      let line;
      try {
        line = await socket.readLine();
      } catch (e) {
        if (isEnd(e)) break;
        throw e;
      }
      lines++;
      lineBytes += line.length;
    }
    return { lines, lineBytes };
  },
  tagged(socket) {
    return new Promise((resolve) => {
      let lines = 0,
        lineBytes = 0;
      // A standing read (repeat): hs.socket's read loop without re-arming per line.
      socket.on("read", (line) => {
        lines++;
        lineBytes += line.length - 1; // the delimiter is included
      });
      socket.on("readError", (e) => (isEnd(e) ? resolve({ lines, lineBytes }) : fail(e)));
      standingRead(socket);
    });
  },
  online(socket) {
    return new Promise((resolve) => {
      let lines = 0,
        lineBytes = 0;
      socket.onLine(
        (line) => {
          lines++;
          lineBytes += line.length; // ASCII: chars = bytes
        },
        { onEnd: () => resolve({ lines, lineBytes }), onError: fail },
      );
    });
  },
  async batch(socket) {
    let lines = 0,
      lineBytes = 0;
    for await (const batch of socket.lineBatches()) {
      for (let i = 0; i < batch.length; i++) {
        lines++;
        lineBytes += batch[i].length;
      }
    }
    return { lines, lineBytes };
  },
};

// W3/W3c: echo each line as soon as it is complete, until EOF. Returns lines echoed.
const echoLines = {
  async iter(socket) {
    let n = 0;
    for await (const line of socket.lines()) {
      n++;
      socket.write(`${line}\n`);
    }
    return n;
  },
  async promise(socket) {
    let n = 0;
    for (;;) {
      let line;
      try {
        line = await socket.readUntil("\n");
      } catch (e) {
        if (isEnd(e)) break;
        throw e;
      }
      n++;
      socket.write(line);
    }
    return n;
  },
  tagged(socket) {
    return new Promise((resolve) => {
      let n = 0;
      socket.on("read", (line) => {
        n++;
        socket.write(line);
      });
      socket.on("readError", (e) => (isEnd(e) ? resolve(n) : fail(e)));
      standingRead(socket);
    });
  },
  online(socket) {
    return new Promise((resolve) => {
      let n = 0;
      socket.onLine(
        (line) => {
          n++;
          socket.write(`${line}\n`);
        },
        { onEnd: () => resolve(n), onError: fail },
      );
    });
  },
  async batch(socket) {
    let n = 0;
    for await (const batch of socket.lineBatches()) {
      n += batch.length;
      socket.write(`${batch.join("\n")}\n`);
    }
    return n;
  },
};

// W4: each frame (default codec: u32 BE length + payload) its own object.
const HEADER = 3,
  BODY = 4;
const countFrames = {
  async iter(socket) {
    let frames = 0,
      payloadBytes = 0;
    for await (const f of socket.frames()) {
      frames++;
      payloadBytes += f.length;
    }
    return { frames, payloadBytes };
  },
  async promise(socket) {
    let frames = 0,
      payloadBytes = 0;
    for (;;) {
      let f;
      try {
        f = await socket.readFrame();
      } catch (e) {
        if (isEnd(e)) break;
        throw e;
      }
      frames++;
      payloadBytes += f.length;
    }
    return { frames, payloadBytes };
  },
  tagged(socket) {
    // hs.socket style: read the 4-byte header, then exactly its length.
    return new Promise((resolve) => {
      let frames = 0,
        payloadBytes = 0;
      socket.on("read", (data, tag) => {
        if (tag === HEADER) {
          const len = data.readUInt32BE(0);
          if (len > 0) {
            socket.read(len, BODY);
            return;
          }
          data = data.subarray(4);
        }
        frames++;
        payloadBytes += data.length;
        socket.read(4, HEADER);
      });
      socket.on("readError", (e, tag) =>
        isEnd(e) && tag === HEADER ? resolve({ frames, payloadBytes }) : fail(e),
      );
      socket.read(4, HEADER);
    });
  },
  online(socket) {
    return new Promise((resolve) => {
      let frames = 0,
        payloadBytes = 0;
      socket.onFrame(
        (f) => {
          frames++;
          payloadBytes += f.length;
        },
        // It keeps no payload: views valid during the call suffice (no copy on a recycled read).
        { onEnd: () => resolve({ frames, payloadBytes }), onError: fail, transient: true },
      );
    });
  },
  async batch(socket) {
    let frames = 0,
      payloadBytes = 0;
    for await (const batch of socket.frameBatches()) {
      for (let i = 0; i < batch.length; i++) {
        frames++;
        payloadBytes += batch[i].length;
      }
    }
    return { frames, payloadBytes };
  },
};

// The message-rate styles read bulk bytes and single bytes as the iterator style does.
countBytes.online = countBytes.batch = countBytes.iter;

// W5: reply one byte to the one byte each connection sends.
const ONE_Y = Buffer.from("y");
const BYTE_TAG = 5;
const replyByte = {
  async iter(socket, onReply) {
    for await (const _chunk of socket) {
      socket.write(ONE_Y);
      onReply();
    }
  },
  async promise(socket, onReply) {
    await socket.readBytes(1);
    socket.write(ONE_Y);
    onReply();
  },
  tagged(socket, onReply) {
    socket.on("read", () => {
      socket.write(ONE_Y);
      onReply();
    });
    socket.read(1, BYTE_TAG);
  },
};
replyByte.online = replyByte.batch = replyByte.iter;

async function server() {
  const expectConns =
    workload === "W3c"
      ? W3C_CONNS
      : workload === "W5"
        ? W5_CONNS
        : workload === "W7"
          ? W7_HANDSHAKES
          : 1;
  let closed = 0,
    echoed = 0,
    w7Replies = 0,
    w5Got = 0,
    w5Before = 0,
    w5After = 0;
  let srv;
  const onAllClosed = () => {
    if (workload === "W3" || workload === "W3c") result({ lines: echoed });
    if (workload === "W5") result({ conns: w5Got, rssBeforeKiB: w5Before, rssAfterKiB: w5After });
    if (workload === "W7") result({ conns: closed, replies: w7Replies });
    process.exit(0);
  };
  // W1/W2/W4/W6 reply after the client's half-close, so those sockets allow half-open.
  const halfOpen = ["W1", "W2", "W4", "W6"].includes(workload);

  const handler = async (socket) => {
    socket.on("error", (e) => die(`socket error ${e.code} ${e.message}`));
    let t0 = 0;
    // W1/W2/W4/W6: the clock starts at the first byte received.
    if (halfOpen)
      socket.once("dataAvailable", () => {
        t0 = now();
      });
    const count = async (reader, line) => {
      const obj = await reader[style](socket);
      obj.seconds = now() - t0;
      // An accepted socket reads through 'data' (Node ignores onread for it); W2r/W4r
      // (impl/reverse.mjs) measure a client socket's recycled read buffer.
      obj.receivePath = "data";
      socket.write(line(obj));
      void socket.close();
      result(obj);
    };
    switch (workload) {
      case "W1":
        return count(countBytes, (o) => `${o.bytes}\n`);
      case "W6":
        return count(countBytes, (o) => {
          o.protocol = socket.info().tls?.protocol;
          return `${o.bytes}\n`;
        });
      case "W2":
        return count(countLines, (o) => `${o.lines} ${o.lineBytes}\n`);
      case "W4":
        return count(countFrames, (o) => `${o.frames} ${o.payloadBytes}\n`);
      case "W3":
      case "W3c": {
        const n = await echoLines[style](socket);
        echoed += n;
        await socket.close();
        return;
      }
      case "W5":
        return replyByte[style](socket, () => {
          if (++w5Got === W5_CONNS) {
            gc();
            w5After = rssKiB();
          }
        });
      case "W7": // reply, then the client's FIN closes the socket (allowHalfOpen false)
        return replyByte[style](socket, () => w7Replies++);
      default:
        die(`unknown workload ${workload}`);
    }
  };
  // A connection is done once its handler has finished and the socket has closed. W5 keeps
  // per-connection state to what a user writes (node-net has a 'close' listener).
  const onClosed = () => {
    if (++closed === expectConns) srv.close().then(onAllClosed, fail);
  };
  const onConnection = (socket) => {
    if (workload === "W5") {
      handler(socket).catch(fail);
      socket.on("close", onClosed);
    } else Promise.all([handler(socket), socket.closed]).then(onClosed, fail);
  };
  srv = await listen(
    TARGET,
    {
      backlog: 511,
      noDelay: true,
      allowHalfOpen: halfOpen,
      ...(TLS_WORKLOAD ? { tls: serverTls() } : {}),
    },
    onConnection,
  );
  srv.on("error", (e) => die(`server error ${e.code} ${e.message}`));
  gc();
  w5Before = rssKiB();
  process.stdout.write("READY\n");
}

// ---- client -------------------------------------------------------------------------

let tlsProtocol; // of the last TLS connection opened (every one is checked: verified)

async function open(options = {}) {
  const socket = connect(TARGET, { noDelay: true, ...options });
  socket.on("error", (e) => die(`socket error ${e.code} ${e.message}`));
  const info = await socket.opened;
  if (options.tls) {
    if (!info.tls?.authorized) die(`not authorized: ${info.tls?.authorizationError}`);
    tlsProtocol = info.tls.protocol;
  }
  return socket;
}

// One line from the socket, in the chosen style (the server's count line).
function readReplyLine(socket) {
  if (style === "iter") {
    return (async () => {
      for await (const line of socket.lines()) return line;
      return "";
    })();
  }
  if (style === "promise") return socket.readLine().then((b) => b.toString("latin1"));
  if (style === "online" || style === "batch") {
    return new Promise((resolve) => {
      const off = socket.onLine(
        (line) => {
          off();
          resolve(line);
        },
        { onError: fail },
      );
    });
  }
  return new Promise((resolve) => {
    socket.once("read", (data) => resolve(data.toString("latin1").trim()));
    socket.once("readError", fail);
    socket.read("\n", LINE_TAG);
  });
}

// Writes the [buffer, start, end] segments with backpressure ('drain'), half-closes and
// returns the server's one-line reply.
async function sendAllThenReply(segments, options = {}) {
  const socket = await open({ allowHalfOpen: true, ...options });
  await new Promise((resolve) => {
    let i = 0;
    const pump = () => {
      while (i < segments.length) {
        const [buf, s, e] = segments[i++];
        if (!socket.write(buf.subarray(s, e))) {
          socket.once("drain", pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
  await socket.end();
  const reply = await readReplyLine(socket);
  await socket.close();
  return reply.trim();
}

// W3/W3c: `perConn` sequential round trips on one socket, each echo checked byte for byte.
const pingPong = {
  async iter(socket, req, perConn) {
    const reqLine = req.subarray(0, req.length - 1).toString("latin1");
    let done = 0;
    socket.write(req);
    for await (const line of socket.lines()) {
      if (line !== reqLine) die(`bad echo ${JSON.stringify(line)}`);
      if (++done === perConn) break;
      socket.write(req);
    }
    return done;
  },
  async promise(socket, req, perConn) {
    let done = 0;
    for (; done < perConn; done++) {
      socket.write(req);
      const line = await socket.readUntil("\n");
      if (!line.equals(req)) die(`bad echo ${JSON.stringify(line.toString())}`);
    }
    return done;
  },
  tagged(socket, req, perConn) {
    return new Promise((resolve) => {
      let done = 0;
      socket.on("read", (line) => {
        if (!line.equals(req)) die(`bad echo ${JSON.stringify(line.toString())}`);
        if (++done === perConn) {
          resolve(done);
          return;
        }
        socket.write(req);
        socket.read("\n", LINE_TAG);
      });
      socket.on("readError", fail);
      socket.write(req);
      socket.read("\n", LINE_TAG);
    });
  },
  online(socket, req, perConn) {
    const reqLine = req.subarray(0, req.length - 1).toString("latin1");
    return new Promise((resolve) => {
      let done = 0;
      const off = socket.onLine(
        (line) => {
          if (line !== reqLine) die(`bad echo ${JSON.stringify(line)}`);
          if (++done === perConn) {
            off();
            resolve(done);
          } else socket.write(req);
        },
        { onError: fail },
      );
      socket.write(req);
    });
  },
  async batch(socket, req, perConn) {
    const reqLine = req.subarray(0, req.length - 1).toString("latin1");
    let done = 0;
    socket.write(req);
    for await (const batch of socket.lineBatches()) {
      for (const line of batch) if (line !== reqLine) die(`bad echo ${JSON.stringify(line)}`);
      done += batch.length;
      if (done >= perConn) break;
      socket.write(req);
    }
    return done;
  },
};

// W5: one byte back on an open socket; returns its length.
const awaitReply = {
  async iter(socket) {
    for await (const chunk of socket) return chunk.length;
    return 0;
  },
  async promise(socket) {
    return (await socket.readAvailable()).length;
  },
  tagged(socket) {
    return new Promise((resolve) => {
      socket.once("read", (data) => resolve(data.length));
      socket.once("readError", fail);
      socket.read(1, BYTE_TAG);
    });
  },
};
awaitReply.online = awaitReply.batch = awaitReply.iter;

async function client() {
  switch (workload) {
    case "W1": {
      const chunk = Buffer.alloc(W1_CHUNK_BYTES, 0x61);
      const segs = [];
      for (let off = 0; off < W1_TOTAL_BYTES; off += W1_CHUNK_BYTES)
        segs.push([chunk, 0, Math.min(W1_CHUNK_BYTES, W1_TOTAL_BYTES - off)]);
      const reply = await sendAllThenReply(segs);
      if (Number(reply) !== W1_TOTAL_BYTES)
        die(`server counted ${reply} bytes, expected ${W1_TOTAL_BYTES}`);
      result({ bytes: W1_TOTAL_BYTES });
      break;
    }
    case "W2": {
      const lineLen = W2_LINE_CONTENT + 1;
      const perBatch = Math.floor(W2_BATCH_BYTES / lineLen);
      const batch = Buffer.alloc(perBatch * lineLen);
      for (let i = 0; i < perBatch; i++) {
        batch.fill(0x41 + (i % 26), i * lineLen, i * lineLen + W2_LINE_CONTENT);
        batch[i * lineLen + W2_LINE_CONTENT] = NL;
      }
      const segs = [];
      for (let left = W2_LINES; left > 0; left -= perBatch)
        segs.push([batch, 0, Math.min(left, perBatch) * lineLen]);
      const reply = await sendAllThenReply(segs);
      const expect = `${W2_LINES} ${W2_LINES * W2_LINE_CONTENT}`;
      if (reply !== expect) die(`server replied "${reply}", expected "${expect}"`);
      result({ lines: W2_LINES });
      break;
    }
    case "W3":
    case "W3c": {
      const conns = workload === "W3" ? 1 : W3C_CONNS;
      const perConn = workload === "W3" ? W3_ROUNDTRIPS : W3C_ROUNDTRIPS_PER_CONN;
      const req = Buffer.alloc(W3_MSG_BYTES, 0x72);
      req[W3_MSG_BYTES - 1] = NL;
      const socks = await Promise.all(Array.from({ length: conns }, () => open()));
      const t0 = now();
      const counts = await Promise.all(socks.map((s) => pingPong[style](s, req, perConn)));
      const seconds = now() - t0;
      const roundtrips = counts.reduce((a, b) => a + b, 0);
      if (roundtrips !== conns * perConn)
        die(`${roundtrips} round trips, expected ${conns * perConn}`);
      await Promise.all(socks.map((s) => s.close()));
      result({ roundtrips, seconds });
      break;
    }
    case "W4": {
      const { sizes, sum } = w4Sizes();
      const buf = Buffer.allocUnsafe(sum + 4 * W4_FRAMES);
      let off = 0;
      for (let i = 0; i < W4_FRAMES; i++) {
        buf.writeUInt32BE(sizes[i], off);
        buf.fill(i & 0xff, off + 4, off + 4 + sizes[i]);
        off += 4 + sizes[i];
      }
      const segs = [];
      for (let s = 0; s < buf.length; s += W4_BATCH_BYTES)
        segs.push([buf, s, Math.min(buf.length, s + W4_BATCH_BYTES)]);
      const reply = await sendAllThenReply(segs);
      const expect = `${W4_FRAMES} ${sum}`;
      if (reply !== expect) die(`server replied "${reply}", expected "${expect}"`);
      result({ frames: W4_FRAMES, payloadBytes: sum });
      break;
    }
    case "W6": {
      const chunk = Buffer.alloc(W6_CHUNK_BYTES, 0x61);
      const segs = [];
      for (let off = 0; off < W6_TOTAL_BYTES; off += W6_CHUNK_BYTES)
        segs.push([chunk, 0, Math.min(W6_CHUNK_BYTES, W6_TOTAL_BYTES - off)]);
      const reply = await sendAllThenReply(segs, { tls: clientTls() });
      if (Number(reply) !== W6_TOTAL_BYTES)
        die(`server counted ${reply} bytes, expected ${W6_TOTAL_BYTES}`);
      result({ bytes: W6_TOTAL_BYTES, protocol: tlsProtocol, authorized: true });
      break;
    }
    case "W7": {
      // Sequential: connect, handshake (opened resolves after it, the server verified),
      // 1 byte each way, graceful close (resolves when both sides have closed).
      const one = Buffer.from("x");
      const tls = clientTls();
      let handshakes = 0;
      const t0 = now();
      for (let i = 0; i < W7_HANDSHAKES; i++) {
        const socket = await open({ tls });
        socket.write(one);
        const n = await awaitReply[style](socket);
        if (n !== 1) die(`expected 1 byte, got ${n}`);
        await socket.close();
        handshakes++;
      }
      const seconds = now() - t0;
      result({ handshakes, seconds, protocol: tlsProtocol, authorized: true });
      break;
    }
    case "W5": {
      const one = Buffer.from("x");
      const socks = [];
      const t0 = now();
      let started = 0;
      const openOne = async () => {
        const socket = connect(TARGET, { noDelay: true });
        socks.push(socket);
        socket.on("error", (e) => die(`socket error ${e.code} ${e.message}`));
        socket.write(one); // queued until connected
        const n = await awaitReply[style](socket);
        if (n !== 1) die(`expected 1 byte, got ${n}`);
      };
      const worker = async () => {
        while (started < W5_CONNS) {
          started++;
          await openOne();
        }
      };
      await Promise.all(Array.from({ length: W5_CONNECT_WINDOW }, worker));
      const establishSeconds = now() - t0;
      if (socks.length !== W5_CONNS) die(`opened ${socks.length} connections`);
      const extra = socks.filter((s) => s.info().bytesRead !== 1).length;
      if (extra) die(`${extra} connections received more or less than 1 byte`);
      await Promise.all(socks.map((s) => s.close()));
      result({ conns: socks.length, establishSeconds });
      break;
    }
    default:
      die(`unknown workload ${workload}`);
  }
}

if (role === "server") server().catch(fail);
else if (role === "client") client().catch(fail);
else die(`usage: sockit.mjs [--style ${STYLES.join("|")}] server|client PORT WORKLOAD`);
