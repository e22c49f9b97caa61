// Copied verbatim (below this header) from ../shared/bench/anchors/impl/node-net.mjs, the shared
// socket anchors harness (this project's own shared material), so that `npm run bench`
// needs nothing beyond `npm ci`. Do not optimise it: it is the reference.
// The workload constants (and the protocol) must stay identical to the shared file, to
// bench/impl/sockit.mjs and to bench/run.mjs; bench/run.mjs checks them before it runs.
//
// node-net: Node `net` with hand-rolled, efficient framing (leftover buffer,
// Buffer.indexOf for lines, readUInt32BE for length prefixes).
//
//   node --expose-gc impl/node-net.mjs server PORT WORKLOAD
//   node --expose-gc impl/node-net.mjs client PORT WORKLOAD
//
// WORKLOAD is one of W1 W2 W3 W3c W4 W5. See ../README.md for the protocol.

// ---- workload parameters (keep identical in every implementation) ----------
const HOST = '127.0.0.1';
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
// ------------------------------------------------------------------------------

import net from 'node:net';

const [role, portArg, workload] = process.argv.slice(2);
const PORT = Number(portArg);
const NL = 10;

const now = () => Number(process.hrtime.bigint()) / 1e9;
const die = (msg) => { process.stderr.write(`FAIL node-net ${role} ${workload}: ${msg}\n`); process.exit(1); };
const result = (obj) => process.stdout.write(`RESULT ${JSON.stringify(obj)}\n`);
const rssKiB = () => process.memoryUsage().rss / 1024;
const gc = () => { if (typeof globalThis.gc === 'function') globalThis.gc(); };

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

// ---- hand-rolled framing ------------------------------------------------------

// Calls onLine(buf) for every complete line, buf includes the trailing '\n'.
// Lines inside a chunk are zero-copy subarrays; only a line that straddles two
// chunks is copied.
function lineSplitter(onLine) {
  let rest = null;
  return (chunk) => {
    let start = 0;
    if (rest !== null) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) { rest = Buffer.concat([rest, chunk]); return; }
      onLine(Buffer.concat([rest, chunk.subarray(0, nl + 1)]));
      rest = null;
      start = nl + 1;
    }
    let nl;
    while ((nl = chunk.indexOf(NL, start)) !== -1) {
      onLine(chunk.subarray(start, nl + 1));
      start = nl + 1;
    }
    if (start < chunk.length) rest = chunk.subarray(start);
  };
}

// Calls onFrame(payload) for every complete [u32be length][payload] frame.
// Frames inside a chunk are zero-copy subarrays; a straddling frame is copied once.
function frameSplitter(onFrame) {
  let pend = null; // header and maybe part of the payload of a straddling frame
  return (chunk) => {
    let off = 0;
    const n = chunk.length;
    if (pend !== null) {
      if (pend.length < 4) {
        const need = 4 - pend.length;
        if (n < need) { pend = Buffer.concat([pend, chunk]); return; }
        pend = Buffer.concat([pend, chunk.subarray(0, need)]);
        off = need;
      }
      const len = pend.readUInt32BE(0);
      const have = pend.length - 4;
      const need = len - have;
      if (n - off < need) { pend = Buffer.concat([pend, chunk.subarray(off)]); return; }
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

// ---- server -----------------------------------------------------------------------

function server() {
  const expectConns = workload === 'W3c' ? W3C_CONNS : workload === 'W5' ? W5_CONNS : 1;
  let closed = 0;
  let echoed = 0;
  let w5Got = 0;
  let w5Before = 0;
  let w5After = 0;
  const srv = net.createServer({ allowHalfOpen: true, noDelay: true });

  const onAllClosed = () => {
    if (workload === 'W3' || workload === 'W3c') result({ lines: echoed });
    if (workload === 'W5') result({ conns: w5Got, rssBeforeKiB: w5Before, rssAfterKiB: w5After });
    process.exit(0);
  };

  srv.on('connection', (sock) => {
    sock.setNoDelay(true);
    sock.on('error', (e) => die(`socket error ${e.message}`));
    sock.on('close', () => { if (++closed === expectConns) srv.close(onAllClosed); });
    let t0 = 0;
    const reply = (line, obj) => {
      const t1 = now();
      obj.seconds = t1 - t0;
      sock.end(line);
      result(obj);
    };
    switch (workload) {
      case 'W1': {
        let bytes = 0;
        sock.on('data', (c) => { if (bytes === 0) t0 = now(); bytes += c.length; });
        sock.on('end', () => reply(`${bytes}\n`, { bytes }));
        break;
      }
      case 'W2': {
        let lines = 0, lineBytes = 0;
        const split = lineSplitter((line) => { lines++; lineBytes += line.length - 1; });
        sock.on('data', (c) => { if (t0 === 0) t0 = now(); split(c); });
        sock.on('end', () => reply(`${lines} ${lineBytes}\n`, { lines, lineBytes }));
        break;
      }
      case 'W3':
      case 'W3c': {
        sock.on('data', lineSplitter((line) => { echoed++; sock.write(line); }));
        sock.on('end', () => sock.end());
        break;
      }
      case 'W4': {
        let frames = 0, payloadBytes = 0;
        const split = frameSplitter((f) => { frames++; payloadBytes += f.length; });
        sock.on('data', (c) => { if (t0 === 0) t0 = now(); split(c); });
        sock.on('end', () => reply(`${frames} ${payloadBytes}\n`, { frames, payloadBytes }));
        break;
      }
      case 'W5': {
        const one = Buffer.from('y');
        sock.on('data', () => {
          sock.write(one);
          if (++w5Got === W5_CONNS) { gc(); w5After = rssKiB(); }
        });
        sock.on('end', () => sock.end());
        break;
      }
      default: die(`unknown workload ${workload}`);
    }
  });
  srv.on('error', (e) => die(`listen error ${e.message}`));
  srv.listen({ host: HOST, port: PORT, backlog: 511 }, () => {
    gc();
    w5Before = rssKiB();
    process.stdout.write('READY\n');
  });
}

// ---- client -----------------------------------------------------------------------

function connect() {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: HOST, port: PORT, allowHalfOpen: true, noDelay: true });
    sock.once('connect', () => { sock.setNoDelay(true); resolve(sock); });
    sock.once('error', reject);
  });
}

// Write the list of [buffer, start, end] segments with backpressure, then half-close
// and return the server's one-line reply.
async function sendAllThenReply(segments) {
  const sock = await connect();
  sock.on('error', (e) => die(`socket error ${e.message}`));
  const replyChunks = [];
  sock.on('data', (c) => replyChunks.push(c));
  const ended = new Promise((r) => sock.on('end', r));
  await new Promise((resolve) => {
    let i = 0;
    const pump = () => {
      while (i < segments.length) {
        const [buf, s, e] = segments[i++];
        if (!sock.write(buf.subarray(s, e))) { sock.once('drain', pump); return; }
      }
      resolve();
    };
    pump();
  });
  sock.end();
  await ended;
  sock.destroy();
  return Buffer.concat(replyChunks).toString('latin1').trim();
}

async function client() {
  switch (workload) {
    case 'W1': {
      const chunk = Buffer.alloc(W1_CHUNK_BYTES, 0x61);
      const segs = [];
      for (let off = 0; off < W1_TOTAL_BYTES; off += W1_CHUNK_BYTES) segs.push([chunk, 0, Math.min(W1_CHUNK_BYTES, W1_TOTAL_BYTES - off)]);
      const reply = await sendAllThenReply(segs);
      if (Number(reply) !== W1_TOTAL_BYTES) die(`server counted ${reply} bytes, expected ${W1_TOTAL_BYTES}`);
      result({ bytes: W1_TOTAL_BYTES });
      break;
    }
    case 'W2': {
      const lineLen = W2_LINE_CONTENT + 1;
      const perBatch = Math.floor(W2_BATCH_BYTES / lineLen);
      const batch = Buffer.alloc(perBatch * lineLen);
      for (let i = 0; i < perBatch; i++) {
        batch.fill(0x41 + (i % 26), i * lineLen, i * lineLen + W2_LINE_CONTENT);
        batch[i * lineLen + W2_LINE_CONTENT] = NL;
      }
      const segs = [];
      for (let left = W2_LINES; left > 0; left -= perBatch) segs.push([batch, 0, Math.min(left, perBatch) * lineLen]);
      const reply = await sendAllThenReply(segs);
      const expect = `${W2_LINES} ${W2_LINES * W2_LINE_CONTENT}`;
      if (reply !== expect) die(`server replied "${reply}", expected "${expect}"`);
      result({ lines: W2_LINES });
      break;
    }
    case 'W3':
    case 'W3c': {
      const conns = workload === 'W3' ? 1 : W3C_CONNS;
      const perConn = workload === 'W3' ? W3_ROUNDTRIPS : W3C_ROUNDTRIPS_PER_CONN;
      const req = Buffer.alloc(W3_MSG_BYTES, 0x72);
      req[W3_MSG_BYTES - 1] = NL;
      const socks = await Promise.all(Array.from({ length: conns }, connect));
      const t0 = now();
      await Promise.all(socks.map((sock) => new Promise((resolve) => {
        let done = 0;
        sock.on('error', (e) => die(`socket error ${e.message}`));
        sock.on('data', lineSplitter((line) => {
          if (!line.equals(req)) die(`bad echo ${JSON.stringify(line.toString())}`);
          if (++done < perConn) sock.write(req);
          else resolve();
        }));
        sock.write(req);
      })));
      const seconds = now() - t0;
      const roundtrips = conns * perConn;
      await Promise.all(socks.map((s) => new Promise((r) => { s.on('close', r); s.end(); })));
      result({ roundtrips, seconds });
      break;
    }
    case 'W4': {
      const { sizes, sum } = w4Sizes();
      const buf = Buffer.allocUnsafe(sum + 4 * W4_FRAMES);
      let off = 0;
      for (let i = 0; i < W4_FRAMES; i++) {
        buf.writeUInt32BE(sizes[i], off);
        buf.fill(i & 0xff, off + 4, off + 4 + sizes[i]);
        off += 4 + sizes[i];
      }
      const segs = [];
      for (let s = 0; s < buf.length; s += W4_BATCH_BYTES) segs.push([buf, s, Math.min(buf.length, s + W4_BATCH_BYTES)]);
      const reply = await sendAllThenReply(segs);
      const expect = `${W4_FRAMES} ${sum}`;
      if (reply !== expect) die(`server replied "${reply}", expected "${expect}"`);
      result({ frames: W4_FRAMES, payloadBytes: sum });
      break;
    }
    case 'W5': {
      const one = Buffer.from('x');
      const socks = [];
      const t0 = now();
      let started = 0;
      const openOne = () => new Promise((resolve) => {
        const sock = net.connect({ host: HOST, port: PORT, noDelay: true });
        socks.push(sock);
        sock.on('error', (e) => die(`socket error ${e.message}`));
        sock.once('connect', () => sock.write(one));
        sock.once('data', (d) => { if (d.length !== 1) die(`expected 1 byte, got ${d.length}`); resolve(); });
      });
      const worker = async () => { while (started < W5_CONNS) { started++; await openOne(); } };
      await Promise.all(Array.from({ length: W5_CONNECT_WINDOW }, worker));
      const establishSeconds = now() - t0;
      if (socks.length !== W5_CONNS) die(`opened ${socks.length} connections`);
      await Promise.all(socks.map((s) => new Promise((r) => { s.on('close', r); s.end(); })));
      result({ conns: socks.length, establishSeconds });
      break;
    }
    default: die(`unknown workload ${workload}`);
  }
}

if (role === 'server') server();
else if (role === 'client') client().catch((e) => die(e.stack || String(e)));
else die('usage: node-net.mjs server|client PORT WORKLOAD');
