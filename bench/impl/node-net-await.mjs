// W3, W3c in the awaited style over raw node:net, with no library: the floor of `for await`
// per message for ping-pong, the part of the W3/W3c gap of sockit's `iter` and `promise`
// styles that no library can remove (bench/w3-floor.mjs runs it beside impl/node-net.mjs).
//
//   node bench/impl/node-net-await.mjs server PORT W3|W3c
//   node bench/impl/node-net-await.mjs client PORT W3|W3c
//
// Same protocol, constants and RESULT lines as impl/node-net.mjs, so either end can face
// either implementation. Both ends read lines through the smallest async iterator that
// works: each chunk decoded as latin1 text and cut with indexOf, a line as a string, one
// promise per `next()`; no length limit, no backpressure, no error path beyond dying. The
// server echoes `${line}\n`; the client writes, awaits the echo and checks it.

// ---- workload parameters (keep identical in every implementation) ----------
const HOST = "127.0.0.1";
const W3_ROUNDTRIPS = 100_000;
const W3_MSG_BYTES = 32; // including the trailing '\n'
const W3C_CONNS = 16;
const W3C_ROUNDTRIPS_PER_CONN = 10_000;

// ------------------------------------------------------------------------------

import net from "node:net";

const [role, portArg, workload] = process.argv.slice(2);
const PORT = Number(portArg);
const now = () => Number(process.hrtime.bigint()) / 1e9;
const die = (msg) => {
  process.stderr.write(`FAIL node-net-await ${role} ${workload}: ${msg}\n`);
  process.exit(1);
};
const result = (obj) => process.stdout.write(`RESULT ${JSON.stringify(obj)}\n`);
if (workload !== "W3" && workload !== "W3c") die(`unknown workload ${workload}`);

/** The lines of `socket` as an async iterator of strings (without the '\n'). */
function lines(socket) {
  const ready = [];
  let waiting = null;
  let ended = false;
  let rest = "";
  const settle = (step) => {
    const resolve = waiting;
    waiting = null;
    resolve(step);
  };
  socket.setEncoding("latin1");
  socket.on("data", (text) => {
    const all = rest + text;
    let start = 0;
    for (let nl = all.indexOf("\n"); nl !== -1; nl = all.indexOf("\n", start)) {
      const line = all.slice(start, nl);
      start = nl + 1;
      if (waiting !== null) settle({ done: false, value: line });
      else ready.push(line);
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

function server() {
  const expected = workload === "W3c" ? W3C_CONNS : 1;
  let closed = 0;
  let echoed = 0;
  const srv = net.createServer({ allowHalfOpen: true, noDelay: true }, async (socket) => {
    socket.setNoDelay(true);
    socket.on("error", (e) => die(`socket error ${e.message}`));
    socket.on("close", () => {
      if (++closed === expected) {
        srv.close(() => {
          result({ lines: echoed });
          process.exit(0);
        });
      }
    });
    for await (const line of lines(socket)) {
      echoed++;
      socket.write(`${line}\n`);
    }
    socket.end();
  });
  srv.on("error", (e) => die(`listen error ${e.message}`));
  srv.listen({ host: HOST, port: PORT, backlog: 511 }, () => process.stdout.write("READY\n"));
}

function connect() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port: PORT, allowHalfOpen: true, noDelay: true });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

async function client() {
  const conns = workload === "W3" ? 1 : W3C_CONNS;
  const perConn = workload === "W3" ? W3_ROUNDTRIPS : W3C_ROUNDTRIPS_PER_CONN;
  const request = "r".repeat(W3_MSG_BYTES - 1);
  const sockets = await Promise.all(Array.from({ length: conns }, connect));
  const t0 = now();
  await Promise.all(
    sockets.map(async (socket) => {
      socket.on("error", (e) => die(`socket error ${e.message}`));
      const echoes = lines(socket);
      for (let i = 0; i < perConn; i++) {
        socket.write(`${request}\n`);
        const { value } = await echoes.next();
        if (value !== request) die(`bad echo ${JSON.stringify(value)}`);
      }
    }),
  );
  const seconds = now() - t0;
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve) => {
          socket.on("close", resolve);
          socket.end();
        }),
    ),
  );
  result({ roundtrips: conns * perConn, seconds });
  process.exit(0);
}

if (role === "server") server();
else if (role === "client") client().catch((e) => die(e?.stack ?? String(e)));
else die(`unknown role ${role}`);
