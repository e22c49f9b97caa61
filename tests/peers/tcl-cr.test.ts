/**
 * A peer that ends its lines with CR only (the classic Mac OS line ending of the LiveCode
 * seed), played by a real `tclsh` with `fconfigure -translation cr`: a line-by-line request
 * and response with it must never deadlock.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../src/index.js";
import {
  findPeer,
  makeTempDir,
  type RunningProcess,
  startProcess,
  type TempDir,
} from "../helpers/peers.js";

const tclsh = findPeer("tclsh", "CR-only Tcl peer");

/** A line server that reads and writes CR-terminated lines (`-translation cr`). */
const SERVER_TCL = `chan configure stdout -buffering line
proc Serve {channel addr port} {
    fconfigure $channel -translation cr -buffering line
    while {[gets $channel line] >= 0} {
        if {$line eq "QUIT"} break
        puts $channel "echo: $line"
    }
    close $channel
}
set s [socket -server Serve -myaddr 127.0.0.1 0]
puts "port [lindex [chan configure $s -sockname] 2]"
vwait forever
`;

describe.skipIf(tclsh.path === undefined)("a CR-only Tcl peer (-translation cr)", () => {
  let temp: TempDir | undefined;
  let server: RunningProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    temp = await makeTempDir("tcl-cr");
    const script = join(temp.path, "cr-server.tcl");
    await writeFile(script, SERVER_TCL);
    server = startProcess(tclsh.path as string, [script]);
    port = Number((await server.waitForOutput(/^port (\d+)$/m))[1]);
  });

  afterAll(async () => {
    await server?.stop();
    await temp?.cleanup();
  });

  it("exchanges CR-terminated requests and replies with readLine() without deadlocking", async () => {
    const socket = connect(`127.0.0.1:${port}`, { connectTimeout: 5000 });
    try {
      for (const request of ["HELLO", "second", ""]) {
        socket.write(`${request}\r`);
        const reply = await socket.readLine({ timeout: 10_000, encoding: "latin1" });
        expect(reply).toBe(`echo: ${request}`);
      }
      socket.write("QUIT\r");
      await expect(socket.readLine({ timeout: 10_000 })).rejects.toMatchObject({
        code: "ERR_END_OF_STREAM",
      });
    } finally {
      await socket.destroy();
    }
  });

  it("reads the same replies with eol cr and with readUntil over CR LF, LF and CR", async () => {
    const socket = connect(`127.0.0.1:${port}`, { connectTimeout: 5000 });
    try {
      socket.write("one\r");
      expect(await socket.readLine({ eol: "cr", timeout: 10_000, encoding: "latin1" })).toBe(
        "echo: one",
      );
      socket.write("two\r");
      const frame = await socket.readUntil(["\r\n", "\n", "\r"], { timeout: 10_000 });
      expect(frame.toString("latin1")).toBe("echo: two\r");
    } finally {
      await socket.destroy();
    }
  });
});
