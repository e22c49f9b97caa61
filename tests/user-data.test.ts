/**
 * Per-socket user data (hs.socket `userData`): `socket.data`, `connect(t, { data })`,
 * `listen(t, { data: (socket) => … })`, and their types.
 */
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { connect } from "../src/connect.js";
import type { SocketError } from "../src/errors.js";
import { listen } from "../src/listen.js";
import type { ConnectionHandler, Server } from "../src/server.js";
import type { Socket } from "../src/socket.js";
import { waitFor } from "./helpers/raw-peer.js";

const servers: Server[] = [];
const sockets: Socket<unknown, unknown>[] = [];

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.closeAll()));
});

function track<S extends Socket<unknown, unknown>>(socket: S): S {
  sockets.push(socket);
  return socket;
}

describe("socket.data (hs.socket userData)", () => {
  it("fills each accepted socket's data from listen()'s data function before the handler sees it", async () => {
    const seen: { id: number | undefined; data: { id: number | undefined; lines: string[] } }[] =
      [];
    const server = await listen(
      "127.0.0.1:0",
      { data: (socket) => ({ id: socket.id, lines: [] as string[] }) },
      async (socket) => {
        seen.push({ id: socket.id, data: socket.data });
        socket.data.lines.push((await socket.readLine()).toString());
      },
    );
    servers.push(server);
    const first = track(connect(`127.0.0.1:${server.port}`));
    const second = track(connect(`127.0.0.1:${server.port}`));
    first.write("one\n");
    second.write("two\n");
    await waitFor(
      () => server.connections.every((s) => s.data.lines.length === 1) && seen.length === 2,
    );
    expect(seen.map((s) => s.data.id)).toEqual(seen.map((s) => s.id));
    expect(seen[0]?.data).not.toBe(seen[1]?.data); // one object per connection
    expect(server.connections.map((s) => s.data.lines[0]).sort()).toEqual(["one", "two"]);
  });

  it("gives the 'connection' event and the accept iterator the socket with its data", async () => {
    const server = await listen("127.0.0.1:0", { data: () => ({ role: "guest" }) });
    servers.push(server);
    const fromEvent = new Promise<string>((resolve) =>
      server.once("connection", (socket) => resolve(socket.data.role)),
    );
    track(connect(`127.0.0.1:${server.port}`));
    expect(await fromEvent).toBe("guest");
  });

  it("sets a client's data from connect()'s data, and lets it be replaced", async () => {
    const server = await listen("127.0.0.1:0");
    servers.push(server);
    const socket = track(connect(`127.0.0.1:${server.port}`, { data: { retries: 0 } }));
    expect(socket.data).toEqual({ retries: 0 });
    socket.data.retries++;
    socket.data = { retries: 10 };
    await socket.opened;
    await socket.close();
    expect(socket.data).toEqual({ retries: 10 }); // stays after close
    const plain = track(connect(`127.0.0.1:${server.port}`));
    expect(plain.data).toBeUndefined();
  });

  it("destroys a connection whose data function throws with ERR_HANDLER_FAILED, and goes on", async () => {
    let calls = 0;
    const handled: number[] = [];
    const server = await listen(
      "127.0.0.1:0",
      {
        data: () => {
          calls++;
          if (calls === 1) throw new Error("no session");
          return calls;
        },
      },
      (socket) => void handled.push(socket.data),
    );
    servers.push(server);
    const errors: SocketError[] = [];
    server.on("error", (error) => errors.push(error));
    const refused = track(connect(`127.0.0.1:${server.port}`));
    await refused.closed;
    expect(errors[0]?.code).toBe("ERR_HANDLER_FAILED");
    expect(errors[0]?.message).toContain("no session");
    track(connect(`127.0.0.1:${server.port}`));
    await waitFor(() => handled.length === 1);
    expect(handled).toEqual([2]);
  });

  it("refuses a data option that is not a function, listening on nothing", async () => {
    await expect(listen("127.0.0.1:0", { data: { shared: true } as never })).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
      message: expect.stringContaining("data must be a function"),
    });
  });
});

describe("the types of socket.data", () => {
  it("types a handler's socket.data with what listen()'s data function returns", async () => {
    const server = await listen("127.0.0.1:0", { data: () => ({ count: 0 }) }, (socket) => {
      expectTypeOf(socket.data).toEqualTypeOf<{ count: number }>();
      // @ts-expect-error the data is { count: number }, not a string
      socket.data = "text";
    });
    servers.push(server);
    expectTypeOf(server).toEqualTypeOf<Server<{ count: number }>>();
    expectTypeOf(server.connections).toEqualTypeOf<readonly Socket<unknown, { count: number }>[]>();
    server.on("read", (_data, _tag, socket) => {
      expectTypeOf(socket.data).toEqualTypeOf<{ count: number }>();
    });
    expect(server.listening).toBe(true);
  });

  it("infers a client's data type from connect()'s data; unknown without one", () => {
    const typed = track(connect("127.0.0.1:1", { data: { user: "ada" } }));
    expectTypeOf(typed).toEqualTypeOf<Socket<unknown, { user: string }>>();
    expectTypeOf(typed.data.user).toBeString();
    const tagged = track(connect<number, { n: number }>("127.0.0.1:1", { data: { n: 1 } }));
    expectTypeOf(tagged.data).toEqualTypeOf<{ n: number }>();
    // @ts-expect-error the data must match the declared type
    track(connect<number, { n: number }>("127.0.0.1:1", { data: { n: "one" } }));
    const plain = track(connect("127.0.0.1:1"));
    expectTypeOf(plain.data).toBeUnknown();
    plain.data = 42; // unknown: anything goes
    const handler: ConnectionHandler = (socket) => {
      expectTypeOf(socket).toEqualTypeOf<Socket<unknown, unknown>>();
    };
    expectTypeOf(handler).toBeFunction();
    // A Socket<Tag> written before Data existed is still a socket with unknown data.
    expectTypeOf<Socket<string>>().toEqualTypeOf<Socket<string, unknown>>();
    expect(typed.data).toEqual({ user: "ada" });
  });
});
