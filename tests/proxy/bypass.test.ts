import { describe, expect, it } from "vitest";
import { bypasses, parseBypassList } from "../../src/proxy/bypass.js";
import { thrown } from "../helpers/errors.js";

const list = (text: string | string[]) => parseBypassList(text, true);

describe("the bypass list (NO_PROXY)", () => {
  it.each([
    // [list, host, port, bypassed]
    ["*", "anything.example", 1, true],
    ["example.com", "example.com", 443, true],
    ["example.com", "www.example.com", 443, true], // a subdomain
    ["example.com", "badexample.com", 443, false], // a suffix that is not a label
    [".example.com", "example.com", 443, true], // leading dot
    ["*.example.com", "a.b.example.com", 443, true], // leading *.
    ["EXAMPLE.com", "www.Example.COM.", 443, true], // case and a trailing dot
    ["example.com:8443", "example.com", 8443, true],
    ["example.com:8443", "example.com", 443, false], // only that port
    ["10.0.0.1", "10.0.0.1", 80, true],
    ["10.0.0.1", "10.0.0.2", 80, false],
    ["10.0.0.0/8", "10.9.8.7", 80, true],
    ["10.0.0.0/8", "11.0.0.1", 80, false],
    ["::1", "::1", 80, true],
    ["[::1]:8080", "::1", 8080, true],
    ["[::1]:8080", "::1", 80, false],
    ["fd00::/8", "fd12::1", 80, true],
    ["127.0.0.1", "localhost", 80, false], // names are not resolved to be compared
    ["localhost, 127.0.0.1 internal.test", "x.internal.test", 1, true], // commas and spaces
  ] as const)("%s, target %s:%d → %s", (entries, host, port, expected) => {
    expect(bypasses(list(entries), host, port)).toBe(expected);
  });

  it("takes an array of entries", () => {
    expect(bypasses(list(["a.test", "b.test"]), "b.test", 1)).toBe(true);
  });

  it.each(["bad host!", "10.0.0.0/33", "example.com:http", "[::1"])(
    "refuses the malformed entry %s with ERR_INVALID_ARGUMENT when strict",
    (entry) => {
      expect(thrown(() => parseBypassList(entry, true)).code).toBe("ERR_INVALID_ARGUMENT");
    },
  );

  it("skips malformed entries when not strict (an environment variable)", () => {
    const lenient = parseBypassList("bad host!, good.test", false);
    expect(bypasses(lenient, "good.test", 1)).toBe(true);
  });
});
