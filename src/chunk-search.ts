/**
 * The remembered searches of a receive buffer's first chunk: the lines of one chunk cost one
 * native `indexOf` scan of it in all, rather than one scan each (`receive-buffer.ts`).
 *
 * @module
 */

/**
 * What the last searches of a first chunk found, for two bytes (LF and CR): each reused
 * while it still answers. Chunks never change once received, so a search is valid as long as
 * its chunk is the one searched. The two searches are plain fields (no array, no object per
 * search): every socket's receive buffer has one of these (bench W5).
 */
export class ChunkSearch {
  // The newer search ("a") and the older one ("b"): the first `byte` at or after `from` in
  // `chunk` is at `at` (-1: none).
  #chunkA: Buffer | undefined = undefined;
  #byteA = -1;
  #fromA = 0;
  #atA = -1;
  #chunkB: Buffer | undefined = undefined;
  #byteB = -1;
  #fromB = 0;
  #atB = -1;

  /** The first `byte` at or after index `start` of `chunk`, or -1. */
  find(chunk: Buffer, byte: number, start: number): number {
    if (this.#byteA !== byte) this.#swap(byte);
    const at = this.#atA;
    if (this.#chunkA === chunk && start >= this.#fromA && (at < 0 || start <= at)) return at;
    const found = chunk.indexOf(byte, start);
    this.#chunkA = chunk;
    this.#fromA = start;
    this.#atA = found;
    return found;
  }

  /** Makes `byte`'s search the newer one: the other one's, if it was for `byte`, else a fresh one. */
  #swap(byte: number): void {
    const chunk = this.#chunkA,
      from = this.#fromA,
      at = this.#atA,
      old = this.#byteA;
    if (this.#byteB === byte) {
      this.#chunkA = this.#chunkB;
      this.#fromA = this.#fromB;
      this.#atA = this.#atB;
    } else {
      this.#chunkA = undefined; // the older search gives way
    }
    this.#byteA = byte;
    this.#chunkB = chunk;
    this.#fromB = from;
    this.#atB = at;
    this.#byteB = old;
  }

  /** Forgets the remembered searches: all of them, or those of `chunk` (it is gone). */
  forget(chunk?: Buffer): void {
    if (chunk !== undefined && this.#chunkA !== chunk && this.#chunkB !== chunk) return;
    this.#chunkA = undefined;
    this.#chunkB = undefined;
  }
}
