/**
 * Starting a proxy daemon (HAProxy, nginx) for a test on free loopback ports: the config is
 * written for ports that were free a moment ago, and when another process took one before
 * the daemon bound it, the start is tried again (three times at most).
 */
import { writeFile } from "node:fs/promises";
import { freePort, type RunningProcess, startProcess, waitForPort } from "./peers.js";

/**
 * Picks `count` free ports, writes `config(ports)` to `configPath`, starts `command args` and
 * waits until it accepts connections on every port. Rejects with what the daemon printed.
 */
export async function startDaemon(
  command: string,
  args: readonly string[],
  configPath: string,
  count: number,
  config: (ports: number[]) => string,
): Promise<{ process: RunningProcess; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    while (ports.length < count) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    await writeFile(configPath, config(ports));
    const running = startProcess(command, args);
    try {
      for (const port of ports) {
        await waitForPort("127.0.0.1", port, { stillRunning: () => !running.exited() });
      }
      return { process: running, ports };
    } catch (error) {
      await running.stop();
      const output = `${running.stdout()}\n${running.stderr()}`;
      if (attempt >= 3 || !/in use|cannot bind/i.test(output)) {
        throw new Error(`${command} did not start: ${String(error)}\n${output}`);
      }
    }
  }
}
