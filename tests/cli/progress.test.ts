import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatDuration,
  formatRate,
  progressTokens,
  RATE_WINDOW_MS,
  RateMeter,
} from "../../src/cli/progress.js";

describe("send's progress numbers", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [1024 * 1024 - 1, "1.0 MiB"], // not "1024.0 KiB"
    [10.25 * 1024 * 1024, "10.3 MiB"],
    [3 * 1024 ** 3, "3.0 GiB"],
    [5 * 1024 ** 5, "5120.0 TiB"],
  ])("writes %d bytes as %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it("writes a rate per second, and --/s before there is one", () => {
    expect(formatRate(512 * 1024)).toBe("512.0 KiB/s");
    expect(formatRate(undefined)).toBe("--/s");
  });

  it.each([
    [0.2, "1s"],
    [59, "59s"],
    [185, "3m05s"],
    [7440, "2h04m"],
    [undefined, "--"],
    [Number.POSITIVE_INFINITY, "--"],
  ])("writes %s seconds left as %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it("measures the rate over the last window only, so a stall shows at once", () => {
    const meter = new RateMeter();
    expect(meter.rate(0)).toBeUndefined();
    meter.add(0, 0);
    meter.add(1000, 1024 * 1024); // a burst: the kernel took a buffer's worth
    expect(meter.rate(1000)).toBe(1024 * 1024);
    // Then 100 KiB/s for a long while: the early burst leaves the window.
    for (let t = 2000; t <= 20_000; t += 1000)
      meter.add(t, 1024 * 1024 + ((t - 1000) / 1000) * 102_400);
    expect(meter.rate(20_000)).toBeCloseTo(102_400, 0);
    // Nothing taken for the whole window: the rate falls toward zero.
    expect(meter.rate(20_000 + RATE_WINDOW_MS)).toBeLessThan(102_400 / 1.9);
  });

  it("gives the ETA from the rate of bytes taken, not from the share done", () => {
    // 35 % of 10 MiB at 100 KiB/s: 6.5 MiB left, 66.56 s.
    const tokens = progressTokens(3.5 * 1024 * 1024, 10 * 1024 * 1024, 100 * 1024);
    expect(tokens).toEqual({
      sent: "3.5 MiB",
      size: "10.0 MiB",
      speed: "100.0 KiB/s",
      left: "1m07s",
    });
    expect(progressTokens(10, 10, undefined).left).toBe("0s");
    expect(progressTokens(5, undefined, 100).size).toBe("?");
    expect(progressTokens(5, 10, 0).left).toBe("--");
  });
});
