/**
 * The time server and client of the Tcl `socket` manual (seed 002), run by a real `tclsh`:
 * sockit as the client of the Tcl server, and sockit as the server of the Tcl client, over
 * IPv4 loopback and, where the machine has it, IPv6 loopback.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect, listen, type Server, type Socket, SocketError } from "../../src/index.js";
import {
  findPeer,
  hasIPv6Loopback,
  makeTempDir,
  type RunningProcess,
  runProcess,
  skipReason,
  startProcess,
  type TempDir,
} from "../helpers/peers.js";

const tclsh = findPeer("tclsh", "Tcl time server/client");
const ipv6 = await hasIPv6Loopback();
if (!ipv6) skipReason("the IPv6 Tcl client test: this machine cannot listen on ::1");

const READ_TIMEOUT = 10_000;

/**
 * The manual's server, adapted only so a test can drive it: it listens on 127.0.0.1 port 0
 * instead of every interface on 9900, prints the real port (`-sockname`), and flushes stdout
 * line by line (a pipe is fully buffered in Tcl).
 */
const SERVER_TCL = `chan configure stdout -buffering line

proc Server {startTime channel clientaddr clientport} {
    puts "Connection from $clientaddr registered"
    set now [clock seconds]
    puts $channel [clock format $now]
    puts $channel "[expr {$now - $startTime}] since start"
    close $channel
}

set s [socket -server [list Server [clock seconds]] -myaddr 127.0.0.1 0]
puts "port [lindex [chan configure $s -sockname] 2]"
vwait forever
`;

/** The manual's client, adapted only to take the host and port as arguments. */
const CLIENT_TCL = `lassign $argv server port
set sockChan [socket $server $port]
gets $sockChan line1
gets $sockChan line2
close $sockChan
puts "The time on $server is $line1"
puts "That is [lindex $line2 0]s since the server started"
`;

/** Tcl's default `clock format`: `%a %b %d %H:%M:%S %Z %Y`, e.g. `Thu Mar 03 08:38:02 UTC 2016`. */
const TCL_CLOCK_FORMAT =
  /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d \d\d:\d\d:\d\d \S+ \d{4}$/;

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `clock format $now` in UTC, for the sockit server that stands in for the Tcl one. */
function tclClockFormat(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${two(date.getUTCDate())} ${time} UTC ${date.getUTCFullYear()}`;
}

describe.skipIf(tclsh.path === undefined)("the Tcl manual's time server and client", () => {
  let temp: TempDir | undefined;
  let serverScript = "";
  let clientScript = "";
  const processes: RunningProcess[] = [];
  const servers: Server[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    temp = await makeTempDir("tcl");
    serverScript = join(temp.path, "time-server.tcl");
    clientScript = join(temp.path, "time-client.tcl");
    await writeFile(serverScript, SERVER_TCL);
    await writeFile(clientScript, CLIENT_TCL);
  });

  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.destroy()));
    await Promise.all(servers.splice(0).map((server) => server.closeAll()));
    await Promise.all(processes.splice(0).map((child) => child.stop()));
  });

  afterAll(async () => {
    await Promise.all(processes.splice(0).map((child) => child.stop()));
    await temp?.cleanup();
  });

  /** Starts the Tcl time server and returns the port it printed. */
  async function startTclServer(): Promise<{ server: RunningProcess; port: number }> {
    const server = startProcess(tclsh.path!, [serverScript]);
    processes.push(server);
    const match = await server.waitForOutput(/^port (\d+)$/m);
    return { server, port: Number(match[1]) };
  }

  /** A sockit server doing what the Tcl server does: two lines, then close. */
  async function startSockitServer(target: string) {
    const startTime = Date.now();
    const sent: { line1: string; line2: string; peer: string | undefined }[] = [];
    const server = await listen(target, async (socket) => {
      const now = new Date();
      const line1 = tclClockFormat(now);
      const line2 = `${Math.floor((now.getTime() - startTime) / 1000)} since start`;
      sent.push({ line1, line2, peer: socket.info().remoteAddress });
      socket.write(`${line1}\r\n${line2}\r\n`);
      await socket.close();
    });
    servers.push(server);
    return { server, sent };
  }

  it("reads the date and the seconds since start from the Tcl server as two lines, then end of stream", async () => {
    const { server, port } = await startTclServer();
    const client = connect(`127.0.0.1:${port}`, { connectTimeout: 5000 });
    sockets.push(client);

    const line1 = (await client.readLine({ timeout: READ_TIMEOUT })).toString("latin1");
    const line2 = (await client.readLine({ timeout: READ_TIMEOUT })).toString("latin1");
    expect(line1).toMatch(TCL_CLOCK_FORMAT);
    expect(line2).toMatch(/^\d+ since start$/);

    const third = client.readLine({ timeout: READ_TIMEOUT });
    await expect(third).rejects.toBeInstanceOf(SocketError);
    await expect(third).rejects.toMatchObject({ code: "ERR_END_OF_STREAM" });
    expect(await client.closed).toEqual({ hadError: false });
    await server.waitForOutput(/^Connection from 127\.0\.0\.1 registered$/m);
  });

  it("strips the CRLF that a Tcl socket channel writes by default from each line", async () => {
    const { port } = await startTclServer();
    const client = connect(`127.0.0.1:${port}`, { connectTimeout: 5000 });
    sockets.push(client);
    const raw = await client.readUntil("since start\r\n", { timeout: READ_TIMEOUT });
    expect(raw.toString("latin1")).toMatch(/^[^\r\n]+\r\n\d+ since start\r\n$/);
  });

  it("serves the Tcl client over IPv4 loopback, which prints the time and the seconds since start", async () => {
    const { server, sent } = await startSockitServer("127.0.0.1:0");
    const result = await runProcess(tclsh.path!, [clientScript, "127.0.0.1", String(server.port)]);

    expect(result).toMatchObject({ code: 0, timedOut: false, stderr: "" });
    expect(sent).toHaveLength(1);
    const { line1, line2, peer } = sent[0]!;
    expect(peer).toBe("127.0.0.1");
    const seconds = line2.split(" ")[0];
    expect(result.stdout).toBe(
      `The time on 127.0.0.1 is ${line1}\nThat is ${seconds}s since the server started\n`,
    );
    expect(result.stdout).toMatch(/^The time on 127\.0\.0\.1 is .+\nThat is \d+s since/);
  });

  it.skipIf(!ipv6)(
    "serves the Tcl client over IPv6 loopback ::1, which prints the time and the seconds since start",
    async () => {
      const { server, sent } = await startSockitServer("[::1]:0");
      expect(server.host).toBe("::1");
      const result = await runProcess(tclsh.path!, [clientScript, "::1", String(server.port)]);

      expect(result).toMatchObject({ code: 0, timedOut: false, stderr: "" });
      expect(sent).toHaveLength(1);
      const { line1, line2, peer } = sent[0]!;
      expect(peer).toBe("::1");
      const seconds = line2.split(" ")[0];
      expect(result.stdout).toBe(
        `The time on ::1 is ${line1}\nThat is ${seconds}s since the server started\n`,
      );
    },
  );
});
