/**
 * The load test's clients (raw node:net, the same for every server measured):
 * `load-clients.mjs PORT CONNECTIONS MESSAGES SEED`. Opens the connections in batches, sends
 * MESSAGES seeded random frames on each and checks every echo byte for byte, then prints one
 * JSON line and holds the connections until stdin ends; then closes them and exits by itself.
 */
import { connect } from "node:net";
import { prng } from "./prng.mjs";

const [portText, connectionsText, messagesText, seedText] = process.argv.slice(2);
const port = Number(portText);
const total = Number(connectionsText);
const messages = Number(messagesText);
const rnd = prng(Number(seedText));
const sockets = [];
const figures = { connections: 0, messages: 0, bytes: 0, mismatches: 0, errors: {} };

function frame(r) {
  const payload = Buffer.alloc(1 + r.int(512));
  for (let i = 0; i < payload.length; i++) payload[i] = r.int(256);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

function client(r) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    let expected = Buffer.alloc(0);
    let received = Buffer.alloc(0);
    let sent = 0;
    const next = () => {
      const message = frame(r);
      expected = message;
      received = Buffer.alloc(0);
      sent++;
      socket.write(message);
    };
    socket.on("connect", () => {
      figures.connections++;
      next();
    });
    socket.on("error", (error) => {
      figures.errors[error.code ?? "uncoded"] = (figures.errors[error.code ?? "uncoded"] ?? 0) + 1;
      resolve();
    });
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < expected.length) return;
      figures.messages++;
      figures.bytes += received.length;
      if (!received.equals(expected)) figures.mismatches++;
      if (sent < messages) next();
      else resolve();
    });
  });
}

const started = Date.now();
for (let at = 0; at < total; at += 250) {
  const batch = [];
  for (let i = at; i < Math.min(total, at + 250); i++) batch.push(client(prng(rnd.int(2 ** 31))));
  await Promise.all(batch);
}
process.stdout.write(`${JSON.stringify({ ...figures, ms: Date.now() - started })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  for (const socket of sockets) socket.destroy();
});
