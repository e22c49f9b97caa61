// Xojo `SocketCore.Port` (seed 003): "Listen on port 0. In that case, the OS will pick a port
// for you and listen on it. Then you can check the Port property to see which port the OS
// picked." And after Connect, Port reports the local port the OS bound the client to.
//
//   Listener.Port = 0 : Listener.Listen     -> const server = await listen(0)
//   Listener.Port (the port picked)          -> server.port
//   Socket1.Connect : Socket1.Port           -> socket.info().localPort
//   UDPSocket.Port = 0 : UDPSocket.Connect   -> (await openDatagram({ localPort: 0 })).localPort
//
//   npm run build && node examples/seeds/xojo-port-zero.mjs
import { connect, listen, openDatagram } from "sockit";

const listener = await listen("127.0.0.1:0", async (socket) => {
  console.log(`accepted on local port ${socket.info().localPort}`); // the listener's port
  await socket.close();
});
console.log(`asked for port 0, listening on port ${listener.port}`);

const socket = connect(`127.0.0.1:${listener.port}`);
const info = await socket.opened;
console.log(`connected to port ${info.remotePort} from local port ${info.localPort}`);
await socket.closed;

// The port-hijack check the seed suggests: the port is still the one we listen on.
console.log(`still listening on port ${listener.port}: ${listener.listening}`);
await listener.close();

const udp = await openDatagram({ localAddress: "127.0.0.1", localPort: 0 });
console.log(`UDP socket bound to port ${udp.localPort}`);
await udp.close();
