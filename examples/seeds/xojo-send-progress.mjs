// Xojo `SendProgress` and `SendComplete(userAborted)` (seed 003): a large send reports its
// progress, and the user can abort it ("returning True from the SendProgress event");
// SendComplete then says whether it was aborted.
//
//   SendProgress(bytesSent, bytesLeft) As Boolean  -> socket.on("progress", …) + an AbortSignal
//   SendComplete(userAborted)                      -> socket.on("sendComplete", …), or the
//                                                     result of sendFrom()/sendFile()
//
// The peer is a local server that counts what it receives.
//
//   npm run build && node examples/seeds/xojo-send-progress.mjs
import { connect, listen } from "sockit";

const MiB = 1024 * 1024;
let received = 0;
const server = await listen("127.0.0.1:0", async (peer) => {
  for await (const chunk of peer) received += chunk.length;
});

const socket = connect(`127.0.0.1:${server.port}`);
socket.on("sendComplete", ({ userAborted, bytesSent }) => {
  console.log(`SendComplete userAborted=${userAborted} (${bytesSent} bytes sent)`);
});

// 1. The whole send: a progress line each MiB.
socket.on("progress", ({ bytesSent, bytesTotal }) => {
  if (bytesSent % MiB === 0) console.log(`SendProgress ${bytesSent} of ${bytesTotal} bytes`);
});
await socket.sendFrom(Buffer.alloc(4 * MiB, "a"));
socket.removeAllListeners("progress");

// 2. Aborted by the user after the first MiB, as SendProgress returning True.
const abort = new AbortController();
socket.on("progress", ({ bytesSent, bytesTotal }) => {
  const bytesLeft = bytesTotal - bytesSent;
  if (bytesSent >= MiB && !abort.signal.aborted) {
    console.log(`SendProgress ${bytesSent} sent, ${bytesLeft} left: aborting`);
    abort.abort();
  }
});
const result = await socket.sendFrom(Buffer.alloc(16 * MiB, "b"), { signal: abort.signal });
console.log(`the aborted send: userAborted=${result.userAborted}, ${result.bytesSent} bytes sent`);

await socket.close();
await server.close();
console.log(`the peer received ${received} bytes`);
