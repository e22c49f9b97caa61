// The client of Tcl's time server (seed 002), line for line:
//
//   set server localhost
//   set sockChan [socket $server 9900]
//   gets $sockChan line1
//   gets $sockChan line2
//   close $sockChan
//   puts "The time on $server is $line1"
//   puts "That is [lindex $line2 0]s since the server started"
//
//   npm run build && node examples/seeds/tcl-time-client.mjs [HOST PORT]
//
// Without HOST and PORT it starts the time server of tcl-time-server.mjs in this process
// (port 0) and talks to it, so it runs on its own.
import { connect } from "sockit";
import { timeServer } from "./tcl-time-server.mjs";

let server = process.argv[2];
let port = Number(process.argv[3]);
let local;
if (server === undefined) {
  local = await timeServer(0, 1);
  server = "localhost";
  port = local.port;
}

const sockChan = connect(`${server}:${port}`);
const line1 = await sockChan.readLine({ encoding: "utf8", timeout: 5000 });
const line2 = await sockChan.readLine({ encoding: "utf8", timeout: 5000 });
await sockChan.close();
console.log(`The time on ${server} is ${line1}`);
console.log(`That is ${line2.split(" ")[0]}s since the server started`);
await local?.closeAll();
