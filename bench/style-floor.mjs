// The language floor of each user style, in-process and without I/O: nanoseconds per 63-byte
// line for handing 2,000,000 lines out of one 64 KiB buffer the way each style must.
//
//   node bench/style-floor.mjs
//
//   sync view    a plain call per line with a Buffer view (node-net's hand-rolled splitter)
//   sync text    the same, with the line decoded as UTF-8
//   emit view    an EventEmitter 'read' event per line (the tagged style)
//   await view   `await` on a resolved promise per line (the promise style: readLine())
//   iter text    `for await` over an async iterator of strings (lines())
//
// No library code runs: this is what V8 charges for the shape of each style, the part of the
// W2/W4 gaps no receive path can remove (see GAPS.md). Bounded: 2 rounds of 2,000,000.

import { EventEmitter } from "node:events";

const LINES = 2_000_000;
const ROUNDS = 2;
const chunk = Buffer.alloc(64 * 1024, 0x41);
for (let i = 63; i < chunk.length; i += 64) chunk[i] = 0x0a;

/** A line splitter over the one chunk, wrapping around: returns [start, end) of each line. */
function splitter() {
  let pos = 0;
  return () => {
    let nl = chunk.indexOf(0x0a, pos);
    if (nl < 0) {
      pos = 0;
      nl = chunk.indexOf(0x0a, 0);
    }
    const start = pos;
    pos = nl + 1 >= chunk.length ? 0 : nl + 1;
    return [start, nl];
  };
}

function time(run) {
  const t0 = process.hrtime.bigint();
  const bytes = run();
  return { ns: Number(process.hrtime.bigint() - t0) / LINES, bytes };
}

async function timeAsync(run) {
  const t0 = process.hrtime.bigint();
  const bytes = await run();
  return { ns: Number(process.hrtime.bigint() - t0) / LINES, bytes };
}

/** A plain call per line, the line made by `make(start, end)`. */
const syncStyle = (make) => () =>
  time(() => {
    const next = splitter();
    let bytes = 0;
    const onLine = (line) => {
      bytes += line.length;
    };
    for (let i = 0; i < LINES; i++) {
      const [s, e] = next();
      onLine(make(s, e));
    }
    return bytes;
  });

const styles = {
  "sync view": syncStyle((s, e) => chunk.subarray(s, e)),
  "sync text": syncStyle((s, e) => chunk.toString(undefined, s, e)),
  "emit view": () =>
    time(() => {
      const next = splitter();
      const emitter = new EventEmitter();
      let bytes = 0;
      emitter.on("read", (line) => {
        bytes += line.length;
      });
      for (let i = 0; i < LINES; i++) {
        const [s, e] = next();
        emitter.emit("read", chunk.subarray(s, e), 1);
      }
      return bytes;
    }),
  "await view": () =>
    timeAsync(async () => {
      const next = splitter();
      const read = () => {
        const [s, e] = next();
        return Promise.resolve(chunk.subarray(s, e));
      };
      let bytes = 0;
      for (let i = 0; i < LINES; i++) bytes += (await read()).length;
      return bytes;
    }),
  "iter text": () =>
    timeAsync(async () => {
      const next = splitter();
      let left = LINES;
      const lines = {
        [Symbol.asyncIterator]() {
          return this;
        },
        next() {
          if (left-- === 0) return Promise.resolve({ done: true, value: undefined });
          const [s, e] = next();
          return Promise.resolve({ done: false, value: chunk.toString(undefined, s, e) });
        },
      };
      let bytes = 0;
      for await (const line of lines) bytes += line.length;
      return bytes;
    }),
};

const best = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(styles)) {
    const { ns, bytes } = await run();
    if (bytes !== LINES * 63) throw new Error(`${name}: counted ${bytes} bytes`);
    best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, ns);
  }
}
const base = best["sync view"];
console.log("| style | ns per line (best of 2) | × sync view |");
console.log("|---|---:|---:|");
for (const [name, ns] of Object.entries(best)) {
  console.log(`| ${name} | ${ns.toFixed(0)} | ${(ns / base).toFixed(2)} |`);
}
