import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Child,
  hasTool,
  killAll,
  listeningPort,
  runCli,
  startCli,
  startSocatListener,
} from "./run-cli.js";

// Real third-party peers; CI installs them (scripts/install-peers.sh). Absent: skipped, said why.
const hasSocat = hasTool("socat", ["-V"], /socat version/);
const hasNc = hasTool("nc", ["-h"], /OpenBSD netcat/);

let dir = "";

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sockit-cli-"));
});

afterEach(async () => {
  killAll();
  await rm(dir, { recursive: true, force: true });
});

describe("sockit connect with socat as the server", () => {
  it.skipIf(!hasSocat)("round-trips binary bytes through socat EXEC:cat", async () => {
    const { port } = await startSocatListener((p) => [
      `TCP-LISTEN:${p},bind=127.0.0.1,reuseaddr`,
      "EXEC:cat",
    ]);
    const input = Buffer.concat([Buffer.from([0x00, 0xff, 0x0a, 0x0d]), randomBytes(200_000)]);
    const result = await runCli(["connect", `127.0.0.1:${port}`], input);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.equals(input)).toBe(true);
  });

  it.skipIf(!hasSocat)(
    "reads what socat sends when socat closes first, and exits 0 at the end of stdin",
    async () => {
      const payload = Buffer.concat([Buffer.from("from socat "), randomBytes(50_000)]);
      const file = join(dir, "payload");
      await writeFile(file, payload);
      // socat sends the file, then closes at its end: the peer closes first.
      const { port } = await startSocatListener((p) => [
        `TCP-LISTEN:${p},bind=127.0.0.1,reuseaddr`,
        `OPEN:${file},rdonly`,
      ]);
      const child = startCli(["connect", `127.0.0.1:${port}`]);
      await child.waitForStdout(payload);
      // As ncat: the peer's end of stream ends the output only; input still has its say.
      expect(child.running).toBe(true);
      child.send("", true);
      const result = await child.exited;
      expect(result.code).toBe(0);
      expect(result.stdout.equals(payload)).toBe(true);
    },
  );
});

describe("sockit listen with socat and nc as clients", () => {
  it.skipIf(!hasSocat)("exchanges bytes both ways with `socat - TCP:127.0.0.1:PORT`", async () => {
    const sockit = startCli(["listen", "127.0.0.1:0"]);
    const port = await listeningPort(sockit);
    const socat = new Child("socat", ["-", `TCP:127.0.0.1:${port}`]);
    const toSockit = Buffer.from("to sockit \x00\xff", "latin1");
    const toSocat = Buffer.from("to socat \xfe\x00", "latin1");
    socat.send(toSockit);
    sockit.send(toSocat);
    // Both directions have arrived before either side ends.
    await sockit.waitForStdout(toSockit);
    await socat.waitForStdout(toSocat);
    socat.send("", true); // socat half-closes, then closes
    sockit.send("", true); // and sockit, its input done too, exits
    const [mine, theirs] = await Promise.all([sockit.exited, socat.exited]);
    expect(mine.code).toBe(0);
    expect(theirs.code).toBe(0);
    expect(mine.stdout.equals(toSockit)).toBe(true);
    expect(theirs.stdout.equals(toSocat)).toBe(true);
  });

  it.skipIf(!hasNc)("--echo sends back what `nc -N` sends, to its end", async () => {
    const sockit = startCli(["listen", "--echo", "127.0.0.1:0"]);
    const port = await listeningPort(sockit);
    const input = randomBytes(100_000);
    const nc = new Child("nc", ["-N", "127.0.0.1", String(port)]);
    nc.send(input, true);
    const result = await nc.exited;
    expect(result.code).toBe(0);
    expect(result.stdout.equals(input)).toBe(true);
    sockit.signal("SIGTERM");
    expect((await sockit.exited).code).toBe(0);
  });

  it.skipIf(!hasSocat)("--echo serves a socat client on a Unix-domain socket", async () => {
    const path = join(dir, "echo.sock");
    const sockit = startCli(["listen", "--echo", `unix:${path}`]);
    await sockit.waitForStderr(/^listening on unix:/m);
    const socat = new Child("socat", ["-", `UNIX-CONNECT:${path}`]);
    socat.send("hello unix", true);
    const result = await socat.exited;
    expect(result.stdout.toString()).toBe("hello unix");
    sockit.signal("SIGINT");
    expect((await sockit.exited).code).toBe(0);
  });
});
