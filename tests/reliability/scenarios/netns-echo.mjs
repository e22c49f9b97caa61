/**
 * Echo traffic across a lossy link (run inside a network namespace by netns-loss.test.ts).
 *
 *   netns-echo.mjs server HOST CERT KEY      echo lines and frames, plain and TLS; prints
 *                                            {"plain":PORT,"tls":PORT} and serves until killed
 *   netns-echo.mjs client HOST PLAIN TLS CA SEED CONNECTIONS MESSAGES
 *                                            byte-exact echo checks; prints one JSON line
 */
import { readFileSync } from "node:fs";
import { connect, listen } from "../../../dist/index.js";
import { prng } from "./prng.mjs";

const [role, host, ...rest] = process.argv.slice(2);

async function echo(socket) {
  try {
    const mode = (await socket.readBytes(1)).toString();
    for (;;) {
      if (mode === "L") socket.write(await socket.readUntil("\n"));
      else socket.writeFrame(await socket.readFrame());
    }
  } catch {
    // the client finished
  }
  await socket.close();
}

if (role === "server") {
  const [certPath, keyPath] = rest;
  const tls = { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
  const plain = await listen(`${host}:0`, echo);
  const secure = await listen(`${host}:0`, { tls }, echo);
  process.stdout.write(`${JSON.stringify({ plain: plain.port, tls: secure.port })}\n`);
} else {
  const [plainPort, tlsPort, caPath, seedText, connectionsText, messagesText] = rest;
  const ca = readFileSync(caPath, "utf8");
  const rnd = prng(Number(seedText));
  const figures = {
    connections: 0,
    messages: 0,
    bytes: 0,
    mismatches: 0,
    operations: 0,
    settled: 0,
    errors: {},
  };
  const track = (promise) => {
    figures.operations++;
    return promise.finally(() => figures.settled++);
  };
  const run = async (secure, mode, r) => {
    const socket = secure
      ? connect(`${host}:${tlsPort}`, { tls: { ca, verifyHost: "localhost" } })
      : connect(`${host}:${plainPort}`);
    figures.connections++;
    try {
      await track(socket.send(mode));
      for (let i = 0; i < Number(messagesText); i++) {
        const size = 1 + r.int(8192);
        const payload = Buffer.alloc(size);
        for (let j = 0; j < size; j++) payload[j] = mode === "L" ? 97 + r.int(26) : r.int(256);
        if (mode === "L") payload[size - 1] = 10;
        const sent =
          mode === "L" ? track(socket.send(payload)) : track(socket.send(frame(payload)));
        const back =
          mode === "L"
            ? track(socket.readUntil("\n", { timeout: 60_000 }))
            : track(socket.readFrame({ timeout: 60_000 }));
        await sent;
        const echoed = await back;
        figures.messages++;
        figures.bytes += echoed.length;
        if (!echoed.equals(payload)) figures.mismatches++;
      }
      await track(socket.close());
    } catch (error) {
      figures.errors[error?.code ?? "uncoded"] =
        (figures.errors[error?.code ?? "uncoded"] ?? 0) + 1;
      await socket.destroy();
    }
  };
  const jobs = [];
  for (let i = 0; i < Number(connectionsText); i++) {
    jobs.push(run(i % 2 === 1, i % 4 < 2 ? "L" : "F", prng(rnd.int(2 ** 31))));
  }
  const started = Date.now();
  await Promise.all(jobs);
  process.stdout.write(`${JSON.stringify({ ...figures, ms: Date.now() - started })}\n`);
}

function frame(payload) {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}
