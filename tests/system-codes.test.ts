import { readFileSync } from "node:fs";
import { getSystemErrorMap } from "node:util";
import { describe, expect, it } from "vitest";
import { type SocketErrorCode, toSocketError } from "../src/errors.js";
import { SYSTEM_ERROR_CODES } from "../src/system-codes.js";

const doc = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");

/** The codes in backquotes in docs/errors.md's "System codes passed through" section. */
function documentedSystemCodes(): string[] {
  const section = doc.split(/^## /m).find((part) => part.startsWith("System codes passed through"));
  if (section === undefined) throw new Error("docs/errors.md has no system codes section");
  const body = section.split(/^Renamed/m)[0] ?? "";
  return [...new Set([...body.matchAll(/`(E[A-Z0-9_]+)`/g)].map((m) => m[1] ?? ""))].sort();
}

function nodeError(code: string): Error {
  return Object.assign(new Error(`${code} from Node`), { code });
}

describe("system codes", () => {
  it("docs/errors.md lists exactly the system codes of SYSTEM_ERROR_CODES", () => {
    expect(documentedSystemCodes()).toEqual([...SYSTEM_ERROR_CODES].sort());
  });

  it("covers every system error name of this runtime (but ECANCELED, EAI_NONAME, EAI_NODATA, UNKNOWN, which it renames)", () => {
    const renamed = new Set(["ECANCELED", "EAI_NONAME", "EAI_NODATA", "UNKNOWN"]);
    const names = [...getSystemErrorMap().values()].map(([name]) => name);
    const missing = names.filter(
      (name) => !renamed.has(name) && !SYSTEM_ERROR_CODES.some((c) => c === name),
    );
    expect(missing).toEqual([]);
  });

  it("passes a system code through as it is", () => {
    for (const code of ["ECONNREFUSED", "EAI_AGAIN", "ENOTFOUND", "EPROTO"]) {
      expect(toSocketError(nodeError(code)).code).toBe(code);
    }
  });

  it("reports a write cancelled by destroy() as ERR_SOCKET_CLOSED on every Node version (ECANCELED on 22 and later)", () => {
    const cancelled = nodeError("ECANCELED");
    const error = toSocketError(cancelled, "127.0.0.1:9");
    expect(error).toMatchObject({ code: "ERR_SOCKET_CLOSED", address: "127.0.0.1:9" });
    expect(error.cause).toBe(cancelled);
  });

  it.each([
    ["ERR_STREAM_DESTROYED", "ERR_SOCKET_CLOSED"],
    ["ERR_STREAM_WRITE_AFTER_END", "ERR_SOCKET_CLOSED"],
    ["ERR_SOCKET_BAD_PORT", "ERR_INVALID_ADDRESS"],
    ["ERR_INVALID_ARG_TYPE", "ERR_INVALID_ARGUMENT"],
    ["ERR_SOCKET_CONNECTION_TIMEOUT", "ETIMEDOUT"],
    ["EAI_NONAME", "ENOTFOUND"],
  ])("reports Node's %s as %s", (node, sockit) => {
    expect(toSocketError(nodeError(node)).code).toBe(sockit);
  });

  it("reports an unknown code as ERR_INVALID_STATE and keeps the original on cause", () => {
    const odd = nodeError("ERR_SOMETHING_NEW");
    const error = toSocketError(odd);
    expect(error.code).toBe("ERR_INVALID_STATE");
    expect(error.cause).toBe(odd);
  });

  it("makes a misspelt code a compile error (SocketErrorCode is a closed union)", () => {
    // @ts-expect-error: "ECONNREFUSD" is not a code; `npm run typecheck` fails if this compiles.
    const typo: SocketErrorCode = "ECONNREFUSD";
    const right: SocketErrorCode = "ECONNREFUSED";
    expect([typo, right]).toHaveLength(2);
  });
});
