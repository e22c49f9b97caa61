/**
 * The CLI as a person types it: in a tmux session (a real terminal), keys sent with
 * send-keys and the screen read with capture-pane. Skipped, with the reason, without tmux.
 */
import { spawnSync } from "node:child_process";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { connect, listen, type Server, type Socket } from "../../src/index.js";
import { runtimeCommand } from "../helpers/runtime.js";
import { BOUND_MS, CLI } from "./run-cli.js";

const hasTmux = spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0;
if (!hasTmux) console.warn("skipping the tmux tests: tmux is not installed (apt-get install tmux)");

/** A tmux server of our own, so the user's sessions are never touched. */
const SERVER = `sockit-test-${process.pid}`;

function tmux(...args: string[]): string {
  const result = spawnSync("tmux", ["-L", SERVER, ...args], { encoding: "utf8", timeout: 5000 });
  if (result.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** Starts `command` in a detached 120x30 terminal that stays on screen after it exits. */
function start(name: string, command: string): void {
  tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "30", command);
  tmux("set-option", "-t", name, "remain-on-exit", "on");
}

const screen = (name: string): string => tmux("capture-pane", "-p", "-t", name);

/** Polls the screen until `test` passes; bounded by BOUND_MS. */
async function waitForScreen(name: string, test: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const text = screen(name);
    if (test(text)) return text;
    if (Date.now() > deadline) throw new Error(`screen never matched; it shows:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});
afterAll(() => {
  if (hasTmux) spawnSync("tmux", ["-L", SERVER, "kill-server"], { timeout: 5000 });
});

const node = [...runtimeCommand, CLI].join(" ");

describe.skipIf(!hasTmux)("sockit in a terminal (tmux)", () => {
  it("a typed session: lines go out as typed, replies show, and the server's close ends it", async () => {
    const server: Server = await listen("127.0.0.1:0", async (socket) => {
      const line = await socket.readLine({ timeout: BOUND_MS });
      await socket.send(`you typed: ${line.toString()}\n`);
      await socket.close();
    });
    cleanups.push(() => server.closeAll());
    // The shell prints the exit status: tmux's own "Pane is dead" line proved unreliable.
    start("typed", `${node} 127.0.0.1 ${server.port} -v; echo "exit status $?"`);
    // Typed once connected, as a person does after the "connected to" line.
    await waitForScreen("typed", (t) => t.includes("connected to"));
    tmux("send-keys", "-t", "typed", "hello there", "Enter");
    const text = await waitForScreen("typed", (t) => t.includes("you typed: hello there"));
    expect(text).toContain("hello there");
    // The terminal has nothing pending: the server's end of stream ends the session, exit 0.
    const end = await waitForScreen("typed", (t) => t.includes("exit status"));
    expect(end).toContain("exit status 0");
  });

  it("listen -k -v draws a live table of connections on the terminal", async () => {
    // stdout (the clients' data) to a file, as when the table is wanted: the terminal shows
    // stderr alone, the table redrawn in place.
    start("table", `${node} -lkv 127.0.0.1 0 > /dev/null`);
    const first = await waitForScreen("table", (t) => /listening on 127\.0\.0\.1:\d+/.test(t));
    const port = /listening on 127\.0\.0\.1:(\d+)/.exec(first)?.[1];
    const clients: Socket[] = [connect(`127.0.0.1:${port}`), connect(`127.0.0.1:${port}`)];
    cleanups.push(() => Promise.all(clients.map((c) => c.destroy())));
    await Promise.all(clients.map((c) => c.opened));
    await clients[0]?.send("x".repeat(2048));
    const table = await waitForScreen(
      "table",
      (t) => t.includes("2 open") && t.includes("2.0 KiB"),
    );
    expect(table).toMatch(/#\s+PEER\s+IN\s+OUT\s+AGE\s+STATE/);
    expect(table).toMatch(/127\.0\.0\.1:\d+\s+2\.0 KiB\s+0 B\s+\S+\s+open/);
    await clients[1]?.close();
    await waitForScreen("table", (t) => t.includes("1 open, 1 recently closed"));
    // Redrawn in place: one header on screen, not one per redraw.
    expect(screen("table").match(/PEER/g)).toHaveLength(1);
    tmux("send-keys", "-t", "table", "C-c");
    await waitForScreen(
      "table",
      () => tmux("display", "-p", "-t", "table", "#{pane_dead}").trim() === "1",
    );
  });
});
