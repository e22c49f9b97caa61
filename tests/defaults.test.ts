import { afterEach, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";
import { getDefaults, setDefaults } from "../src/defaults.js";
import type { Socket } from "../src/socket.js";
import { thrown } from "./helpers/errors.js";
import { rawPeer } from "./helpers/raw-peer.js";

const sockets: Socket[] = [];
afterEach(async () => {
  setDefaults(null);
  await Promise.all(sockets.splice(0).map((s) => s.destroy()));
});

describe("process-wide defaults", () => {
  it("gives new sockets the default idle timeout, which a socket's own option overrides", async () => {
    const { target } = await rawPeer(() => {});
    setDefaults({ idleTimeout: 50 });
    const idle = connect(target);
    const busy = connect(target, { idleTimeout: 0 });
    sockets.push(idle, busy);
    let busyTimedOut = false;
    busy.on("timeout", () => {
      busyTimedOut = true;
    });
    await new Promise<void>((resolve) => idle.once("timeout", () => resolve()));
    expect(busyTimedOut).toBe(false);
  });

  it("binds new client sockets to the default local address (LiveCode defaultNetworkInterface)", async () => {
    const { target } = await rawPeer(() => {});
    setDefaults({ localAddress: "127.0.0.2" });
    const socket = connect(target);
    sockets.push(socket);
    expect((await socket.opened).localAddress).toBe("127.0.0.2");
  });

  it("keeps the others when some change, restores them with null, and refuses unknown names", () => {
    const before = getDefaults();
    expect(setDefaults({ closeTimeout: 100 })).toMatchObject({ closeTimeout: 100, idleTimeout: 0 });
    expect(thrown(() => setDefaults({ idleTimout: 5 } as never)).code).toBe("ERR_INVALID_ARGUMENT");
    expect(thrown(() => setDefaults({ idleTimeout: -1 })).code).toBe("ERR_INVALID_ARGUMENT");
    expect(getDefaults().closeTimeout).toBe(100);
    expect(setDefaults(null)).toEqual(before);
  });
});
