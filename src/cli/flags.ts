/**
 * ncat's everyday flags, shared by `connect`, `listen` and the single-command form
 * (`sockit HOST PORT`, `sockit -l PORT`): their parsers, how they are registered on a
 * command, and how they combine into one {@link SessionFlags}. docs/cli.md has the table.
 *
 * @module
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { type FrameOptions, type ProxyProtocolMode, SocketError, servicePort } from "../index.js";
import type { TlsFlags } from "./tls-flags.js";

/** Every flag of a connect or listen session, as commander hands them over. */
export interface SessionFlags extends TlsFlags {
  verbose?: boolean;
  listen?: boolean;
  keepOpen?: boolean;
  udp?: boolean;
  unixsock?: boolean;
  /** Connect timeout, milliseconds (`--timeout MS`, or ncat's `-w TIME`). */
  timeout?: number;
  wait?: number;
  /** Idle timeout, milliseconds (`-i TIME`). */
  idleTimeout?: number;
  crlf?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  sendOnly?: boolean;
  recvOnly?: boolean;
  /** `-o FILE`: session data, both directions, raw. */
  output?: string;
  /** `-x FILE`: session data as a hex dump. */
  hexDump?: string;
  /** `-e CMD`: a program per connection (split on spaces, no shell). */
  exec?: string;
  /** `-c CMD`: a shell command per connection (`/bin/sh -c`). */
  shExec?: string;
  /** `-p PORT`: the port to listen on (`-l`) or to connect from. */
  sourcePort?: number;
  /** `-s ADDR`: the address to connect from. */
  source?: string;
  lines?: boolean;
  frames?: FrameOptions;
  hex?: boolean;
  json?: boolean;
  /** ncat's spellings of the TLS flags. */
  ssl?: boolean;
  sslCert?: string;
  sslKey?: string;
  sslTrustfile?: string;
  sslVerify?: boolean;
  sslServername?: string;
  /** `--proxy URL` (connect): through a SOCKS or HTTP CONNECT proxy, or `env`. */
  proxy?: string;
  /** `--proxy-protocol v1|v2|any` (listen): every connection starts with a PROXY header. */
  proxyProtocol?: ProxyProtocolMode;
}

/**
 * ncat's time: seconds by default, or with a unit `ms`, `s`, `m`, `h` (`-w 5`, `-i 500ms`);
 * returned in milliseconds.
 */
export function ncatTime(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match?.[2] ?? "s"] ?? 1000;
  const ms = Math.round(Number(match?.[1]) * scale);
  if (match === null || !Number.isSafeInteger(ms) || ms < 1 || ms > 2 ** 31 - 1) {
    throw new InvalidArgumentError("expected a time: seconds, or a number with ms, s, m or h");
  }
  return ms;
}

/** A port number, 0–65535, or a TCP service name (`http`, from the services database). */
export function portNumber(value: string): number {
  const port = Number(value);
  if (/^\d+$/.test(value) && port <= 65535) return port;
  try {
    return servicePort(value);
  } catch {
    throw new InvalidArgumentError("expected a port or a known service name");
  }
}

const FRAMES: Record<string, FrameOptions> = {
  u8: { width: 1 },
  u16be: { width: 2 },
  u16le: { width: 2, endian: "little" },
  u24be: { width: 3 },
  u24le: { width: 3, endian: "little" },
  u32be: { width: 4 },
  u32le: { width: 4, endian: "little" },
  varint: { varint: true },
};

/** The names `--frames` takes. */
export const FRAME_NAMES = Object.keys(FRAMES);

/** Parses `--frames NAME`: a length prefix (`u8`, `u16be`, … `u32le`) or `varint`. */
export function frameSpec(value: string): FrameOptions {
  const options = FRAMES[value];
  if (options === undefined) {
    throw new InvalidArgumentError(`expected one of ${FRAME_NAMES.join(", ")}`);
  }
  return options;
}

/** Registers the flags every session has, connecting or listening. */
export function addSessionFlags(command: Command): Command {
  // A command may have its own -C (listen's conflicts with --echo).
  if (!command.options.some((option) => option.long === "--crlf")) {
    command.option("-C, --crlf", "send line endings typed on stdin as CRLF; output is unchanged");
  }
  return command
    .option("-v, --verbose", "print connection events to stderr")
    .option("-u, --udp", "UDP instead of TCP: each line of stdin is one datagram")
    .option("-U, --unixsock", "the address is a Unix-domain socket path")
    .option("-4, --ipv4", "IPv4 only")
    .option("-6, --ipv6", "IPv6 only")
    .option("-i, --idle-timeout <time>", "close after TIME without data either way", ncatTime)
    .addHelpText("after", `\n${EXEC_SECURITY}`)
    .addOption(new Option("--send-only", "only send stdin; ignore what the peer sends"))
    .addOption(new Option("--recv-only", "only print what the peer sends; do not read stdin"))
    .option("-o, --output <file>", "also write the session's data, both directions, to FILE")
    .option("-x, --hex-dump <file>", "also write the session's data as a hex dump to FILE")
    .option("-e, --exec <command>", "run COMMAND per connection, its stdio bridged (see SECURITY)")
    .option("-c, --sh-exec <command>", "as -e, through /bin/sh -c (see SECURITY)")
    .option("--lines", "print each line received as one line (text, or --hex)")
    .option(
      `--frames <kind>`,
      `print each length-prefixed frame as one line: ${FRAME_NAMES.join("|")}; stdin lines are sent as frames`,
      frameSpec,
    )
    .option(
      "--hex",
      "with --lines/--frames: print messages as hex (stdin lines are hex for --frames)",
    )
    .option("--json", "print one JSON event per line on stdout: connected, data, closed, error")
    .option("--ssl", "ncat's spelling of --tls")
    .option("--ssl-cert <path>", "ncat's spelling of --cert")
    .option("--ssl-key <path>", "ncat's spelling of --key")
    .option("--ssl-trustfile <path>", "ncat's spelling of --ca")
    .option("--ssl-verify", "verify the server (the default with --tls; ncat needs it spelt out)")
    .option("--ssl-servername <name>", "ncat's spelling of --verify-host");
}

/** The connect-only flags: `-w TIME` (connect timeout), `-s ADDR` and `-p PORT` (from). */
export function addConnectFlags(command: Command): Command {
  return command
    .option(
      "-w, --wait <time>",
      "connect timeout (ncat time: seconds, or with ms, s, m, h)",
      ncatTime,
    )
    .option("-s, --source <address>", "connect from this local address")
    .option("-p, --source-port <port>", "connect from this local port", portNumber)
    .option(
      "--proxy <url>",
      "through socks5://[user:pass@]host:port, socks4a://, socks4:// or http:// (CONNECT); env: from $HTTPS_PROXY/$HTTP_PROXY/$ALL_PROXY",
    );
}

/** The listen-only flag: `-k`. */
export function addListenFlags(command: Command): Command {
  return command
    .option(
      "-k, --keep-open",
      "accept many connections: stdin goes to every client, every client's data to stdout",
    )
    .addOption(
      new Option(
        "--proxy-protocol <version>",
        "require a PROXY protocol header (HAProxy, nginx) on every connection",
      ).choices(["v1", "v2", "any"]),
    );
}

/** The security note `-e`/`-c` carry in help and docs. */
export const EXEC_SECURITY =
  "SECURITY: -e and -c give whoever connects a program's stdin and stdout: on a listener that\n" +
  "means anyone who can reach the port runs it (-c via a shell). Bind to 127.0.0.1 or a\n" +
  "unix: path, use --tls with --ca to require client certificates, and never expose a shell.";

/**
 * Folds ncat's spellings into sockit's and refuses combinations that cannot work.
 * @throws SocketError `ERR_INVALID_ARGUMENT` (bad usage, exit 2).
 */
export function normalize(flags: SessionFlags): SessionFlags {
  const out: SessionFlags = { ...flags };
  if (flags.ssl) out.tls = true;
  if (flags.sslCert !== undefined) out.cert ??= flags.sslCert;
  if (flags.sslKey !== undefined) out.key ??= flags.sslKey;
  if (flags.sslTrustfile !== undefined) out.ca ??= flags.sslTrustfile;
  if (flags.sslServername !== undefined) out.verifyHost ??= flags.sslServername;
  if (flags.sslVerify) out.tls = true;
  if (flags.wait !== undefined) out.timeout ??= flags.wait;
  const conflicts: [boolean | undefined, boolean | undefined, string][] = [
    [flags.ipv4, flags.ipv6, "-4 and -6"],
    [flags.sendOnly, flags.recvOnly, "--send-only and --recv-only"],
    [flags.exec !== undefined, flags.shExec !== undefined, "-e and -c"],
    [flags.lines, flags.frames !== undefined, "--lines and --frames"],
    [flags.udp, flags.unixsock, "-u and -U (Unix datagrams are not supported)"],
    [flags.udp, out.tls, "-u and TLS (DTLS is not supported)"],
  ];
  for (const [a, b, what] of conflicts) {
    if (a && b) throw new SocketError("ERR_INVALID_ARGUMENT", `${what} do not go together`);
  }
  if (flags.hex && !flags.lines && flags.frames === undefined) {
    throw new SocketError("ERR_INVALID_ARGUMENT", "--hex goes with --lines or --frames");
  }
  return out;
}

/** The verbatim target from ncat's two words (`host port`) or sockit's one (`host:port`). */
export function joinTarget(host: string, port: string | undefined, flags: SessionFlags): string {
  if (flags.unixsock) {
    if (port !== undefined) throw new SocketError("ERR_INVALID_ARGUMENT", "-U takes one path");
    return host.startsWith("unix:") ? host : `unix:${host}`;
  }
  // A malformed port is left to the address parser: `invalid address …`, exit 2.
  if (port === undefined) return host;
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}
