/**
 * `sockit demo` (what `npm start` runs): a short narrated tour of the library on loopback.
 * Needs no set-up and no network; every wait is bounded and the tour ends by itself.
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { connect, listen, type Server, type Socket, SocketError } from "../index.js";
import { localOf, peerOf } from "./common.js";

/** The whole tour must finish within this; a stuck step fails the demo instead of hanging it. */
const DEADLINE_MS = 10_000;
/** Every read in the tour waits at most this long. */
const T = { timeout: 2000 } as const;
/** What the demo server sends for `tour`: one frame for each read form. */
const TOUR = "SOCKITname=sockit;a line of text\r\nthe rest";

const out = (line: string): void => void process.stdout.write(`${line}\n`);
let stepNumber = 0;
const step = (title: string): void => out(`\n${++stepNumber}. ${title}`);
const say = (text: string): void => out(`   ${text}`);
// latin1 maps each byte to one character, so any bytes print as they are, escaped by JSON.
const show = (data: Buffer | string): string =>
  JSON.stringify(typeof data === "string" ? data : data.toString("latin1"));

/** Temporary directories still to remove, should a step fail half-way. */
const cleanup = new Set<string>();

async function removeTemporary(dir: string): Promise<void> {
  cleanup.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** The demo server: one command per line; `tour` and `ping` have answers, the rest is echoed. */
async function serve(socket: Socket): Promise<void> {
  try {
    for (;;) {
      const command = (await socket.readLine()).toString();
      if (command === "tour") socket.write(TOUR);
      else if (command === "ping") socket.write("pong\n");
      else socket.write(`echo: ${command}\n`);
    }
  } catch {
    // The client left (end of stream) or the server is closing: the conversation is over.
  }
}

/** Rejects with `code` unless `error` has it: the demo expects particular failures only. */
function expectCode(error: unknown, code: string): SocketError {
  if (error instanceof SocketError && error.code === code) return error;
  throw error;
}

async function readForms(client: Socket): Promise<void> {
  step("Four ways to read, served in the order they were asked for");
  client.write("tour\n");
  say(`the server sent ${show(TOUR)}`);
  const form = (call: string, result: Buffer, note = ""): void =>
    say(`${call.padEnd(24)} -> ${show(result)}${note}`);
  form("readBytes(6)", await client.readBytes(6, T));
  const frame = await client.readUntil([";", "\r\n"], T);
  form('readUntil([";", "\\r\\n"])', frame, " (shortest frame wins, delimiter kept)");
  form("readLine()", await client.readLine(T), " (line ending removed)");
  form("readAvailable()", await client.readAvailable(T), " (whatever is there)");
}

async function taggedStyle(client: Socket<string>): Promise<void> {
  step("Tagged reads and writes (hs.socket style): results arrive as events");
  const onWritten = (tag: string | undefined): void =>
    say(`'written' event, tag ${show(tag ?? "")}`);
  client.on("written", onWritten);
  const reads = new Promise<void>((resolve, reject) => {
    let count = 0;
    client.on("read", (data, tag) => {
      say(`'read' event, tag ${show(tag ?? "")}: ${show(data)}`);
      if (++count === 2) resolve();
    });
    client.once("readError", reject);
  });
  client.write("ping\n", "first ping");
  client.write("ping\n", "second ping");
  client.read("\n", "read up to newline", T).read(5, "read 5 bytes", T);
  await reads;
  client.off("written", onWritten);
  client.removeAllListeners("read").removeAllListeners("readError");
}

async function broadcast(server: Server, where: string, client: Socket): Promise<void> {
  step("server.broadcast() writes to every open connection");
  const a = connect(where);
  const b = connect(where);
  // A round trip on each proves the server has accepted both before broadcasting.
  a.write("hello from A\n");
  b.write("hello from B\n");
  say(`two more clients: ${show(await a.readLine(T))}, ${show(await b.readLine(T))}`);
  const count = server.broadcast("news for everyone\n");
  say(`broadcast("news for everyone\\n") reached ${count} connections`);
  say(`client A read ${show(await a.readLine(T))}, client B read ${show(await b.readLine(T))}`);
  await client.readLine(T); // the first client got it too
  await Promise.all([a.close(), b.close()]);
}

async function unixSocket(): Promise<void> {
  step("A Unix-domain socket, in a temporary directory");
  const dir = await mkdtemp(join(tmpdir(), "sockit-demo-"));
  cleanup.add(dir);
  const target = `unix:${join(dir, "demo.sock")}`;
  const server = await listen(target, { closeTimeout: 1000 }, serve);
  say(`listening on ${target}`);
  const client = connect(target);
  client.write("hello over unix\n");
  say(`sent "hello over unix", got ${show(await client.readLine(T))}`);
  await client.close();
  await server.closeAll();
  await removeTemporary(dir);
  say(`removed ${dir}`);
}

async function readTimeout(client: Socket): Promise<void> {
  step("A read timeout fails that read only: the socket stays usable");
  try {
    await client.readLine({ timeout: 200 });
    say("(unexpected: a line arrived)");
  } catch (error) {
    const { code } = expectCode(error, "ERR_READ_TIMEOUT");
    say(`readLine({ timeout: 200 }) -> ${code}; still connected: ${client.connected}`);
  }
  client.write("ping\n");
  say(`then "ping" -> ${show(await client.readLine(T))}`);
}

async function refused(): Promise<void> {
  step("A refused connection, told apart by its code");
  // A port that was free a moment ago: nobody listens there now.
  const spare = await listen("127.0.0.1:0");
  const target = `127.0.0.1:${spare.port}`;
  await spare.close();
  const socket = connect(target);
  try {
    await socket.opened;
    say(`(another program took ${target} meanwhile)`);
    await socket.close();
  } catch (error) {
    const { code } = expectCode(error, "ECONNREFUSED");
    say(`connect("${target}") -> error.code === ${show(code)}: nobody is listening there`);
  }
}

async function tour(): Promise<void> {
  out("sockit demo: a short tour on loopback (nothing leaves this machine)");
  step("A server on port 0: the system picks a free port");
  const server = await listen("127.0.0.1:0", { closeTimeout: 1000 }, serve);
  const where = `127.0.0.1:${server.port}`;
  say(`listen("127.0.0.1:0") -> listening on ${where}`);

  step("A client: connect() returns at once; `opened` resolves once connected");
  const client = connect<string>(where);
  const info = await client.opened;
  say(`connected to ${peerOf(info)} from ${localOf(info) ?? "?"}`);

  await readForms(client);
  await taggedStyle(client);
  await broadcast(server, where, client);
  await unixSocket();
  await readTimeout(client);
  await refused();

  await client.close();
  await server.closeAll();
  out("\nDone: every socket and server is closed.");
}

/**
 * Runs the tour. Rejects if a step fails or the tour takes longer than 10 seconds; the
 * temporary directory is removed either way.
 */
export async function runDemo(): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the demo did not finish within ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    );
  });
  try {
    await Promise.race([tour(), deadline]);
  } finally {
    clearTimeout(timer);
    await Promise.all([...cleanup].map(removeTemporary));
  }
}

/** Registers `sockit demo` on `root`. */
export function registerDemo(root: Command): void {
  root
    .command("demo")
    .description("a short narrated tour of the library on loopback")
    .action(() => runDemo());
}
