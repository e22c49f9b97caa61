// LiveCode's `open datagram socket from ":8080" to "10.2.1.1:8080"` (seed 001), on loopback:
// a connected UDP socket bound to a local port, sending to one peer and hearing only it.
//
//   open datagram socket from ":8080" to "10.2.1.1:8080"
//     -> openDatagram({ localPort: 8080, remote: "10.2.1.1:8080" })
//
// Here both ends are on 127.0.0.1 and both ports are picked by the OS (port 0), so the
// example never collides with a program already using 8080.
//
//   npm run build && node examples/seeds/livecode-datagram.mjs
import { openDatagram } from "sockit";

// The far end ("10.2.1.1:8080"): answers each datagram with its upper-cased text.
const peer = await openDatagram({ localAddress: "127.0.0.1", localPort: 0 });
peer.on("message", (data, from) => {
  console.log(`peer got "${data}" from ${from.address}:${from.port} (${from.family})`);
  // (a sender is { address, port, family }; send() takes "host:port" or { host, port })
  void peer.send(data.toString().toUpperCase(), { host: from.address, port: from.port });
});

const udp = await openDatagram({
  localAddress: "127.0.0.1",
  localPort: 0,
  remote: `127.0.0.1:${peer.localPort}`,
});
console.log(
  `bound to ${udp.info().localAddress}:${udp.localPort}, connected to ${udp.info().remotePort}`,
);
await udp.send("hello"); // no destination: the socket is connected
const reply = await udp.receive({ timeout: 5000 });
console.log(`reply "${reply.data}" from port ${reply.port}`);

await udp.close();
await peer.close();
