// The time server of Tcl's `socket` manual (seed 002):
//
//   proc Server {startTime channel clientaddr clientport} {
//       puts "Connection from $clientaddr registered"
//       set now [clock seconds]
//       puts $channel [clock format $now]
//       puts $channel "[expr {$now - $startTime}] since start"
//       close $channel
//   }
//   socket -server [list Server [clock seconds]] 9900
//   vwait forever
//
//   npm run build && node examples/seeds/tcl-time-server.mjs [PORT [CONNECTIONS]]
//
// PORT defaults to 9900 (0 lets the OS pick; the port is printed). With CONNECTIONS the
// server stops after serving that many, instead of running until Ctrl-C (vwait forever).
// The client is tcl-time-client.mjs, or the manual's Tcl client run by tclsh.
import { pathToFileURL } from "node:url";
import { listen } from "sockit";

/** `clock format` in Tcl's default format: `Thu Mar 03 08:38:02 UTC 2016`. */
export function clockFormat(date) {
  const [day, dd, month, year, time] = date.toUTCString().replace(",", "").split(" ");
  return `${day} ${month} ${dd} ${time} UTC ${year}`;
}

/**
 * Starts the time server on `port` (127.0.0.1 only, where the manual takes every
 * interface). Stops accepting after `connections` connections when given.
 */
export async function timeServer(port, connections = Number.POSITIVE_INFINITY) {
  const startTime = Math.floor(Date.now() / 1000); // the [clock seconds] bound into the prefix
  let served = 0;
  const server = await listen(`127.0.0.1:${port}`, async (channel) => {
    const { remoteAddress, remotePort } = channel.info(); // clientaddr, clientport
    console.log(`Connection from ${remoteAddress} registered (port ${remotePort})`);
    if (++served >= connections) void server.close(); // no new connections; this one goes on
    const now = Math.floor(Date.now() / 1000);
    channel.write(`${clockFormat(new Date(now * 1000))}\n`);
    channel.write(`${now - startTime} since start\n`);
    await channel.close();
  });
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const port = Number(process.argv[2] ?? 9900);
  const connections = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const server = await timeServer(port, connections);
  console.log(`time server listening on port ${server.port}`);
  process.once("SIGINT", () => void server.closeAll());
  process.once("SIGTERM", () => void server.closeAll());
}
