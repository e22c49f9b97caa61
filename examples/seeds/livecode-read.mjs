// LiveCode's `read from socket` forms, with a peer that ends its lines the classic Mac way
// (CR only), as the seed warns ("know whether the other system uses line feed, return, or
// both"):
//
//   read from socket s until return   -> readUntil("\r")  (the delimiter is kept)
//   read from socket s for 5          -> readBytes(5)
//   read from socket s until empty    -> readAvailable()
//   a line whatever its ending        -> readLine() (LF, CR LF or a lone CR)
//
//   npm run build && node examples/seeds/livecode-read.mjs
import { connect, listen } from "sockit";

// The peer: a greeting ended by CR, a 5-byte record, then a request/response in which the
// peer ends its line with CR only and waits for the answer before going on.
const server = await listen("127.0.0.1:0", async (socket) => {
  socket.write("220 classic Mac host\r");
  socket.write("ABCDE");
  socket.write("QUIT?\r");
  const answer = await socket.readLine({ encoding: "utf8" });
  socket.write(`got ${answer}\rbye`);
  await socket.end();
});

const socket = connect(`127.0.0.1:${server.port}`);
const greeting = await socket.readUntil("\r", { encoding: "latin1" });
console.log(`until return: ${JSON.stringify(greeting)}`);
const record = await socket.readBytes(5);
console.log(`for 5: ${record.toString()} (${record.length} bytes)`);
// A lone CR ends a line at once: no wait for an LF that will never come.
const question = await socket.readLine({ encoding: "utf8", timeout: 5000 });
console.log(`line: ${question}`);
socket.write("yes\r");
console.log(`line: ${await socket.readLine({ encoding: "utf8", timeout: 5000 })}`);
const rest = await socket.readAvailable();
console.log(`until empty: ${rest.toString()}`);
await socket.close();
await server.closeAll();
