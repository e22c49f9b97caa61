// LiveCode `open socket` (seeds 000 and 001), its forms written with sockit:
//
//   open socket to "127.0.0.0:8080"                      -> connect("host:port")
//   open socket to "host:port" with message "wasConnected" -> socket.once("connect", …)
//   open socket to "ftp.example.org:21|sendFiles"        -> connect("host:port|name")
//   write to socket … while the connection is opening   -> written once connected
//
// The peer is a local echo server, so it runs anywhere:
//
//   npm run build && node examples/seeds/livecode-open-socket.mjs
import { connect, findSocket, listen, openSockets, SocketError } from "sockit";

// Stands in for the remote host: echoes each line back, upper-cased.
const server = await listen("127.0.0.1:0", async (socket) => {
  for await (const line of socket.lines()) socket.write(`${line.toUpperCase()}\n`);
  await socket.end();
});
const host = `127.0.0.1:${server.port}`;

// open socket to "host:port": connect() returns at once; a write made while the
// connection is opening is buffered and sent as soon as it is made.
const plain = connect(host);
console.log(`opening ${plain.socketId}: connecting=${plain.connecting}`);
plain.write("hello\n");
console.log(`reply: ${await plain.readLine({ encoding: "utf8" })}`);
await plain.close();

// open socket to "host:port" with message "wasConnected": the callback gets the socket's
// host and port once the connection is made.
function wasConnected(info) {
  console.log(`wasConnected ${info.remoteAddress}:${info.remotePort}`);
}
const withMessage = connect(host);
withMessage.once("connect", wasConnected);
await withMessage.opened; // LiveCode's "wait for messages"
await withMessage.close();

// open socket to "host:port|sendFiles": the connection name tells apart two sockets to the
// same host and port, and the socket ID finds each again (the openSockets).
const files = connect(`${host}|sendFiles`);
const control = connect(`${host}|control`);
await Promise.all([files.opened, control.opened]);
// (the server's accepted sockets are listed too, as "peer:port|N": keep ours)
const ours = openSockets().filter((id) => id.startsWith(`${host}|`));
console.log(`openSockets: ${ours.sort().join(", ")}`);
findSocket(`${host}|sendFiles`)?.write("via its socket ID\n");
console.log(`reply on ${files.socketId}: ${await files.readLine({ encoding: "utf8" })}`);
await Promise.all([files.close(), control.close()]);
console.log(
  `after close: ${openSockets().filter((id) => id.startsWith(host)).length} of ours open`,
);

// The seed's warning: accepted sockets are numbered, so a numeric connection name could
// take one's ID. sockit refuses it.
try {
  connect(`${host}|2`);
} catch (error) {
  if (!(error instanceof SocketError)) throw error;
  console.log(`refused "${host}|2": ${error.code}`);
}

await server.closeAll();
