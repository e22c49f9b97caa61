/**
 * Loss on a real link (issue 13): two network namespaces this test makes, joined by a veth
 * pair with addresses that exist only inside them (10.200.13.1/30 and .2), an nftables rule
 * in each dropping 5 % of the packets leaving it at random, and `tc tbf` shaping the rate.
 * A sockit echo server runs in one, the clients in the other; plain and TLS traffic must come
 * back byte-exact and every operation settle. Nothing touches the host's interfaces, and the
 * namespaces are deleted afterwards. Skips with a printed reason where namespaces cannot be
 * made (not root, no `ip` or `nft`).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupCertificates, makeCertificates, opensslPeer } from "../helpers/certs.js";
import { findCommand, skipReason } from "../helpers/peers.js";
import { runScenario } from "./child.js";
import { recordFigures } from "./figures.js";

const SERVER_NS = `sockit-loss-${process.pid}-a`;
const CLIENT_NS = `sockit-loss-${process.pid}-b`;
const SERVER_IP = "10.200.13.1";
const CLIENT_IP = "10.200.13.2";
const DROP_PERCENT = 5;
const RATE = "20mbit";
const CONNECTIONS = 8;
const MESSAGES = 40;

const ip = findCommand("ip", { sbin: true });
const nft = findCommand("nft", { sbin: true });
const reason =
  process.getuid?.() !== 0
    ? "the loss test: network namespaces need root"
    : ip === undefined
      ? "the loss test: `ip` (package iproute2) is missing"
      : nft === undefined
        ? "the loss test: `nft` (package nftables) is missing"
        : opensslPeer.path === undefined
          ? "the loss test: openssl is missing"
          : undefined;
if (reason !== undefined) skipReason(reason);

/** Runs a setup command; throws with its stderr when it fails. */
function sh(command: string, args: readonly string[], input?: string): string {
  const result = spawnSync(command, args, { encoding: "utf8", input, timeout: 10_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The nftables rules of one namespace: count, then drop DROP_PERCENT % of what leaves on veth. */
const RULES = (dev: string) => `table inet sockit_loss {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "${dev}" numgen random mod 100 < ${DROP_PERCENT} counter drop
  }
}
`;

let server: ChildProcess | undefined;

function setUp(): void {
  sh(ip as string, ["netns", "add", SERVER_NS]);
  sh(ip as string, ["netns", "add", CLIENT_NS]);
  // The veth pair is made inside the server namespace, its peer end moved into the client's:
  // neither end ever exists in the host's namespace.
  sh(ip as string, [
    "-n",
    SERVER_NS,
    "link",
    "add",
    "va",
    "type",
    "veth",
    "peer",
    "name",
    "vb",
    "netns",
    CLIENT_NS,
  ]);
  for (const [ns, dev, addr] of [
    [SERVER_NS, "va", SERVER_IP],
    [CLIENT_NS, "vb", CLIENT_IP],
  ] as const) {
    sh(ip as string, ["-n", ns, "addr", "add", `${addr}/30`, "dev", dev]);
    sh(ip as string, ["-n", ns, "link", "set", "lo", "up"]);
    sh(ip as string, ["-n", ns, "link", "set", dev, "up"]);
    sh(ip as string, [
      "netns",
      "exec",
      ns,
      "tc",
      "qdisc",
      "add",
      "dev",
      dev,
      "root",
      "tbf",
      "rate",
      RATE,
      "burst",
      "32kbit",
      "latency",
      "100ms",
    ]);
    sh(ip as string, ["netns", "exec", ns, nft as string, "-f", "-"], RULES(dev));
  }
}

function tearDown(): void {
  server?.kill("SIGKILL");
  for (const ns of [SERVER_NS, CLIENT_NS])
    spawnSync(ip as string, ["netns", "del", ns], { timeout: 10_000 });
}

/** Packets the drop rules counted, in both namespaces. */
function packetsDropped(): number {
  let total = 0;
  for (const ns of [SERVER_NS, CLIENT_NS]) {
    const listing = sh(ip as string, [
      "netns",
      "exec",
      ns,
      nft as string,
      "list",
      "table",
      "inet",
      "sockit_loss",
    ]);
    total += Number(/counter packets (\d+)/.exec(listing)?.[1] ?? 0);
  }
  return total;
}

afterAll(async () => {
  if (reason === undefined) tearDown();
  await cleanupCertificates();
});

describe.skipIf(reason !== undefined)(
  "echo over a lossy, rate-shaped veth link between two namespaces",
  () => {
    it("brings plain and TLS echo traffic back byte-exact with every operation settled", {
      timeout: 120_000,
    }, async () => {
      setUp();
      const certs = await makeCertificates();
      const script = fileURLToPath(new URL("./scenarios/netns-echo.mjs", import.meta.url));
      server = spawn(
        ip as string,
        [
          "netns",
          "exec",
          SERVER_NS,
          process.execPath,
          script,
          "server",
          SERVER_IP,
          certs.server.certPath,
          certs.server.keyPath,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      const ports = await new Promise<{ plain: number; tls: number }>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(
          () => reject(new Error("the server in the namespace did not start")),
          10_000,
        );
        server?.stdout?.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("\n")) {
            clearTimeout(timer);
            resolve(JSON.parse(out.split("\n")[0] ?? "") as { plain: number; tls: number });
          }
        });
      });
      const run = await runScenario<{
        connections: number;
        messages: number;
        bytes: number;
        mismatches: number;
        operations: number;
        settled: number;
        errors: Record<string, number>;
        ms: number;
      }>(
        "netns-echo",
        [
          "client",
          SERVER_IP,
          String(ports.plain),
          String(ports.tls),
          certs.ca.certPath,
          "13",
          String(CONNECTIONS),
          String(MESSAGES),
        ],
        {
          boundMs: 90_000,
          wrap: [ip as string, "netns", "exec", CLIENT_NS],
        },
      );
      const dropped = packetsDropped();
      const r = run.result;
      recordFigures("netns-loss", {
        dropPercent: DROP_PERCENT,
        rate: RATE,
        connections: r.connections,
        tlsConnections: CONNECTIONS / 2,
        messagesEchoed: r.messages,
        bytesEchoed: r.bytes,
        mismatches: r.mismatches,
        operations: r.operations,
        settled: r.settled,
        packetsDropped: dropped,
        errors: r.errors,
        ms: r.ms,
      });
      expect(r.errors).toEqual({});
      expect(r.mismatches).toBe(0);
      expect(r.messages).toBe(CONNECTIONS * MESSAGES);
      expect(r.settled).toBe(r.operations);
      expect(dropped).toBeGreaterThan(0); // the link really lost packets
      expect(run.exitedBySelf).toBe(true);
    });
  },
);
