/**
 * IP addresses as PROXY headers carry them: v1's text forms, checked as strictly as the spec
 * asks (no leading zeros, no zone), and v2's network-order bytes.
 *
 * @module
 */
import { isIPv6 } from "node:net";

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;

/** Whether `text` is a dotted quad in the spec's canonical form (no leading zeros). */
export function isCanonicalIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((part) => IPV4_PART.test(part) && Number(part) <= 255);
}

/** Whether `text` is an IPv6 address without a zone (`%eth0`), as v1 and v2 carry them. */
export function isPlainIPv6(text: string): boolean {
  return !text.includes("%") && isIPv6(text);
}

/** The 4 bytes of a canonical IPv4 address; call {@link isCanonicalIPv4} first. */
export function ipv4Bytes(text: string): Buffer {
  return Buffer.from(text.split(".").map(Number));
}

/** The 16 bytes of an IPv6 address (an IPv4 tail included); call {@link isPlainIPv6} first. */
export function ipv6Bytes(text: string): Buffer {
  const bytes = Buffer.alloc(16);
  let tail = text;
  let tailBytes: Buffer | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    tailBytes = ipv4Bytes(text.slice(lastColon + 1));
    tail = `${text.slice(0, lastColon + 1)}0:0`; // two groups stand in for the IPv4 tail
  }
  const [head = "", rest] = tail.split("::");
  const groups = (part: string | undefined): number[] =>
    part === undefined || part === ""
      ? []
      : part.split(":").map((group) => Number.parseInt(group, 16));
  const front = groups(head);
  const back = rest === undefined ? [] : groups(rest);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  for (const [i, group] of all.entries()) bytes.writeUInt16BE(group, i * 2);
  if (tailBytes !== undefined) tailBytes.copy(bytes, 12);
  return bytes;
}

/** Formats 4 bytes as a dotted quad. */
export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * Formats 16 bytes as RFC 5952 text: lower-case hex, the longest run of two or more zero
 * groups as `::`, and an IPv4-mapped address as `::ffff:a.b.c.d` (as Node reports them).
 */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++)
    groups.push((bytes[offset + i * 2]! << 8) | bytes[offset + i * 2 + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIPv4(bytes, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** An address in the form `formatIPv6` gives, whatever form it was written in. */
export function normalizeIPv6(text: string): string {
  return formatIPv6(ipv6Bytes(text));
}
