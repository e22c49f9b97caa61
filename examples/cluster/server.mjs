// A sockit server on every core: node:cluster starts one worker per CPU (or WORKERS), and
// all of them accept connections on one port. Each connection gets a line naming the
// worker that took it, then an echo of what it sends.
//
//   npm run build && node examples/cluster/server.mjs 7000
//   nc 127.0.0.1 7000      # "worker 3 (pid 12345)" ...
//
// The primary process owns the listening socket and hands each new connection to the next
// worker in turn (node:cluster's round-robin, the default everywhere but Windows); this
// works on every Node version sockit supports. With Node 22.12+ on Linux, separate processes
// (not cluster workers) can instead each listen with `reusePort: true`, and the kernel
// spreads the connections among them.
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { listen } from "sockit";

const port = Number(process.argv[2] ?? process.env.PORT ?? 7000);
const workers = Number(process.env.WORKERS ?? availableParallelism());

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("listening", () => {
    if (++listening === workers) console.log(`${workers} workers listening on port ${port}`);
  });
  // A worker that dies is replaced, as a production primary would do.
  cluster.on("exit", (_worker, code, signal) => {
    if (signal !== "SIGTERM" && code !== 0) cluster.fork();
  });
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} else {
  const id = cluster.worker?.id;
  const server = await listen(`127.0.0.1:${port}`, async (socket) => {
    await socket.send(`worker ${id} (pid ${process.pid})\n`);
    for await (const chunk of socket) await socket.send(chunk);
    await socket.close();
  });
  process.once("SIGTERM", () => void server.closeAll().then(() => process.exit(0)));
}
