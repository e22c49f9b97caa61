/**
 * examples/seeds/: every example of the seed documents, written with sockit, run as a user
 * would (`node examples/seeds/x.mjs`, importing the built package) and checked by what it
 * prints. Each program starts its own peer on loopback and exits by itself.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { opensslPeer } from "../helpers/certs.js";
import {
  findPeer,
  type ProcessResult,
  type RunningProcess,
  runProcess,
  skipReason,
  startProcess,
} from "../helpers/peers.js";

const DIR = fileURLToPath(new URL("../../examples/seeds/", import.meta.url));
const BUILT = existsSync(fileURLToPath(new URL("../../dist/index.js", import.meta.url)));
const tclsh = findPeer("tclsh", "the Tcl client against the sockit time server example");

/** Runs `examples/seeds/<name>` with node and returns its output, checking it exited 0. */
async function run(name: string, args: string[] = []): Promise<ProcessResult> {
  const result = await runProcess(process.execPath, [DIR + name, ...args], { timeout: 15_000 });
  expect(result.stderr).toBe("");
  expect(result).toMatchObject({ code: 0, timedOut: false });
  return result;
}

/** Tcl's default `clock format`, as the time server writes it. */
const CLOCK = /(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}/;

describe.skipIf(!BUILT)("the seed examples (examples/seeds)", () => {
  const running: RunningProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((child) => child.stop()));
  });

  it("livecode-open-socket: the plain, callback and named forms, and a numeric name refused", async () => {
    const { stdout } = await run("livecode-open-socket.mjs");
    const port = /opening 127\.0\.0\.1:(\d+): connecting=true/.exec(stdout)?.[1];
    expect(port).toBeDefined();
    const host = `127.0.0.1:${port}`;
    expect(stdout.split("\n")).toEqual([
      `opening ${host}: connecting=true`,
      "reply: HELLO",
      `wasConnected ${host}`,
      `openSockets: ${host}|control, ${host}|sendFiles`,
      `reply on ${host}|sendFiles: VIA ITS SOCKET ID`,
      "after close: 0 of ours open",
      `refused "${host}|2": ERR_INVALID_ADDRESS`,
      "",
    ]);
  });

  it.skipIf(opensslPeer.path === undefined)(
    "livecode-secure-socket: refused with verification, accepted for host localhost and without verification",
    async () => {
      const result = await runProcess(process.execPath, [`${DIR}livecode-secure-socket.mjs`], {
        timeout: 15_000,
      });
      expect(result.code).toBe(0);
      const lines = result.stdout.split("\n");
      expect(lines[0]).toBe("with verification (the default)");
      expect(lines[1]).toMatch(
        /^ {2}refused: ERR_TLS_CERT \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)$/,
      );
      expect(lines.slice(2, 4)).toEqual([
        "with verification, trusting the certificate",
        "  refused: ERR_TLS_CERT (ERR_TLS_CERT_ALTNAME_INVALID)",
      ]);
      expect(lines[4]).toBe('with verification for host "localhost"');
      expect(lines[5]).toMatch(/^ {2}wasConnected 127\.0\.0\.1:\d+ secure=true$/);
      expect(lines.slice(6, 8)).toEqual(["  read: hello over TLS", "without verification"]);
      expect(lines[8]).toMatch(/^ {2}wasConnected 127\.0\.0\.1:\d+ secure=true$/);
      expect(lines[9]).toBe("  read: hello over TLS");
      // "without verification" warns, once.
      expect(result.stderr.match(/SOCKIT_TLS_NO_VERIFY/g)).toHaveLength(1);
    },
  );

  it("livecode-write-with-message: the callback gets the socket ID once written, and closes it", async () => {
    const { stdout } = await run("livecode-write-with-message.mjs");
    expect(stdout).toMatch(/^Data written to socket 127\.0\.0\.1:\d+$/m);
    expect(stdout).toContain('the server received "test"');
    expect(stdout).toMatch(/socket closed, hadError=false\n$/);
  });

  it("livecode-read: until return, for N, a CR-only request/response, until empty", async () => {
    const { stdout } = await run("livecode-read.mjs");
    expect(stdout.split("\n")).toEqual([
      'until return: "220 classic Mac host\\r"',
      "for 5: ABCDE (5 bytes)",
      "line: QUIT?",
      "line: got yes",
      "until empty: bye",
      "",
    ]);
  });

  it("livecode-datagram: a connected UDP socket from a local port to its peer", async () => {
    const { stdout } = await run("livecode-datagram.mjs");
    const [bound, heard, reply] = stdout.split("\n");
    const [, local, remote] =
      /^bound to 127\.0\.0\.1:(\d+), connected to (\d+)$/.exec(bound ?? "") ?? [];
    expect(local).toBeDefined();
    expect(heard).toBe(`peer got "hello" from 127.0.0.1:${local} (IPv4)`);
    expect(reply).toBe(`reply "HELLO" from port ${remote}`);
  });

  it("tcl-time-client: talks to its own time server when given no host", async () => {
    const { stdout } = await run("tcl-time-client.mjs");
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(/^Connection from 127\.0\.0\.1 registered \(port \d+\)$/);
    expect(lines[1]).toMatch(new RegExp(`^The time on localhost is ${CLOCK.source}$`));
    expect(lines[2]).toMatch(/^That is \d+s since the server started$/);
  });

  it("tcl-time-server: serves the sockit client and the manual's Tcl client, then stops by itself", async () => {
    const server = startProcess(process.execPath, [`${DIR}tcl-time-server.mjs`, "0", "2"]);
    running.push(server);
    const port = (await server.waitForOutput(/listening on port (\d+)/))[1] as string;
    const client = await run("tcl-time-client.mjs", ["localhost", port]);
    expect(client.stdout).toMatch(new RegExp(`^The time on localhost is ${CLOCK.source}\n`));
    if (tclsh.path !== undefined) {
      const tcl = await runProcess(tclsh.path, [`${DIR}tcl-time-client.tcl`, "localhost", port]);
      expect(tcl.code).toBe(0);
      expect(tcl.stdout).toMatch(new RegExp(`^The time on localhost is ${CLOCK.source}\n`));
      expect(tcl.stdout).toMatch(/\nThat is \d+s since the server started\n$/);
    } else {
      // Still two connections, so that the server stops by itself.
      await run("tcl-time-client.mjs", ["localhost", port]);
    }
    await server.waitForOutput(/(Connection from 127\.0\.0\.1 registered.*\n){2}/);
    // Two connections served: the server stopped accepting and its process ends.
    for (let i = 0; i < 100 && !server.exited(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.exited()).toBe(true);
  });

  it("xojo-port-zero: the port the OS picked, on the listener, the accepted socket and UDP", async () => {
    const { stdout } = await run("xojo-port-zero.mjs");
    const port = /^asked for port 0, listening on port (\d+)$/m.exec(stdout)?.[1];
    expect(Number(port)).toBeGreaterThan(0);
    expect(stdout).toContain(`accepted on local port ${port}\n`);
    const local = /^connected to port (\d+) from local port (\d+)$/m.exec(stdout);
    expect(local?.[1]).toBe(port);
    expect(Number(local?.[2])).toBeGreaterThan(0);
    expect(stdout).toContain(`still listening on port ${port}: true\n`);
    expect(Number(/^UDP socket bound to port (\d+)$/m.exec(stdout)?.[1])).toBeGreaterThan(0);
  });

  it("xojo-purge: drops the receive buffer only, and the write queued before it arrives", async () => {
    const { stdout } = await run("xojo-purge.mjs");
    expect(stdout.split("\n")).toEqual([
      "701 bytes in the receive buffer",
      "purge dropped 701 bytes; 0 left",
      'peer received "ACK"',
      "next read: fresh data",
      "",
    ]);
  });

  it("xojo-send-progress: progress per MiB, then an abort that SendComplete reports", async () => {
    const { stdout } = await run("xojo-send-progress.mjs");
    const MiB = 1024 * 1024;
    expect(stdout.split("\n")).toEqual([
      ...[1, 2, 3, 4].map((n) => `SendProgress ${n * MiB} of ${4 * MiB} bytes`),
      `SendComplete userAborted=false (${4 * MiB} bytes sent)`,
      `SendProgress ${MiB} sent, ${15 * MiB} left: aborting`,
      `SendComplete userAborted=true (${MiB} bytes sent)`,
      `the aborted send: userAborted=true, ${MiB} bytes sent`,
      `the peer received ${5 * MiB} bytes`,
      "",
    ]);
  });

  it("hs-socket-http-client: the headers by delimiter with one tag, the body by Content-Length with another", async () => {
    const { stdout } = await run("hs-socket-http-client.mjs");
    const [header, content] = stdout.split("2 TAG_HTTP_CONTENT\n");
    expect(header).toMatch(/^1 TAG_HTTP_HEADER\nHTTP\/1\.1 301 Moved Permanently\r\n/);
    expect(header).toContain("Location: http://www.google.com/index.html\r\n");
    expect(header).toMatch(/Content-Length: 227\r\n(.+\r\n)*\r\n\n$/);
    expect(content).toMatch(/^<HTML><HEAD>/);
    expect(content).toContain("</BODY></HTML>\n\n");
    expect(stdout).toMatch(/disconnected \(hadError=false\); body: 227 bytes\n$/);
  });
});

if (!BUILT) skipReason("the seed examples: dist/ is not built (npm run build)");
