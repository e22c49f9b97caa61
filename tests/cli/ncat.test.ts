import { createSocket } from "node:dgram";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { connect, encodeFrame, listen, type Server, type Socket } from "../../src/index.js";
import { cleanupCertificates, makeCertificates, opensslPeer } from "../helpers/certs.js";
import {
  BOUND_MS,
  Child,
  freePort,
  hasTool,
  killAll,
  listeningPort,
  runCli,
  startCli,
} from "./run-cli.js";

const T = { timeout: BOUND_MS };
const hasPython = hasTool("python3", ["--version"], /Python 3/);

/** Python: listens with a backlog of 0, fills its accept queue, prints the port, and waits. */
const FULL_BACKLOG = [
  "import socket, time",
  "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
  "port = s.getsockname()[1]; fill = []",
  "for _ in range(4):",
  "    c = socket.socket(); c.setblocking(False); fill.append(c)",
  "    try: c.connect(('127.0.0.1', port))",
  "    except BlockingIOError: pass",
  "print(port, flush=True); time.sleep(8)",
].join("\n");
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(() => cleanupCertificates());

afterEach(async () => {
  killAll();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sockit-ncat-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A sockit server running `handler`, closed after the test. */
async function serve(target: string, handler: (socket: Socket) => Promise<void>): Promise<Server> {
  const server = await listen(target, { allowHalfOpen: true }, handler);
  cleanups.push(() => server.closeAll());
  return server;
}

/**
 * A server that reads until the client's half-close (its empty stdin ends at once), then
 * sends `reply` and closes. Answering only then keeps these tests off a race that Deno
 * loses: a send to a client whose FIN arrives meanwhile fails there with EPIPE (README,
 * Runtimes). It also checks that the client goes on reading after its own FIN.
 */
async function replyAtEof(
  reply: string | Buffer,
): Promise<{ server: Server; received: Promise<Buffer> }> {
  let deliver!: (data: Buffer) => void;
  const received = new Promise<Buffer>((resolve) => {
    deliver = resolve;
  });
  const server = await serve("127.0.0.1:0", async (socket) => {
    deliver(await readBytesToEnd(socket));
    await socket.send(reply);
    await socket.close();
  });
  return { server, received };
}

/** Echoes until the client's end of stream, then closes. */
const echoServer = (target = "127.0.0.1:0") =>
  serve(target, async (socket) => {
    for await (const chunk of socket) await socket.send(chunk);
    await socket.close();
  });

/** A sockit client, destroyed after the test. */
function client(target: string): Socket {
  const socket = connect(target);
  cleanups.push(() => socket.destroy());
  return socket;
}

async function readBytesToEnd(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = await socket.readAvailable(T);
    if (chunk.length === 0) return Buffer.concat(chunks);
    chunks.push(chunk);
  }
}

async function readToEnd(socket: Socket): Promise<string> {
  return (await readBytesToEnd(socket)).toString();
}

describe("ncat's single-command form", () => {
  it("connects with `sockit HOST PORT` (two words)", async () => {
    const server = await echoServer();
    const result = await runCli(["127.0.0.1", String(server.port)], "two words\n");
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe("two words\n");
  });

  it("connects with `sockit connect HOST PORT` and to [::1] with `-6 ::1 PORT`", async () => {
    const server = await echoServer("[::1]:0");
    const result = await runCli(["connect", "-6", "::1", String(server.port)], "six");
    expect(result.stdout.toString()).toBe("six");
    expect(result.code).toBe(0);
  });

  it("-4 refuses an IPv6 literal (no IPv4 address to try)", async () => {
    const result = await runCli(["-4", "::1", "9"]);
    expect(result.code).not.toBe(0);
  });

  it("listens with `sockit -l PORT`, `-lp PORT` and `-l HOST PORT`", async () => {
    for (const args of [
      ["-l", "0"],
      ["-l", "-p", "0"],
      ["-l", "127.0.0.1", "0"],
    ]) {
      const child = startCli(args);
      const port = await listeningPort(child);
      child.send("hi from the listener", true);
      const peer = client(`127.0.0.1:${port}`);
      await peer.send("hi from the client");
      await peer.end();
      expect(await readToEnd(peer)).toBe("hi from the listener");
      const result = await child.exited;
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).toBe("hi from the client");
    }
  });

  it("refuses `sockit WORD` that is neither a subcommand nor an address: exit 2", async () => {
    const result = await runCli(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe("ncat's flags", () => {
  it("-U connects to and listens on a Unix-domain path", async () => {
    const path = join(await tempDir(), "u.sock");
    const child = startCli(["-lU", path]);
    await child.waitForStderr(/^listening on unix:/m);
    child.send("", true);
    const result = await runCli(["-U", path], "over unix");
    expect(result.code).toBe(0);
    const listener = await child.exited;
    expect(listener.stdout.toString()).toBe("over unix");
  });

  it("-w gives up connecting after TIME: exit 1 naming ERR_CONNECT_TIMEOUT", async () => {
    if (!hasPython) return;
    // A listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs.
    const python = new Child("python3", ["-c", FULL_BACKLOG]);
    await python.waitForStdout("\n");
    const port = python.stdout.toString().trim();
    const result = await runCli(["-w", "300ms", "127.0.0.1", port]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sockit: ERR_CONNECT_TIMEOUT 127.0.0.1:${port}\n`);
  });

  it("-w TIME and --timeout are refused when not a time: exit 2", async () => {
    expect((await runCli(["-w", "soon", "127.0.0.1", "1"])).code).toBe(2);
  });

  it("-i ends a session idle for TIME with exit 1 naming ERR_IDLE_TIMEOUT", async () => {
    const server = await serve("127.0.0.1:0", async (socket) => {
      await socket.readAvailable(T).catch(() => undefined);
    });
    const child = startCli(["-i", "300ms", "127.0.0.1", String(server.port)]);
    const result = await child.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^sockit: ERR_IDLE_TIMEOUT 127\\.0\\.0\\.1:${server.port}`),
    );
  });

  it("-C sends LF as CRLF", async () => {
    const server = await echoServer();
    const result = await runCli(["-C", "127.0.0.1", String(server.port)], "a\nb\n");
    expect(result.stdout.toString()).toBe("a\r\nb\r\n");
  });

  it("--send-only sends stdin and exits at its end without printing what the peer sends", async () => {
    let got = "";
    const server = await serve("127.0.0.1:0", async (socket) => {
      await socket.send("ignored\n");
      got = await readToEnd(socket);
    });
    const result = await runCli(["--send-only", "127.0.0.1", String(server.port)], "one way");
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(0);
    for (let i = 0; i < 100 && got === ""; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toBe("one way");
  });

  it("--recv-only prints what the peer sends and never reads stdin", async () => {
    let got = "unset";
    const server = await serve("127.0.0.1:0", async (socket) => {
      await socket.send("only this way\n");
      await socket.end();
      got = await readToEnd(socket);
    });
    const child = startCli(["--recv-only", "127.0.0.1", String(server.port)]);
    child.send("not sent"); // stdin stays open: --recv-only ends at the peer's end alone
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe("only this way\n");
    expect(got).toBe("");
  });

  it("refuses -4 with -6, --send-only with --recv-only, -e with -c, -u with -U: exit 2", async () => {
    for (const flags of [
      ["-4", "-6"],
      ["--send-only", "--recv-only"],
      ["-e", "cat", "-c", "cat"],
      ["-u", "-U"],
    ]) {
      const result = await runCli([...flags, "127.0.0.1", "1"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/do not go together/);
    }
  });

  it("-o writes both directions raw, and -x a hex dump naming the direction", async () => {
    const dir = await tempDir();
    const server = await echoServer();
    const result = await runCli(
      ["-o", join(dir, "raw"), "-x", join(dir, "hex"), "127.0.0.1", String(server.port)],
      "ping\n",
    );
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, "raw"), "utf8")).toBe("ping\nping\n");
    expect(await readFile(join(dir, "hex"), "utf8")).toBe(
      `> #1 00000000  70 69 6e 67 0a${" ".repeat(35)}|ping.|\n` +
        `< #1 00000000  70 69 6e 67 0a${" ".repeat(35)}|ping.|\n`,
    );
  });

  it("-o into a folder that does not exist exits 1 naming ENOENT, before connecting", async () => {
    const result = await runCli(["-o", "/nonexistent/sockit/out", "127.0.0.1", "1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ENOENT/);
  });

  it("-e runs a program with the connection as its stdin and stdout (connect side)", async () => {
    let got = "";
    const server = await serve("127.0.0.1:0", async (socket) => {
      await socket.send("to the program\n");
      await socket.end();
      got = await readToEnd(socket);
    });
    const result = await runCli(["-e", "tr a-z A-Z", "127.0.0.1", String(server.port)]);
    expect(result.code).toBe(0);
    expect(got).toBe("TO THE PROGRAM\n");
  });

  it("-c runs a shell command per connection of listen -k, with SOCKIT_PEER set", async () => {
    const child = startCli(["-lk", "-c", 'echo "hello $SOCKIT_PEER"; cat', "127.0.0.1", "0"]);
    const port = await listeningPort(child);
    for (const text of ["first", "second"]) {
      const peer = client(`127.0.0.1:${port}`);
      await peer.send(text);
      await peer.end();
      expect(await readToEnd(peer)).toMatch(new RegExp(`^hello 127\\.0\\.0\\.1:\\d+\\n${text}$`));
    }
    child.signal("SIGTERM");
    expect((await child.exited).code).toBe(0);
  });

  it("-e with a program that does not exist exits 1 naming ENOENT", async () => {
    const server = await echoServer();
    const result = await runCli(["-e", "/nonexistent/program", "127.0.0.1", String(server.port)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ENOENT/);
  });

  it("--help carries the security note of -e and -c", async () => {
    for (const args of [["--help"], ["listen", "--help"], ["connect", "--help"]]) {
      const help = (await runCli(args)).stdout.toString();
      expect(help).toContain("SECURITY: -e and -c give whoever connects");
    }
  });

  it("-k sends stdin to every client and every client's data to stdout", async () => {
    const child = startCli(["-v", "-l", "-k", "127.0.0.1", "0"]);
    const port = await listeningPort(child);
    const a = client(`127.0.0.1:${port}`);
    const b = client(`127.0.0.1:${port}`);
    await Promise.all([a.opened, b.opened]);
    await child.waitForStderr(/connection from[^\n]*\n[\s\S]*connection from/);
    child.send("to all\n");
    expect((await a.readLine(T)).toString()).toBe("to all");
    expect((await b.readLine(T)).toString()).toBe("to all");
    await a.send("from a\n");
    await child.waitForStdout("from a\n");
    await b.send("from b\n");
    await child.waitForStdout("from b\n");
    await a.close();
    // Still listening after a client left: a third one is served.
    const c = client(`127.0.0.1:${port}`);
    await c.send("from c\n");
    await child.waitForStdout("from c\n");
    child.send("", true); // end of stdin: every client is half-closed
    expect(await readToEnd(b)).toBe("");
    child.signal("SIGINT");
    const result = await child.exited;
    expect(result.code).toBe(0);
  });

  it.skipIf(opensslPeer.path === undefined)(
    "--ssl with --ssl-cert/--ssl-key listens over TLS; --ssl --ssl-trustfile --ssl-servername connects, verified",
    async () => {
      const certs = await makeCertificates();
      const { server, ca } = certs;
      const child = startCli([
        "-l",
        "--ssl",
        "--ssl-cert",
        server.certPath,
        "--ssl-key",
        server.keyPath,
        "127.0.0.1",
        "0",
      ]);
      const port = await listeningPort(child);
      child.send("secret reply", true);
      const args = ["-v", "--ssl", "--ssl-trustfile", ca.certPath, "--ssl-servername", "localhost"];
      const result = await runCli([...args, "127.0.0.1", String(port)], "secret");
      expect(result.stderr).toMatch(/^secured: TLS.*\(verified\)$/m);
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).toBe("secret reply");
      expect((await child.exited).stdout.toString()).toBe("secret");
      // Without the CA, the same server is refused: verification is on.
      const again = startCli([
        "-l",
        "--ssl",
        "--ssl-cert",
        server.certPath,
        "--ssl-key",
        server.keyPath,
        "127.0.0.1",
        "0",
      ]);
      const port2 = await listeningPort(again);
      const refused = await runCli(["--ssl", "127.0.0.1", String(port2)], "x");
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^sockit: ERR_TLS_CERT /);
    },
  );

  it("-u sends each line of stdin as a datagram and prints the replies until -i of silence", async () => {
    const udp = createSocket("udp4");
    cleanups.push(() => new Promise((resolve) => udp.close(() => resolve(undefined))));
    const seen: string[] = [];
    udp.on("message", (data, from) => {
      seen.push(data.toString());
      udp.send(Buffer.from(`echo ${data.toString()}`), from.port, from.address);
    });
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
    const result = await runCli(
      ["-u", "-i", "500ms", "127.0.0.1", String(udp.address().port)],
      "one\ntwo\n",
    );
    expect(result.code).toBe(0);
    expect(seen).toEqual(["one\n", "two\n"]);
    expect(result.stdout.toString()).toBe("echo one\necho two\n");
  });

  it("-lu prints datagrams from its first sender and sends stdin lines back to it", async () => {
    const port = await freePort();
    const child = startCli(["-lu", "127.0.0.1", String(port)]);
    await child.waitForStderr(/^listening on udp /m);
    const udp = createSocket("udp4");
    cleanups.push(() => new Promise((resolve) => udp.close(() => resolve(undefined))));
    const replies: string[] = [];
    udp.on("message", (data) => replies.push(data.toString()));
    udp.send("hello listener\n", port, "127.0.0.1");
    await child.waitForStdout("hello listener\n");
    child.send("back to you\n");
    for (let i = 0; i < 200 && replies.length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(replies).toEqual(["back to you\n"]);
    child.signal("SIGTERM");
    expect((await child.exited).code).toBe(0);
  });
});

describe("beyond ncat: --lines, --frames, --json", () => {
  it("--lines prints each line received as one line, and --hex as hex", async () => {
    const { server } = await replyAtEof("one\r\ntwo\nthree");
    const text = await runCli(["--lines", "127.0.0.1", String(server.port)]);
    expect(text.stdout.toString()).toBe("one\ntwo\nthree\n");
    const hex = await runCli(["--lines", "--hex", "127.0.0.1", String(server.port)]);
    expect(hex.stdout.toString()).toBe("6f6e65\n74776f\n7468726565\n");
  });

  it("--frames u32be prints each frame as a line and sends each stdin line as a frame", async () => {
    const { server, received } = await replyAtEof(
      Buffer.concat([encodeFrame("alpha"), encodeFrame(Buffer.from([0, 255]))]),
    );
    const result = await runCli(
      ["--frames", "u32be", "--hex", "127.0.0.1", String(server.port)],
      "c0ffee\n",
    );
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe("616c706861\n00ff\n");
    expect(await received).toEqual(encodeFrame(Buffer.from([0xc0, 0xff, 0xee])));
  });

  it.each([
    ["u16le", { width: 2, endian: "little" }],
    ["varint", { varint: true }],
  ] as const)("--frames %s reads that length prefix", async (name, options) => {
    const { server } = await replyAtEof(
      Buffer.concat([encodeFrame("x", options), encodeFrame("yz", options)]),
    );
    const result = await runCli(["--frames", name, "127.0.0.1", String(server.port)]);
    expect(result.stdout.toString()).toBe("x\nyz\n");
  });

  it("--frames exits 1 naming ERR_INCOMPLETE_READ when the stream ends inside a frame", async () => {
    const { server } = await replyAtEof(Buffer.from([0, 0, 0, 9, 0x61]));
    const result = await runCli(["--frames", "u32be", "127.0.0.1", String(server.port)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_INCOMPLETE_READ/);
  });

  it("refuses an unknown --frames kind and --hex alone: exit 2", async () => {
    expect((await runCli(["--frames", "u128", "127.0.0.1", "1"])).code).toBe(2);
    expect((await runCli(["--hex", "127.0.0.1", "1"])).code).toBe(2);
  });

  it("--json prints connected, data and closed events, one per line", async () => {
    const { server } = await replyAtEof("hi\n");
    const result = await runCli(["--json", "127.0.0.1", String(server.port)]);
    const events = result.stdout
      .toString()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const peer = `127.0.0.1:${server.port}`;
    expect(events[0]).toMatchObject({ event: "connected", conn: 1, peer });
    expect(events.slice(1)).toEqual([
      { event: "data", conn: 1, bytes: 3, text: "hi\n" },
      { event: "closed", conn: 1, peer },
    ]);
  });

  it("--json --lines gives one data event per line: text when UTF-8, else base64", async () => {
    const { server } = await replyAtEof(Buffer.from([0x68, 0x69, 0x0a, 0xff, 0x00, 0x0a]));
    const result = await runCli(["--json", "--lines", "127.0.0.1", String(server.port)]);
    const events = result.stdout
      .toString()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.filter((event) => event.event === "data")).toEqual([
      { event: "data", conn: 1, bytes: 2, text: "hi" },
      { event: "data", conn: 1, bytes: 2, base64: "/wA=" },
    ]);
  });

  it("--json prints an error event and exits 1 when the connection is refused", async () => {
    const port = await freePort();
    const result = await runCli(["--json", "127.0.0.1", String(port)]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout.toString())).toMatchObject({
      event: "error",
      code: "ECONNREFUSED",
    });
  });

  it("--json on listen prints `listening` with the real address first", async () => {
    const child = startCli(["listen", "--json", "127.0.0.1:0"]);
    const port = await listeningPort(child);
    await child.waitForStdout("listening");
    expect(JSON.parse(child.stdout.toString())).toEqual({
      event: "listening",
      address: `127.0.0.1:${port}`,
    });
  });
});
