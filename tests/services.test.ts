import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseLocal, parseTarget } from "../src/address.js";
import { connect } from "../src/connect.js";
import { openDatagram } from "../src/datagram.js";
import { listen } from "../src/listen.js";
import type { Server } from "../src/server.js";
import { parseServices, servicePort, useServicesFile } from "../src/services.js";

let dir = "";
const servers: Server[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sockit-services-"));
});

afterEach(async () => {
  useServicesFile(undefined);
  await Promise.all(servers.splice(0).map((server) => server.closeAll()));
  rmSync(dir, { recursive: true, force: true });
});

/** Points the lookup at a services file of the test's own. */
function services(text: string): void {
  const file = join(dir, "services");
  writeFileSync(file, text);
  useServicesFile(file);
}

function codeOf(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe("service names for ports (Tcl socket host http)", () => {
  it("looks a name up in the services file, aliases included, for its protocol only", () => {
    services(
      "# comment line\n" +
        "alpha\t4001/tcp\t\tfirst-alias second-alias\t# trailing comment\n" +
        "alpha\t4002/udp\n" +
        "tcponly 4003/tcp\n" +
        "udponly 4004/udp\n" +
        "alpha 4999/tcp # a later entry: the first one wins, as getservbyname\n" +
        "broken 99999/tcp\n",
    );
    expect(servicePort("alpha")).toBe(4001);
    expect(servicePort("first-alias", "tcp")).toBe(4001);
    expect(servicePort("alpha", "udp")).toBe(4002);
    expect(servicePort("tcponly")).toBe(4003);
    expect(codeOf(() => servicePort("tcponly", "udp"))).toBe("ERR_UNKNOWN_SERVICE");
    expect(servicePort("udponly", "udp")).toBe(4004);
    expect(codeOf(() => servicePort("udponly"))).toBe("ERR_UNKNOWN_SERVICE");
    expect(codeOf(() => servicePort("broken"))).toBe("ERR_UNKNOWN_SERVICE");
    expect(codeOf(() => servicePort("ALPHA"))).toBe("ERR_UNKNOWN_SERVICE"); // case-sensitive
    expect(servicePort("8080")).toBe(8080);
    expect(codeOf(() => servicePort("not a name"))).toBe("ERR_INVALID_ADDRESS");
    expect(codeOf(() => servicePort("alpha", "sctp" as "tcp"))).toBe("ERR_INVALID_ARGUMENT");
  });

  it("uses the built-in table where the services file is absent", () => {
    useServicesFile(join(dir, "absent"));
    const expected: [string, number][] = [
      ["echo", 7],
      ["daytime", 13],
      ["ftp", 21],
      ["ssh", 22],
      ["telnet", 23],
      ["smtp", 25],
      ["domain", 53],
      ["http", 80],
      ["www", 80],
      ["pop3", 110],
      ["imap", 143],
      ["https", 443],
    ];
    for (const [name, port] of expected) expect([name, servicePort(name)]).toEqual([name, port]);
    expect(servicePort("syslog", "udp")).toBe(514);
    expect(servicePort("shell")).toBe(514);
    expect(codeOf(() => servicePort("syslog"))).toBe("ERR_UNKNOWN_SERVICE"); // UDP only here
    expect(codeOf(() => servicePort("ntp"))).toBe("ERR_UNKNOWN_SERVICE");
    expect(() => servicePort("no-such-service")).toThrow(/the built-in table/);
  });

  it("reads the system's /etc/services when it is present", (context) => {
    if (!existsSync("/etc/services")) {
      console.warn("skipping: no /etc/services here");
      return context.skip();
    }
    const table = parseServices(readFileSync("/etc/services", "latin1"), "/etc/services");
    const http = table.tcp.get("http");
    expect(http).toBe(80);
    expect(servicePort("http")).toBe(http);
    expect(servicePort("domain", "udp")).toBe(table.udp.get("domain"));
  });

  it("parses a named port in targets and local addresses, the UDP column for UDP", () => {
    services("web 8080/tcp\ndns 5353/udp\n");
    expect(parseTarget("localhost:web")).toEqual({ kind: "tcp", host: "localhost", port: 8080 });
    expect(parseTarget("[::1]:web|named")).toMatchObject({
      host: "::1",
      port: 8080,
      name: "named",
    });
    expect(parseLocal(":web")).toEqual({ kind: "tcp", host: "", port: 8080 });
    expect(parseLocal("lo:dns", "udp")).toEqual({ kind: "tcp", host: "lo", port: 5353 });
    expect(parseTarget("localhost:dns", "udp")).toMatchObject({ port: 5353 });
    expect(codeOf(() => parseTarget("localhost:dns"))).toBe("ERR_UNKNOWN_SERVICE");
    expect(codeOf(() => parseTarget("localhost:no-such"))).toBe("ERR_UNKNOWN_SERVICE");
    expect(codeOf(() => connect("localhost:no-such"))).toBe("ERR_UNKNOWN_SERVICE");
    expect(codeOf(() => parseTarget("localhost:80x!"))).toBe("ERR_INVALID_ADDRESS");
  });

  it("connects to and listens on a port given by service name", async () => {
    const server = await listen("127.0.0.1:0", (socket) => void socket.write("named\n"));
    servers.push(server);
    services(`sockit-test ${server.port}/tcp\n`);
    const socket = connect("127.0.0.1:sockit-test");
    expect(String(await socket.readLine())).toBe("named");
    expect((await socket.opened).remotePort).toBe(server.port);
    await socket.close();
    await server.close();
    const again = await listen("127.0.0.1:sockit-test");
    servers.push(again);
    expect(again.port).toBe(server.port);
    await expect(listen("127.0.0.1:no-such")).rejects.toMatchObject({
      code: "ERR_UNKNOWN_SERVICE",
    });
  });

  it("sends a datagram to a UDP service name", async () => {
    const receiver = await openDatagram({ localAddress: "127.0.0.1" });
    const port = receiver.info().localPort;
    services(`sockit-udp ${port}/udp\n`);
    const sender = await openDatagram({ remote: "127.0.0.1:sockit-udp" });
    await sender.send("ping");
    expect(String((await receiver.receive({ timeout: 2000 })).data)).toBe("ping");
    await expect(openDatagram({ remote: "127.0.0.1:no-such" })).rejects.toMatchObject({
      code: "ERR_UNKNOWN_SERVICE",
    });
    await sender.close();
    await receiver.close();
  });
});
