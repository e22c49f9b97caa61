/**
 * The peers and types of the TSDoc example scenarios (`tsdoc-scenarios.ts`): small loopback
 * servers an example talks to, and what a scenario gives a run and checks after it.
 */

import type { Socket as NetSocket } from "node:net";
import { format } from "node:util";
import { connect, type Socket } from "../../src/index.js";
import { rawPeer } from "./raw-peer.js";

/** What a run of an example left: its top-level variables and what it logged. */
export interface Outcome {
  readonly vars: Record<string, unknown>;
  /** `console.log` calls of the example, each as its arguments. */
  readonly logs: unknown[][];
  /** What the default free functions (`handle`, `save`, `serve`) were given, in order. */
  readonly handled: unknown[];
}

/** What a scenario's setup gives the run. */
export interface Setup {
  /** Free variables for the example (`socket`, `httpServer`, …). */
  readonly given?: Record<string, unknown>;
  /** Text replaced in the example before it runs: [what the docs say, what the run uses]. */
  readonly replace?: readonly (readonly [string, string])[];
  /** Checks after the run (or, for a background example, while it runs). */
  readonly check?: (outcome: Outcome) => Promise<void> | void;
}

export interface Scenario {
  /** Why the example is only typechecked. */
  readonly skip?: string;
  readonly setup?: () => Promise<Setup>;
  /** The example runs until its server is closed: checked while it runs. */
  readonly background?: boolean;
  /** The code the run rejects with, when the example ends by throwing on purpose. */
  readonly rejects?: string;
}

/** A peer that writes `bytes` to each connection, then ends it (FIN) unless `keepOpen`. */
export async function sender(bytes: string | Buffer, keepOpen = false): Promise<string> {
  const { target } = await rawPeer((peer) => {
    if (keepOpen) peer.write(bytes);
    else peer.end(bytes);
  });
  return target;
}

/** A peer that echoes. */
export async function echo(): Promise<{ target: string; port: number }> {
  return rawPeer((peer) => peer.pipe(peer));
}

/** A peer that keeps what it receives; `received()` is all of it so far. */
export async function sink(): Promise<{ target: string; received: () => string }> {
  const chunks: Buffer[] = [];
  const { target } = await rawPeer((peer) => peer.on("data", (c: Buffer) => chunks.push(c)));
  return { target, received: () => Buffer.concat(chunks).toString("latin1") };
}

/** A sockit socket connected to `target`, as the free variable `socket`. */
export async function socketTo(target: string): Promise<Socket> {
  const socket = connect(target);
  await socket.opened;
  return socket;
}

/** A peer answering one HTTP/1.0 request with `body`, then closing. */
export function httpPeer(body: string): Promise<{ target: string }> {
  return rawPeer((peer: NetSocket) => {
    peer.once("data", () =>
      peer.end(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
    );
  });
}

/** What the example logged, one line per call, each argument as `util.format` shows it. */
export const logged = (outcome: Outcome): string =>
  outcome.logs.map((args) => format(...args)).join("\n");
