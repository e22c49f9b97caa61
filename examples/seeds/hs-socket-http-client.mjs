// hs.socket's basic HTTP client (seed 004), built on CocoaAsyncSocket's tagged reads: read
// the headers up to "\r\n\r\n" with one tag, then the body by its Content-Length with another.
//
//   local TAG_HTTP_HEADER, TAG_HTTP_CONTENT = 1, 2
//   local function httpCallback(data, tag)
//     if tag == TAG_HTTP_HEADER then
//       local contentLength = data:match("\r\nContent%-Length: (%d+)\r\n")
//       client:read(tonumber(contentLength), TAG_HTTP_CONTENT)
//     elseif tag == TAG_HTTP_CONTENT then
//       body = data
//     end
//   end
//   client = hs.socket.new(httpCallback):connect("google.com", 80)
//   client:write("GET /index.html HTTP/1.0\r\nHost: google.com\r\n\r\n")
//   client:read("\r\n\r\n", TAG_HTTP_HEADER)
//
// The web server is a local node:http server answering as google.com did in the seed (a
// 301 with a small HTML body). Run with NODE_DEBUG=sockit to see sockit's log lines, the
// counterpart of hs.socket's "LuaSkin: TCP socket connected" messages.
//
//   npm run build && node examples/seeds/hs-socket-http-client.mjs
import { createServer } from "node:http";
import { connect } from "sockit";

const MOVED = `<HTML><HEAD><meta http-equiv="content-type" content="text/html;charset=utf-8">
<TITLE>301 Moved</TITLE></HEAD><BODY>
<H1>301 Moved</H1>
The document has moved
<A HREF="http://www.google.com/index.html">here</A>.
</BODY></HTML>
`;
const web = createServer((request, response) => {
  response.writeHead(301, {
    Location: `http://www.google.com${request.url}`,
    "Content-Type": "text/html; charset=UTF-8",
    "Content-Length": Buffer.byteLength(MOVED),
  });
  response.end(MOVED);
});
await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
const { port } = web.address();

const TAG_HTTP_HEADER = 1;
const TAG_HTTP_CONTENT = 2;
let body = "";

const client = connect(`127.0.0.1:${port}`);
client.on("read", (data, tag) => {
  if (tag === TAG_HTTP_HEADER) {
    console.log(tag, "TAG_HTTP_HEADER");
    console.log(data.toString());
    const contentLength = /\r\nContent-Length: (\d+)\r\n/i.exec(data.toString())?.[1];
    client.read(Number(contentLength), TAG_HTTP_CONTENT);
  } else if (tag === TAG_HTTP_CONTENT) {
    console.log(tag, "TAG_HTTP_CONTENT");
    console.log(data.toString());
    body = data.toString();
  }
});
client.write("GET /index.html HTTP/1.0\r\nHost: google.com\r\n\r\n");
client.read("\r\n\r\n", TAG_HTTP_HEADER);

const { hadError } = await client.closed; // the server closes an HTTP/1.0 connection
console.log(`disconnected (hadError=${hadError}); body: ${Buffer.byteLength(body)} bytes`);
web.close();
