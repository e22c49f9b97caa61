/**
 * examples/cluster/server.mjs: node:cluster workers share one port, and every one of them
 * accepts connections. Runs the built package (`npm test` builds it first).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "../../src/connect.js";
import { freePort, type RunningProcess, skipReason, startProcess } from "../helpers/peers.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/cluster/server.mjs", import.meta.url));
const BUILT = existsSync(fileURLToPath(new URL("../../dist/index.js", import.meta.url)));
const WORKERS = 3;

describe.skipIf(!BUILT)("the cluster example", () => {
  let primary: RunningProcess | undefined;
  afterAll(async () => {
    await primary?.stop();
  });

  it(`spreads connections over all ${WORKERS} workers sharing one port`, async () => {
    const port = await freePort();
    primary = startProcess(process.execPath, [EXAMPLE, String(port)], {
      env: { ...process.env, WORKERS: String(WORKERS) },
    });
    await primary.waitForOutput(new RegExp(`${WORKERS} workers listening on port ${port}`), 15_000);
    const workers = new Set<string>();
    // Round-robin gives each worker a turn; the bound stops the loop whatever happens.
    for (let i = 0; i < 10 * WORKERS && workers.size < WORKERS; i++) {
      const socket = connect(`127.0.0.1:${port}`);
      const line = (await socket.readLine({ timeout: 5000 })).toString();
      expect(line).toMatch(/^worker \d+ \(pid \d+\)$/);
      socket.write("echo\n");
      expect((await socket.readLine({ timeout: 5000 })).toString()).toBe("echo");
      await socket.close();
      workers.add(line);
    }
    expect(workers.size).toBe(WORKERS);
  });
});

if (!BUILT) skipReason("the cluster example: dist/ is not built (npm run build)");
