import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  abortedError,
  connectTimeoutError,
  ERROR_CODES,
  FrameTooLongError,
  handshakeTimeoutError,
  IncompleteReadError,
  readTimeoutError,
  SocketError,
  socketClosedError,
  TlsError,
  toSocketError,
  writeTimeoutError,
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

describe("the error of each phase", () => {
  it("names a read, a receive and a send timeout with their code and duration", () => {
    expect(readTimeoutError(50)).toMatchObject({
      code: "ERR_READ_TIMEOUT",
      message: "read timed out after 50 ms",
    });
    expect(readTimeoutError(20, "receive").message).toBe("receive timed out after 20 ms");
    expect(writeTimeoutError(30)).toMatchObject({
      code: "ERR_WRITE_TIMEOUT",
      message: "send timed out after 30 ms",
    });
  });

  it("names the target of a connect timeout on its message and address", () => {
    expect(connectTimeoutError(100, "10.0.0.1:80")).toMatchObject({
      code: "ERR_CONNECT_TIMEOUT",
      address: "10.0.0.1:80",
      message: "connect to 10.0.0.1:80 timed out after 100 ms",
    });
  });

  it("makes a handshake timeout a TlsError whose reason is its code", () => {
    const error = handshakeTimeoutError(10_000);
    expect(error).toBeInstanceOf(TlsError);
    expect(error).toMatchObject({
      code: "ERR_TLS_HANDSHAKE_TIMEOUT",
      reason: "ERR_TLS_HANDSHAKE_TIMEOUT",
      message: "TLS handshake timed out after 10000 ms",
    });
  });

  it("keeps the abort reason as the cause of ERR_ABORTED", () => {
    const reason = new Error("user gave up");
    const error = abortedError("send", reason);
    expect(error).toMatchObject({ code: "ERR_ABORTED", message: "the send was aborted" });
    expect(error.cause).toBe(reason);
  });

  it("says what was refused and how the socket closed with ERR_SOCKET_CLOSED", () => {
    expect(socketClosedError().message).toBe("the socket is closed");
    expect(socketClosedError(undefined, "destroyed").message).toBe("the socket was destroyed");
    expect(socketClosedError("write", "closed", "127.0.0.1:80")).toMatchObject({
      code: "ERR_SOCKET_CLOSED",
      message: "cannot write: the socket to 127.0.0.1:80 is closed",
    });
    expect(socketClosedError("start TLS", "reset").message).toBe(
      "cannot start TLS: the socket was reset",
    );
  });
});
