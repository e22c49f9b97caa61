/**
 * `listen(target, { reusePort: true })`: refused with ERR_UNSUPPORTED where the running Node
 * (before 22.12 / 23.1) or the system lacks it; where it has it, two servers share a port.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { listen } from "../src/listen.js";
import { reusePortUnsupported } from "../src/reuse-port.js";
import type { Server } from "../src/server.js";
import { rejection } from "./helpers/errors.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

describe("reusePortUnsupported", () => {
  it.each([
    ["20.20.2", "linux", false],
    ["22.11.0", "linux", false],
    ["22.12.0", "linux", true],
    ["23.0.0", "linux", false],
    ["23.1.0", "linux", true],
    ["24.0.0", "freebsd", true],
    ["24.0.0", "darwin", false],
    ["24.0.0", "win32", false],
  ])("Node %s on %s: supported %s", (version, platform, supported) => {
    expect(reusePortUnsupported(version, platform) === undefined).toBe(supported);
  });
});

const why = reusePortUnsupported();

describe("listen with reusePort", () => {
  it("refuses a Unix-domain path with ERR_UNSUPPORTED", async () => {
    const path = join(tmpdir(), `sockit-reuse-port-${process.pid}.sock`);
    const error = await rejection(listen(`unix:${path}`, { reusePort: true }));
    expect(error.code).toBe("ERR_UNSUPPORTED");
  });

  it("refuses a value that is not a boolean with ERR_INVALID_ARGUMENT", async () => {
    const error = await rejection(
      listen("127.0.0.1:0", { reusePort: "yes" as unknown as boolean }),
    );
    expect(error.code).toBe("ERR_INVALID_ARGUMENT");
  });

  it.runIf(why !== undefined)(
    `refuses it with ERR_UNSUPPORTED on this Node (${process.versions.node})`,
    async () => {
      const error = await rejection(listen("127.0.0.1:0", { reusePort: true }));
      expect(error.code).toBe("ERR_UNSUPPORTED");
      expect(error.message).toContain(process.versions.node);
    },
  );

  it.runIf(why === undefined)("lets two servers listen on one port, and both accept", async () => {
    const first = await listen("127.0.0.1:0", { reusePort: true }, (s) => void s.send("1\n"));
    servers.push(first);
    const second = await listen(
      `127.0.0.1:${first.port}`,
      { reusePort: true },
      (s) => void s.send("2\n"),
    );
    servers.push(second);
    expect(second.port).toBe(first.port);
    const seen = new Set<string>();
    for (let i = 0; i < 64 && seen.size < 2; i++) {
      const client = connect(`127.0.0.1:${first.port}`);
      seen.add((await client.readLine()).toString());
      await client.destroy();
    }
    expect([...seen].sort()).toEqual(["1", "2"]);
  });

  it.runIf(why === undefined)(
    "still refuses a second server without reusePort (EADDRINUSE)",
    async () => {
      const first = await listen("127.0.0.1:0", { reusePort: true });
      servers.push(first);
      expect((await rejection(listen(`127.0.0.1:${first.port}`))).code).toBe("EADDRINUSE");
    },
  );
});
