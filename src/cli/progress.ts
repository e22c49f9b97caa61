/**
 * The numbers `sockit send` draws on its progress bar: sizes in binary units (KiB, MiB), the
 * rate over the last seconds of bytes the kernel took, and the time left at that rate.
 * cli-progress's own ETA averages its last few updates, which on a slow receiver arrive in
 * bursts (a full socket buffer, then nothing): it said "1 s" at 35 % and at 77 %.
 *
 * @module
 */

/** How far back the rate looks, in milliseconds. */
export const RATE_WINDOW_MS = 5000;

const UNITS = ["KiB", "MiB", "GiB", "TiB"] as const;

/** `512 B`, `1.5 KiB`, `12.3 MiB`, `2.0 GiB`: binary units, one decimal from KiB up. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 KiB rounds to "1024.0 KiB"; say "1.0 MiB" instead.
  if (value >= 1023.95 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A rate in bytes per second as `1.5 MiB/s`; `--/s` before there is one. */
export function formatRate(bytesPerSecond: number | undefined): string {
  return bytesPerSecond === undefined ? "--/s" : `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds as `7s`, `3m05s`, `2h04m`; `--` when unknown (no rate yet, or stalled). */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "--";
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  const pad = (n: number): string => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
}

/**
 * The rate of a transfer over the last {@link RATE_WINDOW_MS}: fed the running total of
 * bytes with the time (milliseconds, any monotonic clock), it answers in bytes per second.
 */
export class RateMeter {
  readonly #samples: { at: number; bytes: number }[] = [];

  /** Records that `bytes` in all had been taken by `at` milliseconds. */
  add(at: number, bytes: number): void {
    this.#samples.push({ at, bytes });
    // Keep one sample older than the window, so the rate always spans the whole window.
    while (this.#samples.length > 2 && (this.#samples[1]?.at ?? at) <= at - RATE_WINDOW_MS) {
      this.#samples.shift();
    }
  }

  /** Bytes per second over the window ending `now`; undefined until time has passed. */
  rate(now: number): number | undefined {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (first === undefined || last === undefined || now <= first.at) return undefined;
    return ((last.bytes - first.bytes) * 1000) / (now - first.at);
  }
}

/** The tokens `sockit send`'s bar format uses, besides cli-progress's `{bar}` and `{percentage}`. */
export interface ProgressTokens {
  /** Bytes taken so far: `1.5 MiB`. */
  sent: string;
  /** The file's size: `10.0 MiB`, or `?` when unknown. */
  size: string;
  /** `512.0 KiB/s`. */
  speed: string;
  /** Time left at that speed: `17s`, `--` when unknown. */
  left: string;
}

/** The tokens for `sent` of `total` bytes at `bytesPerSecond`. */
export function progressTokens(
  sent: number,
  total: number | undefined,
  bytesPerSecond: number | undefined,
): ProgressTokens {
  const left =
    total === undefined || bytesPerSecond === undefined || bytesPerSecond <= 0
      ? undefined
      : Math.max(0, total - sent) / bytesPerSecond;
  return {
    sent: formatBytes(sent),
    size: total === undefined ? "?" : formatBytes(total),
    speed: formatRate(bytesPerSecond),
    left: sent === total ? "0s" : formatDuration(left),
  };
}

/** cli-progress's format string with the tokens above. */
export const PROGRESS_FORMAT = "{bar} {percentage}% | {sent}/{size} | {speed} | ETA {left}";
