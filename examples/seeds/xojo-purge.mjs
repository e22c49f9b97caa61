// Xojo `SocketCore.Purge` (seed 003): "Removes all data from the socket's internal receive
// buffer. It does not affect the socket's internal send buffer."
//
//   Listener.Purge   -> socket.purge()  (returns how many bytes it dropped)
//
// A peer floods the client with a banner it does not care about; the client purges it,
// and a write it queued just before the purge still reaches the peer.
//
//   npm run build && node examples/seeds/xojo-purge.mjs
import { connect, listen } from "sockit";

const server = await listen("127.0.0.1:0", async (peer) => {
  peer.write(`${"banner ".repeat(100)}\n`);
  const line = await peer.readLine({ encoding: "utf8" });
  console.log(`peer received "${line}"`);
  peer.write("fresh data\n");
  await peer.end();
});

const socket = connect(`127.0.0.1:${server.port}`);
// DataAvailable: wait until the whole banner is in the receive buffer.
await new Promise((resolve) => {
  const check = () => {
    if (socket.available < 701) return;
    socket.off("dataAvailable", check);
    resolve();
  };
  socket.on("dataAvailable", check);
});
console.log(`${socket.available} bytes in the receive buffer`);
socket.write("ACK\n"); // queued for sending: Purge leaves it alone
const dropped = socket.purge();
console.log(`purge dropped ${dropped} bytes; ${socket.available} left`);
console.log(`next read: ${await socket.readLine({ encoding: "utf8", timeout: 5000 })}`);
await socket.close();
await server.closeAll();
