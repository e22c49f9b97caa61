/**
 * The receive buffer: a list of the chunks the kernel handed over, and a byte count.
 * Appending never concatenates; consuming never shifts bytes (a head index and an offset
 * move instead). A delimiter that spans chunks is found without copying, and bytes that sit
 * in one chunk are handed out as a zero-copy `subarray` view (as `ws`'s receiver does).
 *
 * @module
 */
import { ChunkSearch } from "./chunk-search.js";

/** Chunks consumed at the front are dropped from the array in batches of at least this many. */
const COMPACT_AT = 32;

/** What a consumed slot of the chunk list holds until the list is compacted. */
const EMPTY = Buffer.alloc(0);

const LF = 0x0a;

/**
 * The chunk list of every empty buffer: shared, so never added to (`append` replaces it
 * with an array of its own). Made as an array of objects, so that the lists a buffer
 * holds all have one elements kind (`[]` would be one of small integers).
 */
const NO_CHUNKS: Buffer[] = [EMPTY];
NO_CHUNKS.pop();

/**
 * A FIFO of bytes kept as a list of chunks.
 *
 * Positions passed to and returned by its methods count from the first unread byte.
 *
 * @example
 * ```ts
 * const buffer = new ReceiveBuffer();
 * buffer.append(Buffer.from("GET / HTTP/1.0\r"));
 * buffer.append(Buffer.from("\n\r\n"));
 * buffer.indexOf(Buffer.from("\r\n\r\n")); // 14: the delimiter spans the two chunks
 * buffer.take(18).toString(); // "GET / HTTP/1.0\r\n\r\n"
 * ```
 */
export class ReceiveBuffer {
  #chunks: Buffer[] = NO_CHUNKS;
  /** Index in `#chunks` of the first chunk with unread bytes. */
  #head = 0;
  /** Bytes of `#chunks[#head]` already consumed. */
  #offset = 0;
  #length = 0;
  /** A line ended at a lone CR: an LF that arrives next belongs to its line ending. */
  #dropLf = false;
  /**
   * The last searches of the first chunk (for LF and CR), reused while they still answer;
   * made at the first search (a socket read only by length never needs one: bench W5).
   */
  #search: ChunkSearch | undefined;

  /** Unread bytes held, in bytes. */
  get length(): number {
    return this.#length;
  }

  /**
   * The first chunk holding unread bytes (undefined when empty), for a decoder that reads in
   * place; its unread bytes start at {@link headOffset}. Chunks are never changed.
   */
  get head(): Buffer | undefined {
    return this.#length === 0 ? undefined : this.#chunks[this.#head];
  }

  /** Where the unread bytes of {@link head} start. */
  get headOffset(): number {
    return this.#offset;
  }

  /** Adds bytes at the end. The chunk is kept by reference: the caller must not reuse it. */
  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#dropLf) {
      this.#dropLf = false;
      if (chunk[0] === LF) {
        if (chunk.length === 1) return;
        chunk = chunk.subarray(1);
      }
    }
    // An empty buffer holds no array of its own: an idle connection keeps none (W5).
    if (this.#chunks.length === 0) this.#chunks = [chunk];
    else this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /**
   * The position of the first occurrence of `needle` at or after `from`, or -1.
   * A needle that spans chunks is found. Each call scans bytes from `from` on only, so a
   * caller that remembers where its last search ended never scans a byte twice.
   */
  indexOf(needle: Buffer, from = 0): number {
    const size = needle.length;
    if (size === 0 || from + size > this.#length) return -1;
    const single = size === 1 ? (needle[0] as number) : -1;
    const first = this.#chunks[this.#head] as Buffer;
    const start = this.#offset + from;
    if (single >= 0 && start < first.length) {
      // The common case: a one-byte delimiter (LF) found in the first chunk.
      const found = first.indexOf(single, start);
      if (found >= 0) return found - this.#offset;
      if (this.#head + 1 === this.#chunks.length) return -1;
    }
    let base = 0; // position of the current chunk's first unread byte
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i] as Buffer;
      const start = i === this.#head ? this.#offset : 0;
      const span = chunk.length - start;
      if (base + span <= from) {
        base += span;
        continue;
      }
      const scanStart = start + Math.max(0, from - base);
      const found =
        single >= 0 ? chunk.indexOf(single, scanStart) : chunk.indexOf(needle, scanStart);
      if (found >= 0) return base + found - start;
      if (size > 1 && i + 1 < this.#chunks.length) {
        // A match that starts in this chunk's last size-1 bytes and runs into the next ones.
        for (let p = Math.max(scanStart, chunk.length - size + 1); p < chunk.length; p++) {
          if (this.#matchesAt(needle, i, p)) return base + p - start;
        }
      }
      base += span;
    }
    return -1;
  }

  /**
   * The position of the first `byte` at or after `from` and before `to`, or -1: a bounded
   * search, so that looking for a second kind of line ending (CR beside LF) never scans past
   * the first one found.
   */
  indexOfByte(byte: number, from: number, to: number): number {
    const end = Math.min(to, this.#length);
    if (from >= end) return -1;
    const first = this.#chunks[this.#head] as Buffer;
    const start = this.#offset + from;
    if (start < first.length) {
      // The common case: a native search of the first chunk, remembered, so that the lines
      // of one chunk cost one scan of it in all rather than one scan each.
      this.#search ??= new ChunkSearch();
      const found = this.#search.find(first, byte, start);
      if (found >= 0) return found - this.#offset < end ? found - this.#offset : -1;
      if (this.#head + 1 === this.#chunks.length) return -1;
    }
    let base = 0;
    for (let i = this.#head; i < this.#chunks.length && base < end; i++) {
      const chunk = this.#chunks[i] as Buffer;
      const start = i === this.#head ? this.#offset : 0;
      const span = chunk.length - start;
      if (base + span > from) {
        const lo = start + Math.max(0, from - base);
        const hi = start + Math.min(span, end - base);
        const found = chunk.subarray(lo, hi).indexOf(byte);
        if (found >= 0) return base + lo + found - start;
      }
      base += span;
    }
    return -1;
  }

  /** Whether an LF arriving next will be dropped (see {@link dropNextLf}). */
  get dropsNextLf(): boolean {
    return this.#dropLf;
  }

  /**
   * A line has just ended at a lone CR (Java `BufferedReader.readLine`): the LF that may
   * follow is part of that line ending, and is dropped now if it is buffered, or when it
   * arrives otherwise, whichever read comes next. So a CR LF split across chunks ends one
   * line, exactly as when it arrives whole.
   */
  dropNextLf(): void {
    if (this.#length === 0) this.#dropLf = true;
    else if (this.byteAt(0) === LF) this.discard(1);
  }

  /** Whether `needle` occurs starting at byte `at` of chunk `index`, running across chunks. */
  #matchesAt(needle: Buffer, index: number, at: number): boolean {
    let chunk = this.#chunks[index] as Buffer;
    let p = at;
    for (let k = 0; k < needle.length; k++) {
      while (p >= chunk.length) {
        index++;
        if (index >= this.#chunks.length) return false;
        chunk = this.#chunks[index] as Buffer;
        p = 0;
      }
      if (chunk[p] !== needle[k]) return false;
      p++;
    }
    return true;
  }

  /**
   * Whether the bytes from `position` to the end are a proper prefix of `needle` (fewer
   * bytes than the needle, all equal): a match that more bytes could still complete.
   */
  couldMatchAt(needle: Buffer, position: number): boolean {
    const available = this.#length - position;
    if (position < 0 || available <= 0 || available >= needle.length) return false;
    let p = position + this.#offset;
    let i = this.#head;
    for (; i < this.#chunks.length; i++) {
      const size = (this.#chunks[i] as Buffer).length;
      if (p < size) break;
      p -= size;
    }
    return this.#matchesAt(needle.subarray(0, available), i, p);
  }

  /**
   * Reads an unsigned integer of `width` bytes (1 to 6) at `position`, without copying: from
   * the chunk itself when the field sits in one, byte by byte across chunks otherwise.
   * The caller makes sure `position + width` ≤ `length`.
   */
  readUInt(position: number, width: number, littleEndian: boolean): number {
    const first = this.#chunks[this.#head];
    const at = this.#offset + position;
    if (first !== undefined && at + width <= first.length) {
      return littleEndian ? first.readUIntLE(at, width) : first.readUIntBE(at, width);
    }
    let value = 0;
    for (let i = 0; i < width; i++) {
      const byte = this.byteAt(position + (littleEndian ? width - 1 - i : i)) ?? 0;
      value = value * 256 + byte;
    }
    return value;
  }

  /** The byte at `position`, or undefined past the end. */
  byteAt(position: number): number | undefined {
    if (position < 0 || position >= this.#length) return undefined;
    let p = position + this.#offset;
    const first = this.#chunks[this.#head] as Buffer;
    if (p < first.length) return first[p];
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i] as Buffer;
      if (p < chunk.length) return chunk[p];
      p -= chunk.length;
    }
    return undefined;
  }

  /**
   * Removes and returns the first `n` bytes (`n` ≤ `length`). When they sit in one chunk the
   * result is a view into it (no copy); otherwise one copy is made.
   */
  take(n: number): Buffer {
    return this.takeRange(0, n, n);
  }

  /**
   * Removes the first `consume` bytes and returns bytes `start` to `end` of them
   * (`start` ≤ `end` ≤ `consume` ≤ `length`): a frame without its header or its delimiter,
   * in one call. A view when those bytes sit in one chunk; otherwise one copy.
   */
  takeRange(start: number, end: number, consume: number): Buffer {
    const first = this.#chunks[this.#head];
    const offset = this.#offset;
    if (first !== undefined && offset + consume < first.length) {
      // The common case: inside the first chunk with bytes left after, so no chunk ends.
      this.#offset = offset + consume;
      this.#length -= consume;
      return first.subarray(offset + start, offset + end);
    }
    if (start === 0 && end === consume && this.#isAllOfFirst(consume)) {
      // Exactly the one chunk buffered (a request, a record): handed over as it is.
      this.#empty();
      return first as Buffer;
    }
    this.discard(start);
    const out = this.peek(end - start);
    this.discard(consume - start);
    return out;
  }

  /**
   * As {@link takeRange}, but the bytes come back as UTF-8 text (malformed sequences become
   * U+FFFD, as `Buffer#toString` does). Inside one chunk no intermediate `Buffer` is made.
   */
  takeText(start: number, end: number, consume: number): string {
    const first = this.#chunks[this.#head];
    const offset = this.#offset;
    if (first !== undefined && offset + consume < first.length) {
      this.#offset = offset + consume;
      this.#length -= consume;
      // No encoding argument: Node decodes UTF-8 at once, without its encoding lookup, and
      // no Buffer view is made for the line (half the cost of a short line's text).
      return first.toString(undefined, offset + start, offset + end);
    }
    if (first !== undefined && this.#isAllOfFirst(consume)) {
      this.#empty(); // the one chunk buffered is the line: decoded in place all the same
      return first.toString(undefined, start, end);
    }
    return this.takeRange(start, end, consume).toString();
  }

  /** Removes and returns the unread bytes of the first chunk (`length` > 0): no copy. */
  takeChunk(): Buffer {
    const first = this.#chunks[this.#head] as Buffer;
    const rest = first.length - this.#offset;
    return this.takeRange(0, rest, rest);
  }

  /** Removes and returns every unread byte. */
  takeAll(): Buffer {
    return this.take(this.#length);
  }

  /** Returns the first `n` bytes (`n` ≤ `length`) without consuming them. */
  peek(n: number): Buffer {
    if (n > this.#length) throw new RangeError(`peek(${n}) past ${this.#length} buffered bytes`);
    const first = this.#chunks[this.#head];
    if (n === 0 || first === undefined) return Buffer.alloc(0);
    if (this.#offset + n <= first.length) return first.subarray(this.#offset, this.#offset + n);
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    let start = this.#offset;
    for (let i = this.#head; written < n; i++) {
      const chunk = this.#chunks[i] as Buffer;
      written += chunk.copy(out, written, start, Math.min(chunk.length, start + n - written));
      start = 0;
    }
    return out;
  }

  /** Drops the first `n` bytes (`n` ≤ `length`). */
  discard(n: number): void {
    if (n > this.#length) throw new RangeError(`discard(${n}) past ${this.#length} buffered bytes`);
    this.#length -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.#chunks[this.#head] as Buffer;
      const rest = chunk.length - this.#offset;
      if (left < rest) {
        this.#offset += left;
        return;
      }
      left -= rest;
      // Drop the reference now: a consumed chunk kept in the array would outlive young-
      // generation collections, be promoted, and pin its memory until a full collection.
      this.#chunks[this.#head] = EMPTY;
      this.#search?.forget(chunk);
      this.#head++;
      this.#offset = 0;
    }
    this.#compact();
  }

  /** Drops every unread byte (Xojo `Purge`) and returns how many were dropped. */
  clear(): number {
    const dropped = this.#length;
    this.#search?.forget();
    this.#chunks = NO_CHUNKS;
    this.#head = 0;
    this.#offset = 0;
    this.#length = 0;
    return dropped;
  }

  /** Whether the first `consume` bytes are all that is buffered: one whole, unread chunk. */
  #isAllOfFirst(consume: number): boolean {
    return (
      this.#offset === 0 &&
      consume === this.#length &&
      (this.#chunks[this.#head] as Buffer | undefined)?.length === consume
    );
  }

  /** Forgets every chunk; the caller has taken or dropped all their bytes. */
  #empty(): void {
    // The array goes with its bytes: kept, its backing store (16 slots, 144 bytes) would
    // stay with every idle connection. The next chunk comes in an array of its own.
    this.#chunks = NO_CHUNKS;
    this.#search?.forget();
    this.#head = 0;
    this.#offset = 0;
    this.#length = 0;
  }

  #compact(): void {
    if (this.#head === this.#chunks.length) {
      this.#empty();
    } else if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
