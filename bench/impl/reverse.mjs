// W2r, W4r: W2's lines and W4's frames with the roles swapped, so that the receiver is a
// CLIENT socket (one that connected). Node's recycled read buffer (`onread`) works for client
// sockets only (accepted sockets ignore it), so W2/W4, where the server receives, measure
// sockit's 'data' path, and these two measure the recycled one.
//
//   node --expose-gc bench/impl/reverse.mjs --style node-net|online|iter server PORT W2r|W4r
//   node --expose-gc bench/impl/reverse.mjs --style node-net|online|iter client PORT W2r|W4r
//
// The server is the same raw node:net sender for every style: it accepts one connection,
// writes the stream exactly as the W2/W4 clients do (pre-built 1 MiB writes, 'drain'), then
// half-closes, and checks the count line the client sends back. The client receives, in
// the style asked for, from its first byte to EOF (its clock), then replies its counts,
// prints its RESULT and closes:
//   node-net  net.connect() + 'data' + the hand-rolled splitters of impl/node-net.mjs
//             (copied from the shared anchors' reference unchanged: Buffer views per line)
//   online    sockit connect() + socket.onLine / socket.onFrame (strings / Buffers; the frame
//             handler keeps nothing, so it takes { transient: true }: views of the read)
//   iter      sockit connect() + for await over socket.lines() / socket.frames()
// SOCKIT_RECEIVE_PATH=data turns sockit's recycled read buffer off (the 'data' path).

// ---- workload parameters (keep identical in every implementation) ----------
const HOST = "127.0.0.1";
const W2_LINES = 2_000_000;
const W2_LINE_CONTENT = 63; // bytes before the '\n'
const W2_BATCH_BYTES = 1024 * 1024; // pre-built write buffer (16384 lines)
const W4_FRAMES = 1_000_000;
const W4_MIN_PAYLOAD = 16;
const W4_MAX_PAYLOAD = 1024;
const W4_SEED = 0x2545f491;
const W4_BATCH_BYTES = 1024 * 1024; // write size

// ------------------------------------------------------------------------------

import net from "node:net";
import { pathToFileURL } from "node:url";

const STYLES = ["node-net", "online", "iter"];
const args = process.argv.slice(2);
let style = "node-net";
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--style") style = args[++i];
  else positional.push(args[i]);
}
const [role, portArg, workload] = positional;
const PORT = Number(portArg);
const NL = 10;
const now = () => Number(process.hrtime.bigint()) / 1e9;
const die = (msg) => {
  process.stderr.write(`FAIL reverse-${style} ${role} ${workload}: ${msg}\n`);
  process.exit(1);
};
const result = (obj) => process.stdout.write(`RESULT ${JSON.stringify(obj)}\n`);
const fail = (e) => die(e?.stack || `${e?.code ?? ""} ${e?.message ?? String(e)}`);
if (!STYLES.includes(style)) die(`unknown style ${style}`);
if (workload !== "W2r" && workload !== "W4r") die(`unknown workload ${workload}`);

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

// ---- server: the raw sender, the same for every style ---------------------------

function segments() {
  if (workload === "W2r") {
    const lineLen = W2_LINE_CONTENT + 1;
    const perBatch = Math.floor(W2_BATCH_BYTES / lineLen);
    const batch = Buffer.alloc(perBatch * lineLen);
    for (let i = 0; i < perBatch; i++) {
      batch.fill(0x41 + (i % 26), i * lineLen, i * lineLen + W2_LINE_CONTENT);
      batch[i * lineLen + W2_LINE_CONTENT] = NL;
    }
    const segs = [];
    for (let left = W2_LINES; left > 0; left -= perBatch)
      segs.push(batch.subarray(0, Math.min(left, perBatch) * lineLen));
    return { segs, expect: `${W2_LINES} ${W2_LINES * W2_LINE_CONTENT}` };
  }
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
    segs.push(buf.subarray(s, Math.min(buf.length, s + W4_BATCH_BYTES)));
  return { segs, expect: `${W4_FRAMES} ${sum}` };
}

function server() {
  const { segs, expect } = segments();
  const srv = net.createServer({ allowHalfOpen: true, noDelay: true }, (sock) => {
    sock.setNoDelay(true);
    sock.on("error", (e) => die(`socket error ${e.message}`));
    const reply = [];
    sock.on("data", (c) => reply.push(c));
    sock.on("end", () => {
      const got = Buffer.concat(reply).toString("latin1").trim();
      if (got !== expect) die(`client counted "${got}", expected "${expect}"`);
      sock.end();
      result(workload === "W2r" ? { sent: W2_LINES } : { sent: W4_FRAMES });
      srv.close(() => process.exit(0));
    });
    let i = 0;
    const pump = () => {
      while (i < segs.length) if (!sock.write(segs[i++])) return void sock.once("drain", pump);
      sock.end();
    };
    pump();
  });
  srv.on("error", (e) => die(`listen error ${e.message}`));
  srv.listen({ host: HOST, port: PORT, backlog: 511 }, () => process.stdout.write("READY\n"));
}

// ---- client: the receiver, in the style asked for -------------------------------

// impl/node-net.mjs's splitters (the same steps; the line loop without an assignment in its
// condition, for the linter): Buffer views per line and per frame.
function lineSplitter(onLine) {
  let rest = null;
  return (chunk) => {
    let start = 0;
    if (rest !== null) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) {
        rest = Buffer.concat([rest, chunk]);
        return;
      }
      onLine(Buffer.concat([rest, chunk.subarray(0, nl + 1)]));
      rest = null;
      start = nl + 1;
    }
    for (let nl = chunk.indexOf(NL, start); nl !== -1; nl = chunk.indexOf(NL, start)) {
      onLine(chunk.subarray(start, nl + 1));
      start = nl + 1;
    }
    if (start < chunk.length) rest = chunk.subarray(start);
  };
}

function frameSplitter(onFrame) {
  let pend = null;
  return (chunk) => {
    let off = 0;
    const n = chunk.length;
    if (pend !== null) {
      if (pend.length < 4) {
        const need = 4 - pend.length;
        if (n < need) {
          pend = Buffer.concat([pend, chunk]);
          return;
        }
        pend = Buffer.concat([pend, chunk.subarray(0, need)]);
        off = need;
      }
      const len = pend.readUInt32BE(0);
      const have = pend.length - 4;
      const need = len - have;
      if (n - off < need) {
        pend = Buffer.concat([pend, chunk.subarray(off)]);
        return;
      }
      const frame = Buffer.allocUnsafe(len);
      pend.copy(frame, 0, 4);
      chunk.copy(frame, have, off, off + need);
      onFrame(frame);
      off += need;
      pend = null;
    }
    while (n - off >= 4) {
      const len = chunk.readUInt32BE(off);
      if (n - off - 4 < len) break;
      onFrame(chunk.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    if (off < n) pend = chunk.subarray(off);
  };
}

/** Receives with raw node:net; resolves { count, bytes, seconds, sock }. */
function receiveRaw() {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port: PORT, allowHalfOpen: true, noDelay: true });
    sock.on("error", (e) => die(`socket error ${e.message}`));
    let count = 0,
      bytes = 0,
      t0 = 0;
    const split =
      workload === "W2r"
        ? lineSplitter((line) => {
            count++;
            bytes += line.length - 1;
          })
        : frameSplitter((f) => {
            count++;
            bytes += f.length;
          });
    sock.on("data", (c) => {
      if (t0 === 0) t0 = now();
      split(c);
    });
    sock.on("end", () => {
      const seconds = now() - t0;
      sock.end(`${count} ${bytes}\n`);
      resolve({ count, bytes, seconds, receivePath: "data" });
    });
  });
}

/** Receives with sockit in `style`; resolves { count, bytes, seconds }. */
async function receiveSockit() {
  const { connect } = await import(
    process.env.SOCKIT_DIST ? pathToFileURL(process.env.SOCKIT_DIST).href : "../../dist/index.js"
  );
  const socket = connect(`${HOST}:${PORT}`, { noDelay: true, allowHalfOpen: true });
  socket.on("error", (e) => die(`socket error ${e.code} ${e.message}`));
  let t0 = 0;
  socket.once("dataAvailable", () => {
    t0 = now();
  });
  let count = 0,
    bytes = 0;
  if (style === "online") {
    await new Promise((resolve) => {
      const options = { onEnd: resolve, onError: fail };
      if (workload === "W2r")
        socket.onLine((line) => {
          count++;
          bytes += line.length; // ASCII: chars = bytes
        }, options);
      // The handler keeps no payload, so it takes them as views of the recycled read buffer
      // (`transient`, no copy); SOCKIT_BENCH_COPY=1 measures the default (a copy per read).
      else
        socket.onFrame(
          (f) => {
            count++;
            bytes += f.length;
          },
          { ...options, transient: process.env.SOCKIT_BENCH_COPY !== "1" },
        );
    });
  } else if (workload === "W2r") {
    for await (const line of socket.lines()) {
      count++;
      bytes += line.length;
    }
  } else {
    for await (const f of socket.frames()) {
      count++;
      bytes += f.length;
    }
  }
  const seconds = now() - t0;
  socket.write(`${count} ${bytes}\n`);
  await socket.close();
  const receivePath = process.env.SOCKIT_RECEIVE_PATH === "data" ? "data" : "recycled";
  return { count, bytes, seconds, receivePath };
}

async function client() {
  const r = await (style === "node-net" ? receiveRaw() : receiveSockit());
  if (workload === "W2r")
    result({ lines: r.count, lineBytes: r.bytes, seconds: r.seconds, receivePath: r.receivePath });
  else
    result({
      frames: r.count,
      payloadBytes: r.bytes,
      seconds: r.seconds,
      receivePath: r.receivePath,
    });
}

if (role === "server") server();
else if (role === "client") client().catch(fail);
else die("usage: reverse.mjs --style STYLE server|client PORT W2r|W4r");
