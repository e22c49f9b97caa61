import { describe, expect, it } from "vitest";
import { abortedNow, startDeadline } from "../src/deadline.js";
import type { SocketError } from "../src/errors.js";
import { sleep } from "./helpers/raw-peer.js";

/** Arms a deadline and collects what it expires with. */
function arm(
  phase: Parameters<typeof startDeadline>[0],
  timeout: number,
  signal?: AbortSignal,
  address?: string,
) {
  const expired: SocketError[] = [];
  const deadline = startDeadline(phase, timeout, signal, (e) => expired.push(e), address);
  return { deadline, expired };
}

describe("a deadline", () => {
  it("is nothing at all without a timeout or a signal", () => {
    expect(arm("read", 0).deadline).toBeUndefined();
  });

  it("expires once with the phase's timeout error", async () => {
    const { expired } = arm("send", 10);
    await sleep(60);
    expect(expired.map((e) => e.code)).toEqual(["ERR_WRITE_TIMEOUT"]);
  });

  it("names each phase's timeout with its own code", async () => {
    const phases = [
      ["read", "ERR_READ_TIMEOUT"],
      ["receive", "ERR_READ_TIMEOUT"],
      ["send", "ERR_WRITE_TIMEOUT"],
      ["connect", "ERR_CONNECT_TIMEOUT"],
      ["handshake", "ERR_TLS_HANDSHAKE_TIMEOUT"],
    ] as const;
    const armed = phases.map(([phase]) => arm(phase, 5, undefined, "10.0.0.1:80"));
    await sleep(60);
    expect(armed.map((a) => a.expired.map((e) => e.code))).toEqual(phases.map(([, c]) => [c]));
    expect(armed[3]?.expired[0]?.address).toBe("10.0.0.1:80");
  });

  it("expires once with ERR_ABORTED carrying the signal's reason, and not again at its timeout", async () => {
    const controller = new AbortController();
    const { expired } = arm("read", 20, controller.signal);
    const reason = new Error("stop");
    controller.abort(reason);
    await sleep(60);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ code: "ERR_ABORTED", message: "the read was aborted" });
    expect(expired[0]?.cause).toBe(reason);
  });

  it("calls nothing once cleared, and lets go of the signal", async () => {
    const controller = new AbortController();
    const { deadline, expired } = arm("read", 10, controller.signal);
    deadline?.clear();
    deadline?.clear(); // idempotent
    controller.abort();
    await sleep(40);
    expect(expired).toEqual([]);
  });

  it("reports a signal aborted before the operation started, as that phase's abort", () => {
    const controller = new AbortController();
    expect(abortedNow("connect", controller.signal)).toBeUndefined();
    expect(abortedNow("connect", undefined)).toBeUndefined();
    controller.abort("why");
    expect(abortedNow("connect", controller.signal)).toMatchObject({
      code: "ERR_ABORTED",
      message: "the connection was aborted",
      cause: "why",
    });
  });
});
