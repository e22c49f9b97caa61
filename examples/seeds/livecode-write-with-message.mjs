// LiveCode's `write … to socket … with message` (seed 001):
//
//   on mouseUp
//     open socket "www.google.com:80"
//     write "test" to socket "www.google.com:80" with message "socketFinishedWriting"
//   end mouseUp
//
//   on socketFinishedWriting pSocketID
//     put "Data written to socket" && pSocketID
//     close socket "www.google.com:80"
//   end socketFinishedWriting
//
// With sockit the message is the write's callback, called once the bytes reached the
// kernel (or with the error). A local server stands in for www.google.com:80 and prints
// what it received.
//
//   npm run build && node examples/seeds/livecode-write-with-message.mjs
import { connect, findSocket, listen } from "sockit";

const server = await listen("127.0.0.1:0", async (socket) => {
  const received = await socket.readAvailable();
  console.log(`the server received "${received}"`);
});
const host = `127.0.0.1:${server.port}`;

function socketFinishedWriting(error, pSocketID) {
  if (error) throw error;
  console.log(`Data written to socket ${pSocketID}`);
  void findSocket(pSocketID)?.close(); // close socket "host:port"
}

// mouseUp: the write is made while the socket is still opening; it goes out once connected.
const socket = connect(host);
socket.write("test", socket.socketId, socketFinishedWriting);

const { hadError } = await socket.closed;
console.log(`socket closed, hadError=${hadError}`);
await server.close(); // stop accepting; the accepted socket ends when the client's FIN arrives
