import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  FrameTooLongError,
  IncompleteReadError,
  SocketError,
  toSocketError,
} from "../src/errors.js";

const doc = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");

describe("error codes", () => {
  it("docs/errors.md has a row for every code of ERROR_CODES, and no other sockit code", () => {
    // The first cell of each row of the table; Node's own ERR_ codes appear in the prose.
    const documented = new Set([...doc.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]));
    expect([...documented].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it("keeps a system error's code, syscall, errno and cause, and names the address", () => {
    const system = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
      syscall: "connect",
      errno: -111,
    });
    const error = toSocketError(system, "127.0.0.1:1");
    expect(error).toBeInstanceOf(SocketError);
    expect(error).toMatchObject({
      code: "ECONNREFUSED",
      syscall: "connect",
      errno: -111,
      address: "127.0.0.1:1",
    });
    expect(error.cause).toBe(system);
    expect(error.message).toBe("connect ECONNREFUSED 127.0.0.1:1");
  });

  it("passes a SocketError through and gives a codeless error ERR_INVALID_STATE", () => {
    const own = new SocketError("ERR_READ_TIMEOUT", "late");
    expect(toSocketError(own)).toBe(own);
    expect(toSocketError(new TypeError("odd"), "h:1")).toMatchObject({
      code: "ERR_INVALID_STATE",
      message: "odd (h:1)",
    });
    expect(toSocketError("text").message).toBe("text");
  });

  it("maps Node's internal codes for a closed stream to ERR_SOCKET_CLOSED, keeping the cause", () => {
    for (const code of ["ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]) {
      const node = Object.assign(new Error("Cannot call write after a stream was destroyed"), {
        code,
      });
      const error = toSocketError(node, "127.0.0.1:1");
      expect(error).toMatchObject({ code: "ERR_SOCKET_CLOSED", address: "127.0.0.1:1" });
      expect(error.cause).toBe(node);
    }
  });

  it("gives each error class its name and fixed code", () => {
    const incomplete = new IncompleteReadError(Buffer.from("ab"), 4);
    expect(incomplete).toMatchObject({
      name: "IncompleteReadError",
      code: "ERR_INCOMPLETE_READ",
      expected: 4,
    });
    expect(incomplete.message).toBe("stream ended after 2 bytes while waiting for 4 bytes");
    const tooLong = new FrameTooLongError(10);
    expect(tooLong).toMatchObject({
      name: "FrameTooLongError",
      code: "ERR_FRAME_TOO_LONG",
      maxLength: 10,
    });
    expect(tooLong).toBeInstanceOf(SocketError);
  });
});
