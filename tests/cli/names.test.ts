import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { portNumber } from "../../src/cli/flags.js";
import { connect, listen, type Server } from "../../src/index.js";
import { canUnshare } from "../helpers/namespaces.js";
import { skipOn } from "../helpers/runtime.js";
import { Child, CLI, killAll } from "./run-cli.js";

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(servers.splice(0).map((server) => server.closeAll()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * The CLI in a mount namespace (`unshare -rm`) where `file` is bind-mounted over `over`
 * (`/etc/services`, `/etc/hosts`): a database of the test's own, the machine's network.
 */
function cliWith(over: string, text: string, args: readonly string[]): Child {
  const dir = mkdtempSync(join(tmpdir(), "sockit-cli-names-"));
  dirs.push(dir);
  const file = join(dir, "file");
  writeFileSync(file, text);
  const quoted = [process.execPath, CLI, ...args].map((arg) => `'${arg}'`).join(" ");
  return new Child("unshare", [
    "-rm",
    "sh",
    "-c",
    `mount --bind ${file} ${over} && exec ${quoted}`,
  ]);
}

describe("sockit and names", () => {
  it("takes a service name where a port flag takes a number (-p http)", () => {
    expect(portNumber("8080")).toBe(8080);
    expect(portNumber("http")).toBe(80); // /etc/services, or the built-in table
    expect(() => portNumber("no-such-service")).toThrow(/port or a known service name/);
    expect(() => portNumber("70000")).toThrow(/port or a known service name/);
  });

  it("connects to a port given by service name (HOST SERVICE)", async (context) => {
    skipOn(
      "deno",
      "the CLI child that Deno starts here runs with Deno's default permissions, so it cannot read the namespace's private /etc/services or /etc/hosts and uses its built-in services table",
      context,
    );
    if (!canUnshare("-rm")) return context.skip();
    const server = await listen("127.0.0.1:0", async (socket) => {
      await socket.send("from the named port\n");
      await socket.close();
    });
    servers.push(server);
    const child = cliWith("/etc/services", `sockit-test ${server.port}/tcp\n`, [
      "connect",
      "127.0.0.1",
      "sockit-test",
    ]);
    child.send("", true);
    const finished = await child.exited;
    expect(finished.stderr).toBe("");
    expect(String(finished.stdout)).toBe("from the named port\n");
    expect(finished.code).toBe(0);
  });

  it("prints every address when listening on a name that has several", async (context) => {
    skipOn(
      "deno",
      "the CLI child that Deno starts here runs with Deno's default permissions, so it cannot read the namespace's private /etc/services or /etc/hosts and uses its built-in services table",
      context,
    );
    if (!canUnshare("-rm")) return context.skip();
    const hosts = "127.0.0.1 localhost\n127.0.0.1 multi.test\n::1 multi.test\n";
    const child = cliWith("/etc/hosts", hosts, ["listen", "multi.test:0", "--echo"]);
    const [, port] = await child.waitForStderr(/listening on \[::1\]:(\d+), 127\.0\.0\.1:\1\n/);
    for (const host of ["127.0.0.1", "[::1]"]) {
      const socket = connect(`${host}:${port}`);
      socket.write(`echo over ${host}\n`);
      expect(String(await socket.readLine({ timeout: 5000 }))).toBe(`echo over ${host}`);
      await socket.close();
    }
    child.process.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
  });
});
