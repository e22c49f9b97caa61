// W3, W3c and W5 in the awaited styles over raw node:net, with no library: the floor of an
// `await` per message, the part of the gaps of sockit's `iter` and `promise` styles that no
// library can remove (bench/await-floor.mjs runs it beside impl/node-net.mjs and sockit).
//
//   node --expose-gc bench/impl/node-net-await.mjs [--style iter|promise] server PORT W3|W3c|W5
//   node --expose-gc bench/impl/node-net-await.mjs [--style iter|promise] client PORT W3|W3c|W5
//
// Same protocol, constants and RESULT lines as impl/node-net.mjs, so either end can face
// either implementation. Each connection is read through the smallest async iterator that
// works (one promise per `next()`; no length limit, no backpressure, no error path beyond
// dying): W3/W3c cut lines from each chunk decoded as latin1 text (strings, `indexOf`), and
// the server echoes `${line}\n`; W5's server replies "y" to each chunk. `iter` reads with
// `for await`, `promise` with `await next()` in a loop (the shapes of sockit's two styles).

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
const rssKiB = () => process.memoryUsage().rss / 1024;
const gc = () => globalThis.gc?.();
if (!["W3", "W3c", "W5"].includes(workload)) die(`unknown workload ${workload}`);
if (style !== "iter" && style !== "promise") die(`unknown style ${style}`);

/**
 * What `socket` receives as an async iterator: each chunk as it came (`text` false), or the
 * lines of it as latin1 strings without their '\n' (`text` true).
 */
function messages(socket, text) {
  const ready = [];
  let waiting = null;
  let ended = false;
  let rest = "";
  const settle = (step) => {
    const resolve = waiting;
    waiting = null;
    resolve(step);
  };
  const deliver = (message) => {
    if (waiting !== null) settle({ done: false, value: message });
    else ready.push(message);
  };
  if (text) socket.setEncoding("latin1");
  socket.on("data", (data) => {
    if (!text) {
      deliver(data);
      return;
    }
    const all = rest + data;
    let start = 0;
    for (let nl = all.indexOf("\n"); nl !== -1; nl = all.indexOf("\n", start)) {
      deliver(all.slice(start, nl));
      start = nl + 1;
    }
    rest = all.slice(start);
  });
  socket.on("end", () => {
    ended = true;
    if (waiting !== null) settle({ done: true, value: undefined });
  });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (ready.length > 0) return Promise.resolve({ done: false, value: ready.shift() });
      if (ended) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
  };
}

/** Calls `handle` for each message, in the style asked for. */
async function each(iterator, handle) {
  if (style === "iter") {
    for await (const message of iterator) handle(message);
    return;
  }
  for (;;) {
    const step = await iterator.next();
    if (step.done) return;
    handle(step.value);
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
          else result({ lines: echoed });
          process.exit(0);
        });
      }
    });
    if (workload === "W5") {
      await each(messages(socket, false), () => {
        socket.write(y);
        if (++w5Got === W5_CONNS) {
          gc();
          w5After = rssKiB();
        }
      });
    } else {
      await each(messages(socket, true), (line) => {
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
      const echoes = messages(socket, true);
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
    const { value } = await messages(socket, false).next();
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
  await (workload === "W5" ? establish() : pingPong());
  process.exit(0);
}

if (role === "server") server();
else if (role === "client") client().catch((e) => die(e?.stack ?? String(e)));
else die(`unknown role ${role}`);
