// LiveCode `open secure socket` (seeds 000 and 001) against a local TLS server:
//
//   open secure socket to "host:443" with message "wasConnected" without verification
//     -> connect(target, { tls: { verify: false } })
//   open secure socket to "host:443" with message "wasConnected" with verification for host "livecode.com"
//     -> connect(target, { tls: { ca, verifyHost: "livecode.com" } })
//   sslCertificates (the root CAs to verify against) -> tls: { ca }
//
// The server's certificate is self-signed for "localhost" (made with openssl), and the
// client dials 127.0.0.1: verification fails until it is told whom to trust and which
// name to check.
//
//   npm run build && node examples/seeds/livecode-secure-socket.mjs
import { connect, listen, TlsError } from "sockit";
import { localhostCertificate } from "./local-certificate.mjs";

const { cert, key } = localhostCertificate();
const server = await listen("127.0.0.1:0", { tls: { cert, key } }, async (socket) => {
  await socket.send("hello over TLS\n");
  await socket.close();
});
const target = `127.0.0.1:${server.port}`;

function wasConnected(info) {
  console.log(`  wasConnected ${info.remoteAddress}:${info.remotePort} secure=${info.secure}`);
}

/** Opens a secure socket with `tls`, reads the greeting, or says why it failed. */
async function openSecureSocket(label, tls) {
  console.log(label);
  const socket = connect(target, { tls });
  socket.once("connect", wasConnected);
  try {
    await socket.opened;
    console.log(`  read: ${await socket.readLine({ encoding: "utf8", timeout: 5000 })}`);
  } catch (error) {
    if (!(error instanceof TlsError)) throw error;
    console.log(`  refused: ${error.code} (${error.reason})`);
  } finally {
    await socket.close();
  }
}

// The default: verified against Node's root CAs, and the name against 127.0.0.1.
await openSecureSocket("with verification (the default)", true);
// Our certificate as the only root CA (sslCertificates), but the name is still 127.0.0.1.
await openSecureSocket("with verification, trusting the certificate", { ca: cert });
// with verification for host "localhost": the name to check is not the one dialled.
await openSecureSocket('with verification for host "localhost"', {
  ca: cert,
  verifyHost: "localhost",
});
// without verification: any certificate is accepted (sockit warns once on stderr).
await openSecureSocket("without verification", { verify: false });

await server.closeAll();
