import { createServer, type Server, type Socket } from "node:net";
import { afterEach } from "vitest";

const open: Server[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/**
 * A plain `node:net` server on 127.0.0.1 (port 0) as the peer, so tests exercise sockit on
 * one side only. Every accepted socket is destroyed when the test ends.
 */
export async function rawPeer(
  onConnection: (socket: Socket) => void,
  options: { allowHalfOpen?: boolean } = {},
): Promise<{ port: number; target: string }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as typeof server.close;
  open.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { port: address.port, target: `127.0.0.1:${address.port}` };
}

/** Collects everything a raw socket receives until its peer ends it. */
export function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => socket.on("end", () => resolve(Buffer.concat(chunks))));
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Resolves after `ms` milliseconds (for waits that are bounded by design). */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check()` holds, polling every 5 ms for at most `ms`; throws if it never does. */
export async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}
