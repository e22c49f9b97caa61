import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** A full garbage collection: Bun's own, or V8's `gc()` exposed on the fly (Node, Deno). */
export function collector(): () => void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) return () => bun.gc(true);
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** Why a test of how much a held string keeps alive skips on Bun. */
export const SLICED_STRINGS =
  "JavaScriptCore keeps strings its own way (this measures V8's sliced strings)";

/**
 * Heap bytes held per line when `firstLine` takes one line from each of 100 reads of 64 KiB
 * (1,024 lines of 63 bytes each) and the lines are kept; checks each kept line is whole.
 */
export function heapPerHeldLine(firstLine: (read: Buffer) => string): number {
  const gc = collector();
  const held: string[] = [];
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 100; i++) {
    const read = Buffer.alloc(64 * 1024, 0x61 + (i % 26));
    for (let p = 63; p < read.length; p += 64) read[p] = 0x0a;
    held.push(firstLine(read));
  }
  gc();
  const perLine = (process.memoryUsage().heapUsed - before) / held.length;
  if (!held.every((line) => line.length === 63)) throw new Error("a held line is not whole");
  return perLine;
}
