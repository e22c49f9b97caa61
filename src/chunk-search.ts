/**
 * The remembered searches of a receive buffer's first chunk: the lines of one chunk cost one
 * native `indexOf` scan of it in all, rather than one scan each (`receive-buffer.ts`).
 *
 * @module
 */

/** A search of one chunk for one byte: the first `byte` at or after `from` is at `at` (-1: none). */
interface SearchMemo {
  chunk: Buffer | undefined;
  byte: number;
  from: number;
  at: number;
}

function newMemo(): SearchMemo {
  return { chunk: undefined, byte: -1, from: 0, at: -1 };
}

/**
 * What the last searches of a first chunk found, for two bytes (LF and CR): each reused
 * while it still answers. Chunks never change once received, so a memo is valid as long as
 * its chunk is the one searched.
 */
export class ChunkSearch {
  readonly #memos: [SearchMemo, SearchMemo] = [newMemo(), newMemo()];

  /** The first `byte` at or after index `start` of `chunk`, or -1. */
  find(chunk: Buffer, byte: number, start: number): number {
    const memos = this.#memos;
    let memo = memos[0].byte === byte ? memos[0] : memos[1];
    if (memo.byte !== byte) {
      memo = memos[1];
      memos[1] = memos[0]; // the older memo gives way
      memos[0] = memo;
      memo.byte = byte;
      memo.chunk = undefined;
    }
    if (memo.chunk === chunk && start >= memo.from && (memo.at < 0 || start <= memo.at)) {
      return memo.at;
    }
    const at = chunk.indexOf(byte, start);
    memo.chunk = chunk;
    memo.from = start;
    memo.at = at;
    return at;
  }

  /** Forgets the remembered searches: all of them, or those of `chunk` (it is gone). */
  forget(chunk?: Buffer): void {
    const [a, b] = this.#memos;
    if (chunk !== undefined && a.chunk !== chunk && b.chunk !== chunk) return;
    a.chunk = undefined;
    b.chunk = undefined;
  }
}
