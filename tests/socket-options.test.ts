import { afterEach, describe, expect, it, vi } from "vitest";
import { connect } from "../src/connect.js";
import { resolveSocketOptions } from "../src/socket-options.js";
import { rawPeer } from "./helpers/raw-peer.js";

describe("socket options", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("takes the deprecated timeout as idleTimeout and warns once per process with SOCKIT_DEP_TIMEOUT", async () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    expect(resolveSocketOptions({ timeout: 50 }).idleTimeout).toBe(50);
    expect(resolveSocketOptions({ timeout: 70 }).idleTimeout).toBe(70);
    const deprecations = warn.mock.calls.filter(
      ([, options]) => (options as { code?: string } | undefined)?.code === "SOCKIT_DEP_TIMEOUT",
    );
    expect(deprecations).toHaveLength(1);
    expect(deprecations[0]?.[1]).toMatchObject({ type: "DeprecationWarning" });
  });

  it("emits 'timeout' after the idle time given by the deprecated alias, and stays open", async () => {
    vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    const { target } = await rawPeer(() => {});
    const socket = connect(target, { timeout: 50 });
    await new Promise<void>((r) => socket.once("timeout", () => r()));
    expect(socket.connected).toBe(true);
    await socket.destroy();
  });

  it("refuses idleTimeout and timeout given together with ERR_INVALID_ARGUMENT", () => {
    expect(() => connect("127.0.0.1:80", { idleTimeout: 10, timeout: 10 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });

  it("refuses a negative or fractional idleTimeout with ERR_INVALID_ARGUMENT", () => {
    expect(() => resolveSocketOptions({ idleTimeout: -1 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
    expect(() => resolveSocketOptions({ idleTimeout: 1.5 })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
  });
});
