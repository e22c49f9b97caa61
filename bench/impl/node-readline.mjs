// Copied verbatim (below this header) from ../shared/bench/anchors/impl/node-readline.mjs, the shared
// socket anchors harness (this project's own shared material), so that `npm run bench`
// needs nothing beyond `npm ci`. Do not optimise it: it is the reference.
// The workload constants (and the protocol) must stay identical to the shared file, to
// bench/impl/sockit.mjs and to bench/run.mjs; bench/run.mjs checks them before it runs.
//
// node-readline: Node's readline.createInterface({ input: socket }) as the line
// splitter (lines arrive as strings without '\n'). Lines-only workloads:
// W2 (server side uses readline; the client just writes, same as node-net) and
// W3/W3c (server and client both use readline).
//
//   node impl/node-readline.mjs server PORT WORKLOAD
//   node impl/node-readline.mjs client PORT WORKLOAD
//
// WORKLOAD is one of W2 W3 W3c. See ../README.md for the protocol.

// ---- workload parameters (keep identical in every implementation) ----------
const HOST = '127.0.0.1';
const W2_LINES = 2_000_000;
const W2_LINE_CONTENT = 63; // bytes before the '\n'
const W2_BATCH_BYTES = 1024 * 1024; // client pre-built write buffer (16384 lines)
const W3_ROUNDTRIPS = 100_000;
const W3_MSG_BYTES = 32; // including the trailing '\n'
const W3C_CONNS = 16;
const W3C_ROUNDTRIPS_PER_CONN = 10_000;
// ------------------------------------------------------------------------------

import net from 'node:net';
import readline from 'node:readline';

const [role, portArg, workload] = process.argv.slice(2);
const PORT = Number(portArg);

const now = () => Number(process.hrtime.bigint()) / 1e9;
const die = (msg) => { process.stderr.write(`FAIL node-readline ${role} ${workload}: ${msg}\n`); process.exit(1); };
const result = (obj) => process.stdout.write(`RESULT ${JSON.stringify(obj)}\n`);
const lines = (sock) => readline.createInterface({ input: sock, crlfDelay: Infinity });

function server() {
  if (!['W2', 'W3', 'W3c'].includes(workload)) die(`unsupported workload ${workload}`);
  const expectConns = workload === 'W3c' ? W3C_CONNS : 1;
  let closed = 0, echoed = 0;
  const srv = net.createServer({ allowHalfOpen: true, noDelay: true });
  srv.on('connection', (sock) => {
    sock.setNoDelay(true);
    sock.on('error', (e) => die(`socket error ${e.message}`));
    sock.on('close', () => {
      if (++closed === expectConns) srv.close(() => {
        if (workload !== 'W2') result({ lines: echoed });
        process.exit(0);
      });
    });
    const rl = lines(sock);
    if (workload === 'W2') {
      let n = 0, lineBytes = 0, t0 = 0;
      sock.once('data', () => { t0 = now(); });
      rl.on('line', (line) => { n++; lineBytes += line.length; });
      rl.on('close', () => {
        const seconds = now() - t0;
        sock.end(`${n} ${lineBytes}\n`);
        result({ lines: n, lineBytes, seconds });
      });
    } else {
      rl.on('line', (line) => { echoed++; sock.write(line + '\n'); });
      rl.on('close', () => sock.end());
    }
  });
  srv.on('error', (e) => die(`listen error ${e.message}`));
  srv.listen({ host: HOST, port: PORT, backlog: 511 }, () => process.stdout.write('READY\n'));
}

function connect() {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: HOST, port: PORT, allowHalfOpen: true, noDelay: true });
    sock.once('connect', () => { sock.setNoDelay(true); resolve(sock); });
    sock.once('error', reject);
  });
}

async function client() {
  if (workload === 'W2') {
    // The client side of W2 has no lines to split: plain batched writes as in node-net.
    const lineLen = W2_LINE_CONTENT + 1;
    const perBatch = Math.floor(W2_BATCH_BYTES / lineLen);
    const batch = Buffer.alloc(perBatch * lineLen);
    for (let i = 0; i < perBatch; i++) {
      batch.fill(0x41 + (i % 26), i * lineLen, i * lineLen + W2_LINE_CONTENT);
      batch[i * lineLen + W2_LINE_CONTENT] = 10;
    }
    const sock = await connect();
    sock.on('error', (e) => die(`socket error ${e.message}`));
    const replyChunks = [];
    sock.on('data', (c) => replyChunks.push(c));
    const ended = new Promise((r) => sock.on('end', r));
    await new Promise((resolve) => {
      let left = W2_LINES;
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, perBatch);
          left -= n;
          if (!sock.write(batch.subarray(0, n * lineLen))) { sock.once('drain', pump); return; }
        }
        resolve();
      };
      pump();
    });
    sock.end();
    await ended;
    sock.destroy();
    const reply = Buffer.concat(replyChunks).toString('latin1').trim();
    const expect = `${W2_LINES} ${W2_LINES * W2_LINE_CONTENT}`;
    if (reply !== expect) die(`server replied "${reply}", expected "${expect}"`);
    result({ lines: W2_LINES });
  } else if (workload === 'W3' || workload === 'W3c') {
    const conns = workload === 'W3' ? 1 : W3C_CONNS;
    const perConn = workload === 'W3' ? W3_ROUNDTRIPS : W3C_ROUNDTRIPS_PER_CONN;
    const reqLine = 'r'.repeat(W3_MSG_BYTES - 1);
    const req = reqLine + '\n';
    const socks = await Promise.all(Array.from({ length: conns }, connect));
    const t0 = now();
    await Promise.all(socks.map((sock) => new Promise((resolve) => {
      let done = 0;
      sock.on('error', (e) => die(`socket error ${e.message}`));
      lines(sock).on('line', (line) => {
        if (line !== reqLine) die(`bad echo ${JSON.stringify(line)}`);
        if (++done < perConn) sock.write(req);
        else resolve();
      });
      sock.write(req);
    })));
    const seconds = now() - t0;
    await Promise.all(socks.map((s) => new Promise((r) => { s.on('close', r); s.end(); })));
    result({ roundtrips: conns * perConn, seconds });
  } else die(`unsupported workload ${workload}`);
}

if (role === 'server') server();
else if (role === 'client') client().catch((e) => die(e.stack || String(e)));
else die('usage: node-readline.mjs server|client PORT WORKLOAD');
