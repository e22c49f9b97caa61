/**
 * Exactly-once scenario (child process): for each seed, `connections` sockit clients issue
 * random operations (every kind of read, tagged reads, writes with callbacks, sends, aborts,
 * startTLS, end, close, destroy, reset) against a sockit server whose connections echo lines
 * and, at random moments, destroy, reset, end or close. Every operation is counted when it
 * settles; a second settlement is a duplicate. Prints one JSON line, then lets the process
 * end by itself (nothing calls process.exit).
 *
 * argv: seeds (comma-separated), connections per seed, operations per connection.
 * env: SOCKIT_CERT, SOCKIT_KEY, SOCKIT_CA (paths; without them startTLS is left out).
 */
import { readFileSync } from "node:fs";
import { connect, listen } from "../../../dist/index.js";
import { prng, sleep } from "./prng.mjs";

const [seedList = "1", perSeed = "40", perConnection = "12"] = process.argv.slice(2);
const seeds = seedList.split(",").map(Number);
const connections = Number(perSeed);
const opsPerConnection = Number(perConnection);
const tls =
  process.env.SOCKIT_CERT === undefined
    ? undefined
    : {
        cert: readFileSync(process.env.SOCKIT_CERT, "utf8"),
        key: readFileSync(process.env.SOCKIT_KEY ?? "", "utf8"),
        ca: readFileSync(process.env.SOCKIT_CA ?? "", "utf8"),
      };

let unhandled = 0;
const unhandledSamples = [];
process.on("unhandledRejection", (reason) => {
  unhandled++;
  if (unhandledSamples.length < 5) unhandledSamples.push(String(reason?.stack ?? reason));
});

/** Counts each operation's settlements. */
class Ledger {
  issued = 0;
  settled = 0;
  duplicates = 0;
  byKind = {};
  open = new Map();
  outcomes = {};
  upgrades = 0;
  /** Outcomes that are no documented code, by operation kind (to find where they come from). */
  odd = {};
  #next = 0;

  /** A settle function for one operation: the first call settles it, later calls are duplicates. */
  begin(kind) {
    const id = this.#next++;
    this.issued++;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    this.open.set(id, kind);
    let done = false;
    return (outcome) => {
      if (done) {
        this.duplicates++;
        return;
      }
      done = true;
      this.settled++;
      this.open.delete(id);
      this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
      if (outcome === "ok" && kind === "startTLS") this.upgrades++;
      if (!/^(ok|E[A-Z0-9]+|ERR_[A-Z_]+)$/.test(outcome) || outcome.startsWith("ERR_STREAM")) {
        this.odd[`${kind}: ${outcome}`] = (this.odd[`${kind}: ${outcome}`] ?? 0) + 1;
      }
    };
  }

  /** Tracks a promise operation (or one that throws synchronously). */
  promise(kind, run) {
    const settle = this.begin(kind);
    try {
      run().then(
        () => settle("ok"),
        (error) => settle(error?.code ?? "uncoded"),
      );
    } catch (error) {
      settle(error?.code ?? "uncoded");
    }
  }

  /** Tracks a callback operation; the callback may be called only once. */
  callback(kind) {
    const settle = this.begin(kind);
    return {
      settle,
      onDone: (error) => settle(error === null ? "ok" : (error?.code ?? "uncoded")),
    };
  }
}

const ledger = new Ledger();

/** The server side: echo lines; STARTTLS upgrades; a random fate at a random moment. */
function serve(seed) {
  return async (socket) => {
    const rnd = prng(seed * 7919 + (socket.id ?? 0));
    const fate = rnd.pick(["echo", "echo", "destroy", "reset", "end", "close"]);
    if (fate !== "echo") {
      const timer = setTimeout(() => {
        if (fate === "end") void socket.end().catch(() => {});
        else void socket[fate]();
      }, rnd.int(40));
      timer.unref();
    }
    try {
      for (;;) {
        const line = await socket.readLine({ encoding: "latin1", maxLength: 4096 });
        if (line === "STARTTLS" && tls !== undefined) {
          await socket.startTLS({
            side: "server",
            cert: tls.cert,
            key: tls.key,
            handshakeTimeout: 2000,
          });
          continue;
        }
        socket.write(`${line}\n`);
      }
    } catch {
      // the client went away, or the fate struck: the socket is closing
    }
    await socket.close();
  };
}

/** One random operation on a client socket. */
function operate(socket, rnd, tags) {
  const op = rnd.pick([
    "write",
    "writeCallback",
    "writeFrame",
    "send",
    "sendAbort",
    "readLine",
    "readUntil",
    "readBytes",
    "readAvailable",
    "readFrame",
    "readTimeout",
    "readAbort",
    "taggedRead",
    "startTLS",
    "end",
    "close",
    "destroy",
    "reset",
  ]);
  const data = `line ${rnd.int(1e6)}\n`;
  switch (op) {
    case "write":
      return ledger.promise(op, async () => void socket.write(data));
    case "writeCallback": {
      const { settle, onDone } = ledger.callback(op);
      try {
        socket.write(data, rnd.int(100), onDone);
      } catch (error) {
        settle(error?.code ?? "uncoded");
      }
      return;
    }
    case "writeFrame":
      return ledger.promise(op, async () => void socket.writeFrame(data));
    case "send":
      return ledger.promise(op, () => socket.send(data));
    case "sendAbort": {
      const abort = new AbortController();
      ledger.promise(op, () => socket.send(data, { signal: abort.signal }));
      return void setTimeout(() => abort.abort(), rnd.int(5));
    }
    case "readLine":
      return ledger.promise(op, () => socket.readLine());
    case "readUntil":
      return ledger.promise(op, () => socket.readUntil(" "));
    case "readBytes":
      return ledger.promise(op, () => socket.readBytes(1 + rnd.int(20)));
    case "readAvailable":
      return ledger.promise(op, () => socket.readAvailable());
    case "readFrame":
      return ledger.promise(op, () => socket.readFrame({ maxLength: 1024 }));
    case "readTimeout":
      return ledger.promise(op, () => socket.readLine({ timeout: 1 + rnd.int(10) }));
    case "readAbort": {
      const abort = new AbortController();
      ledger.promise(op, () => socket.readLine({ signal: abort.signal }));
      return void setTimeout(() => abort.abort(), rnd.int(5));
    }
    case "taggedRead": {
      const tag = tags.next++;
      tags.pending.set(tag, ledger.callback(op).settle);
      try {
        socket.read(rnd.pick([4, "\n"]), tag);
      } catch (error) {
        tags.pending.get(tag)?.(error?.code ?? "uncoded");
      }
      return;
    }
    case "startTLS":
      if (tls === undefined) return ledger.promise(op, async () => {});
      return ledger.promise(op, () => {
        socket.write("STARTTLS\n");
        return socket.startTLS({ ca: tls.ca, verifyHost: "localhost", handshakeTimeout: 2000 });
      });
    case "end":
      return ledger.promise(op, () => socket.end());
    default:
      return ledger.promise(op, () => socket[op]());
  }
}

/** One client: its operations at random moments, then a random last word. */
async function client(port, rnd) {
  const socket = connect(`127.0.0.1:${port}`);
  const tags = { next: 0, pending: new Map() };
  const settleTag = (outcome) => (_data, tag) => {
    const settle = tags.pending.get(tag);
    if (settle === undefined) return void ledger.duplicates++;
    tags.pending.delete(tag);
    settle(outcome);
  };
  socket.on("read", settleTag("ok"));
  socket.on("readError", (error, tag) => settleTag(error?.code ?? "uncoded")(undefined, tag));
  const closed = ledger.callback("closed");
  void socket.closed.then(() => closed.settle("ok"));
  for (let i = 0; i < opsPerConnection; i++) {
    operate(socket, rnd, tags);
    if (rnd.int(3) === 0) await sleep(rnd.int(6));
  }
  const last = rnd.pick(["close", "destroy", "reset", "end"]);
  await sleep(rnd.int(20));
  ledger.promise(`final ${last}`, () =>
    last === "end" ? socket.end().then(() => socket.close()) : socket[last](),
  );
  await socket.closed;
}

const started = Date.now();
for (const seed of seeds) {
  const server = await listen("127.0.0.1:0", { closeTimeout: 500 }, serve(seed));
  const rnd = prng(seed);
  await Promise.all(
    Array.from({ length: connections }, () => client(server.port, prng(rnd.int(2 ** 31)))),
  );
  await server.closeAll();
}
// Whatever is still open now is a hang: give stragglers a bounded moment, then report.
for (let i = 0; i < 100 && ledger.open.size > 0; i++) await sleep(20);
const openKinds = {};
for (const kind of ledger.open.values()) openKinds[kind] = (openKinds[kind] ?? 0) + 1;
process.stdout.write(
  `${JSON.stringify({
    seeds,
    connections: connections * seeds.length,
    issued: ledger.issued,
    settled: ledger.settled,
    duplicates: ledger.duplicates,
    unsettled: ledger.open.size,
    unsettledKinds: openKinds,
    unhandled,
    unhandledSamples,
    byKind: ledger.byKind,
    outcomes: ledger.outcomes,
    oddOutcomes: ledger.odd,
    tls: tls !== undefined,
    tlsUpgrades: ledger.upgrades,
    ms: Date.now() - started,
  })}\n`,
);
