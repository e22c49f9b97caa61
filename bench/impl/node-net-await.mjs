// W2, W3, W3c and W5 in the awaited styles over raw node:net, with no library: the floor of an
// `await` per message, the part of the gaps of sockit's `iter` and `promise` styles that no
// library can remove (bench/await-floor.mjs runs it beside impl/node-net.mjs and sockit).
//
//   node --expose-gc bench/impl/node-net-await.mjs [--style iter|promise] server PORT W2|W3|W3c|W5
//   node --expose-gc bench/impl/node-net-await.mjs [--style iter|promise] client PORT W3|W3c|W5
//
// Same protocol, constants and RESULT lines as impl/node-net.mjs, so either end can face
// either implementation. Each connection is read through the smallest async iterator that
// works (one promise per message; no length limit, no backpressure, no error path beyond
// dying). W2's server counts lines: `iter` as strings cut from each chunk's latin1 text
// (as sockit's lines()), `promise` as Buffer views of the chunk (as readLine()); its sender
// is impl/node-net.mjs's client. W3/W3c cut lines as strings and the server echoes
// `${line}\n`; W5's server replies "y" to each chunk. `iter` reads with `for await`,
// `promise` with `await read()` in a loop (the shapes of sockit's two styles).

// ---- workload parameters (keep identical in every implementation) ----------
const HOST = "127.0.0.1";
const W3_ROUNDTRIPS = 100_000;
const W3_MSG_BYTES = 32; // including the trailing '\n'
const W3C_CONNS = 16;
const W3C_ROUNDTRIPS_PER_CONN = 10_000;
const W5_CONNS = 5000;
const W5_CONNECT_WINDOW = 256; // max connections in flight (connect..reply) at once

// ------------------------------------------------------------------------------

import net from "node:net";

const args = process.argv.slice(2);
let style = "iter";
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--style") style = args[++i];
  else positional.push(args[i]);
}
const [role, portArg, workload] = positional;
const PORT = Number(portArg);
const now = () => Number(process.hrtime.bigint()) / 1e9;
const die = (msg) => {
  process.stderr.write(`FAIL node-net-await-${style} ${role} ${workload}: ${msg}\n`);
  process.exit(1);
};
const result = (obj) => process.stdout.write(`RESULT ${JSON.stringify(obj)}\n`);
const NL = 10;
const DONE = Object.freeze({ done: true, value: undefined });
const rssKiB = () => process.memoryUsage().rss / 1024;
const gc = () => globalThis.gc?.();
if (!["W2", "W3", "W3c", "W5"].includes(workload)) die(`unknown workload ${workload}`);
if (style !== "iter" && style !== "promise") die(`unknown style ${style}`);

/**
 * What `socket` receives, one message per `next()` (an iterator result) or per `read()` (the
 * message, or null at the end): `kind` "chunk" each chunk as it came (W5), "text" the lines
 * as latin1 strings cut from each chunk's text (W2 `iter`, W3), "view" the lines as Buffer
 * views of their chunk (W2 `promise`). Lines come without their '\n'.
 */
function messages(socket, kind) {
  const ready = [];
  let waiting = null;
  let ended = false;
  let rest = kind === "text" ? "" : null;
  const deliver = (message) => {
    if (waiting === null) ready.push(message);
    else {
      const resolve = waiting;
      waiting = null;
      resolve(message);
    }
  };
  const cutText = (data) => {
    const all = rest + data;
    let start = 0;
    for (let nl = all.indexOf("\n"); nl !== -1; nl = all.indexOf("\n", start)) {
      deliver(all.slice(start, nl));
      start = nl + 1;
    }
    rest = all.slice(start);
  };
  const cutViews = (chunk) => {
    let start = 0;
    if (rest !== null) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) {
        rest = Buffer.concat([rest, chunk]);
        return;
      }
      deliver(Buffer.concat([rest, chunk.subarray(0, nl)]));
      rest = null;
      start = nl + 1;
    }
    for (let nl = chunk.indexOf(NL, start); nl !== -1; nl = chunk.indexOf(NL, start)) {
      deliver(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) rest = chunk.subarray(start);
  };
  if (kind === "text") socket.setEncoding("latin1");
  socket.on("data", kind === "text" ? cutText : kind === "view" ? cutViews : deliver);
  socket.on("end", () => {
    ended = true;
    if (waiting !== null) deliver(null);
  });
  const read = () => {
    if (ready.length > 0) return Promise.resolve(ready.shift());
    if (ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      waiting = resolve;
    });
  };
  return {
    read,
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (ready.length > 0) return Promise.resolve({ done: false, value: ready.shift() });
      if (ended) return Promise.resolve(DONE);
      return new Promise((resolve) => {
        waiting = (value) => resolve(value === null ? DONE : { done: false, value });
      });
    },
  };
}

/** Calls `handle` for each message, in the style asked for. */
async function each(source, handle) {
  if (style === "iter") {
    for await (const message of source) handle(message);
    return;
  }
  for (let message = await source.read(); message !== null; message = await source.read()) {
    handle(message);
  }
}

function server() {
  const expected = workload === "W3c" ? W3C_CONNS : workload === "W5" ? W5_CONNS : 1;
  let closed = 0;
  let echoed = 0;
  let w5Got = 0;
  let w5Before = 0;
  let w5After = 0;
  const y = Buffer.from("y");
  const srv = net.createServer({ allowHalfOpen: true, noDelay: true }, async (socket) => {
    socket.setNoDelay(true);
    socket.on("error", (e) => die(`socket error ${e.message}`));
    socket.on("close", () => {
      if (++closed === expected) {
        srv.close(() => {
          if (workload === "W5")
            result({ conns: w5Got, rssBeforeKiB: w5Before, rssAfterKiB: w5After });
          else if (workload !== "W2") result({ lines: echoed });
          process.exit(0);
        });
      }
    });
    if (workload === "W2") {
      countLines(socket);
      return;
    }
    if (workload === "W5") {
      await each(messages(socket, "chunk"), () => {
        socket.write(y);
        if (++w5Got === W5_CONNS) {
          gc();
          w5After = rssKiB();
        }
      });
    } else {
      await each(messages(socket, "text"), (line) => {
        echoed++;
        socket.write(`${line}\n`);
      });
    }
    socket.end();
  });
  srv.on("error", (e) => die(`listen error ${e.message}`));
  srv.listen({ host: HOST, port: PORT, backlog: 511 }, () => {
    gc();
    w5Before = rssKiB();
    process.stdout.write("READY\n");
  });
}

/** W2: counts the lines (strings for `iter`, Buffer views for `promise`), first byte to EOF. */
async function countLines(socket) {
  let t0 = 0;
  socket.once("data", () => {
    t0 = now();
  });
  let lines = 0;
  let lineBytes = 0;
  await each(messages(socket, style === "iter" ? "text" : "view"), (line) => {
    lines++;
    lineBytes += line.length;
  });
  const seconds = now() - t0;
  socket.end(`${lines} ${lineBytes}\n`);
  result({ lines, lineBytes, seconds });
}

function connect(allowHalfOpen = true) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port: PORT, allowHalfOpen, noDelay: true });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** W3/W3c: each connection writes a line, awaits its echo and checks it, `perConn` times. */
async function pingPong() {
  const conns = workload === "W3" ? 1 : W3C_CONNS;
  const perConn = workload === "W3" ? W3_ROUNDTRIPS : W3C_ROUNDTRIPS_PER_CONN;
  const request = "r".repeat(W3_MSG_BYTES - 1);
  const sockets = await Promise.all(Array.from({ length: conns }, () => connect()));
  const t0 = now();
  await Promise.all(
    sockets.map(async (socket) => {
      socket.on("error", (e) => die(`socket error ${e.message}`));
      const echoes = messages(socket, "text");
      for (let i = 0; i < perConn; i++) {
        socket.write(`${request}\n`);
        const { value } = await echoes.next();
        if (value !== request) die(`bad echo ${JSON.stringify(value)}`);
      }
    }),
  );
  const seconds = now() - t0;
  await closeAll(sockets);
  result({ roundtrips: conns * perConn, seconds });
}

/** W5: open W5_CONNS connections, at most W5_CONNECT_WINDOW in flight, each "x" → "y". */
async function establish() {
  const sockets = [];
  const t0 = now();
  let started = 0;
  const openOne = async () => {
    const socket = await connect(false);
    sockets.push(socket);
    socket.on("error", (e) => die(`socket error ${e.message}`));
    socket.write("x");
    const { value } = await messages(socket, "chunk").next();
    if (value?.length !== 1) die(`expected 1 byte, got ${value?.length}`);
  };
  const worker = async () => {
    while (started < W5_CONNS) {
      started++;
      await openOne();
    }
  };
  await Promise.all(Array.from({ length: W5_CONNECT_WINDOW }, worker));
  const establishSeconds = now() - t0;
  await closeAll(sockets);
  result({ conns: sockets.length, establishSeconds });
}

function closeAll(sockets) {
  return Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve) => {
          socket.on("close", resolve);
          socket.end();
        }),
    ),
  );
}

async function client() {
  if (workload === "W2")
    die("W2's sender is impl/node-net.mjs's client (the same for every style)");
  await (workload === "W5" ? establish() : pingPong());
  process.exit(0);
}

if (role === "server") server();
else if (role === "client") client().catch((e) => die(e?.stack ?? String(e)));
else die(`unknown role ${role}`);
