/**
 * Binary socket addresses (hs.socket `parseAddress`, which takes the `sockaddr` bytes
 * CocoaAsyncSocket hands out): `sockaddr_in`, `sockaddr_in6` and `sockaddr_un` in the Linux
 * and the BSD (macOS, FreeBSD) layouts, parsed and built. Pure: no I/O.
 *
 * ```
 * Linux  sockaddr_in  | family u16 (host order) | port u16 BE | addr 4 | zero 8 |          16 bytes
 * BSD    sockaddr_in  | len u8 | family u8      | port u16 BE | addr 4 | zero 8 |          16 bytes
 * Linux  sockaddr_in6 | family u16 | port BE | flowinfo u32 BE | addr 16 | scope u32 host | 28 bytes
 * BSD    sockaddr_in6 | len u8 | family u8 | port BE | flowinfo u32 BE | addr 16 | scope | 28 bytes
 * Linux  sockaddr_un  | family u16 | path, NUL-terminated (108 bytes)                     110 bytes
 * BSD    sockaddr_un  | len u8 | family u8 | path, NUL-terminated (104 bytes)            106 bytes
 * ```
 *
 * @module
 */
import { isIP } from "node:net";
import { endianness } from "node:os";
import { shown } from "./arguments.js";
import { SocketError } from "./errors.js";

/** Which C structures: Linux's, or the BSDs' (macOS, where hs.socket runs). */
export type SockaddrLayout = "linux" | "bsd";

/** A socket address as {@link parseSockaddr} returns it and {@link formatSockaddr} takes it. */
export interface SockaddrEndpoint {
  /** The address family. */
  readonly family: "IPv4" | "IPv6" | "unix";
  /** The IP address; for `"unix"`, the path (empty for an unnamed socket). */
  readonly address: string;
  /** The port, 0–65535; 0 for `"unix"`. */
  readonly port: number;
  /** IPv6 flow information (`sin6_flowinfo`, RFC 6437), as a number. */
  readonly flowInfo?: number;
  /** IPv6 scope id (`sin6_scope_id`): the interface index of a link-local address. */
  readonly scopeId?: number;
  /** The Unix-domain socket path. */
  readonly path?: string;
}

/** What {@link formatSockaddr} takes: `family` may be left to the address. */
export type SockaddrInput = Omit<SockaddrEndpoint, "family"> & {
  /** `"IPv4"`, `"IPv6"` or `"unix"`; worked out from `address` (or `path`) when absent. */
  readonly family?: SockaddrEndpoint["family"];
};

const AF = {
  linux: { unix: 1, IPv4: 2, IPv6: 10 },
  // macOS's AF_INET6 is 30; FreeBSD's 28, NetBSD's and OpenBSD's 24 (all parsed).
  bsd: { unix: 1, IPv4: 2, IPv6: 30 },
} as const;
const BSD_INET6 = new Set([24, 28, 30]);
const PATH_BYTES = { linux: 108, bsd: 104 } as const;

/** The layout of the system this runs on. */
export const HOST_LAYOUT: SockaddrLayout = process.platform === "linux" ? "linux" : "bsd";

const littleEndian = endianness() === "LE";

function invalid(message: string): SocketError {
  return new SocketError("ERR_INVALID_ADDRESS", message);
}

/**
 * Parses a `sockaddr` (hs.socket `parseAddress`). The layout is recognised from the bytes (a
 * BSD structure starts with its own length) unless `options.layout` names it.
 * @throws SocketError `ERR_INVALID_ADDRESS` for bytes too short, an unknown family, or a
 * path without its NUL in a full-size `sockaddr_un`.
 * @example
 * ```ts
 * parseSockaddr(Buffer.from("02001f907f0000010000000000000000", "hex"));
 * // { family: "IPv4", address: "127.0.0.1", port: 8080 } (Linux, little-endian host)
 * ```
 */
export function parseSockaddr(
  bytes: Uint8Array,
  options: { layout?: SockaddrLayout } = {},
): SockaddrEndpoint {
  if (!(bytes instanceof Uint8Array)) {
    throw new SocketError(
      "ERR_INVALID_ARGUMENT",
      `bytes must be a Uint8Array, got ${typeof bytes}`,
    );
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 2) throw invalid(`a sockaddr of ${b.length} bytes is too short`);
  const layout = options.layout ?? guessLayout(b);
  const family = layout === "bsd" ? (b[1] as number) : readFamily(b);
  const af = AF[layout];
  if (family === af.IPv4) return parseIn(b);
  if (family === af.IPv6 || (layout === "bsd" && BSD_INET6.has(family))) return parseIn6(b);
  if (family === af.unix) return parseUn(b);
  throw invalid(`unknown sockaddr family ${family} (${layout} layout)`);
}

/** BSD structures start with their length (16, 28, up to 106); Linux ones with the family. */
function guessLayout(b: Buffer): SockaddrLayout {
  const first = b[0] as number;
  const second = b[1] as number;
  const bsdFamily = second === 1 || second === 2 || BSD_INET6.has(second);
  return first === b.length && first >= 2 && bsdFamily ? "bsd" : "linux";
}

function readFamily(b: Buffer): number {
  return littleEndian ? b.readUInt16LE(0) : b.readUInt16BE(0);
}

function readHost32(b: Buffer, at: number): number {
  return littleEndian ? b.readUInt32LE(at) : b.readUInt32BE(at);
}

function parseIn(b: Buffer): SockaddrEndpoint {
  if (b.length < 8) throw invalid(`a sockaddr_in needs 8 bytes, got ${b.length}`);
  return { family: "IPv4", address: [...b.subarray(4, 8)].join("."), port: b.readUInt16BE(2) };
}

function parseIn6(b: Buffer): SockaddrEndpoint {
  if (b.length < 24) throw invalid(`a sockaddr_in6 needs 24 bytes, got ${b.length}`);
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(8 + 2 * i).toString(16));
  return {
    family: "IPv6",
    address: compressIPv6(groups),
    port: b.readUInt16BE(2),
    flowInfo: b.readUInt32BE(4),
    scopeId: b.length >= 28 ? readHost32(b, 24) : 0,
  };
}

function parseUn(b: Buffer): SockaddrEndpoint {
  const raw = b.subarray(2);
  const nul = raw.indexOf(0);
  const path = (nul < 0 ? raw : raw.subarray(0, nul)).toString("utf8");
  return { family: "unix", address: path, port: 0, path };
}

/** RFC 5952 text: the longest run of two or more zero groups becomes `::`. */
function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(":");
  const head = groups.slice(0, best).join(":");
  const tail = groups.slice(best + bestLength).join(":");
  const text = `${head}::${tail}`;
  // An IPv4-mapped address keeps its dotted form (::ffff:127.0.0.1).
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (mapped === null) return text;
  const hi = Number.parseInt(mapped[1] as string, 16);
  const lo = Number.parseInt(mapped[2] as string, 16);
  return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * Builds the `sockaddr` bytes of an endpoint in the Linux or the BSD layout (the host's by
 * default): `sockaddr_in` for an IPv4 address, `sockaddr_in6` (with `flowInfo` and `scopeId`,
 * 0 by default) for IPv6, `sockaddr_un` for a path.
 * @throws SocketError `ERR_INVALID_ADDRESS` for an address that is no IP, a port out of
 * range, or a path longer than the structure holds (107 bytes on Linux, 103 on BSD).
 * @example
 * ```ts
 * formatSockaddr({ address: "::1", port: 80, scopeId: 0 }, { layout: "bsd" }); // 28 bytes, 1c 1e 00 50 …
 * ```
 */
export function formatSockaddr(
  endpoint: SockaddrInput,
  options: { layout?: SockaddrLayout } = {},
): Buffer {
  if (typeof endpoint !== "object" || endpoint === null || typeof endpoint.address !== "string") {
    throw new SocketError("ERR_INVALID_ARGUMENT", "the endpoint must be an object with an address");
  }
  const layout = options.layout ?? HOST_LAYOUT;
  if (layout !== "linux" && layout !== "bsd") {
    throw new SocketError("ERR_INVALID_ARGUMENT", `layout must be "linux" or "bsd"`);
  }
  const family = endpoint.family ?? inferFamily(endpoint);
  if (family === "unix") return formatUn(endpoint.path ?? endpoint.address, layout);
  const port = endpoint.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(`bad port ${port}`);
  const version = isIP(endpoint.address);
  if (version !== (family === "IPv4" ? 4 : 6)) {
    throw invalid(`${shown(endpoint.address)} is not an ${family} address`);
  }
  const b = Buffer.alloc(family === "IPv4" ? 16 : 28);
  writeHead(b, layout, AF[layout][family]);
  b.writeUInt16BE(port, 2);
  if (family === "IPv4") {
    endpoint.address.split(".").forEach((part, i) => {
      b[4 + i] = Number(part);
    });
    return b;
  }
  b.writeUInt32BE(endpoint.flowInfo ?? 0, 4);
  ipv6Bytes(endpoint.address).copy(b, 8);
  const scope = endpoint.scopeId ?? 0;
  if (littleEndian) b.writeUInt32LE(scope, 24);
  else b.writeUInt32BE(scope, 24);
  return b;
}

function inferFamily(endpoint: SockaddrInput): SockaddrEndpoint["family"] {
  if (endpoint.path !== undefined) return "unix";
  const version = isIP(endpoint.address);
  if (version === 0) throw invalid(`${shown(endpoint.address)} is not an IP address`);
  return version === 4 ? "IPv4" : "IPv6";
}

function writeHead(b: Buffer, layout: SockaddrLayout, family: number): void {
  if (layout === "bsd") {
    b[0] = b.length;
    b[1] = family;
  } else if (littleEndian) b.writeUInt16LE(family, 0);
  else b.writeUInt16BE(family, 0);
}

function formatUn(path: string, layout: SockaddrLayout): Buffer {
  const bytes = Buffer.from(path, "utf8");
  const room = PATH_BYTES[layout];
  if (bytes.length >= room) {
    throw invalid(`a unix socket path of ${bytes.length} bytes is over ${room - 1}`);
  }
  const b = Buffer.alloc(2 + room);
  writeHead(b, layout, AF[layout].unix);
  bytes.copy(b, 2);
  return b;
}

/** The 16 bytes of an IPv6 address (`isIP` already said it is one). */
function ipv6Bytes(address: string): Buffer {
  let text = address.split("%")[0] as string;
  const out = Buffer.alloc(16);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = (dotted[1] as string).split(".").map(Number) as number[];
    text = `${text.slice(0, dotted.index)}${(((a as number) << 8) | (b as number)).toString(16)}:${(((c as number) << 8) | (d as number)).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  groups.forEach((group, i) => {
    out.writeUInt16BE(Number.parseInt(group, 16), 2 * i);
  });
  return out;
}
