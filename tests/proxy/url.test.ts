import { describe, expect, it } from "vitest";
import { parseProxyUrl } from "../../src/proxy/url.js";
import { thrown } from "../helpers/errors.js";

describe("parseProxyUrl", () => {
  it("reads the scheme, host, port and percent-decoded credentials", () => {
    expect(parseProxyUrl("socks5://us%40er:p%3Ass@127.0.0.1:1080")).toEqual({
      protocol: "socks5",
      host: "127.0.0.1",
      port: 1080,
      username: "us@er",
      password: "p:ss",
      display: "socks5://127.0.0.1:1080",
    });
  });

  it("takes socks5h as socks5, and reads socks4a, socks4 and http", () => {
    expect(parseProxyUrl("socks5h://proxy:1").protocol).toBe("socks5");
    expect(parseProxyUrl("socks4a://proxy:1").protocol).toBe("socks4a");
    expect(parseProxyUrl("socks4://id@proxy:1")).toMatchObject({
      protocol: "socks4",
      username: "id",
    });
    expect(parseProxyUrl("http://u:p@proxy:3128")).toMatchObject({ protocol: "http", port: 3128 });
  });

  it("defaults the port to 1080 for SOCKS, 80 for http and 443 for https", () => {
    expect(parseProxyUrl("socks5://proxy").port).toBe(1080);
    expect(parseProxyUrl("http://proxy").port).toBe(80);
    expect(parseProxyUrl("https://u:p@proxy")).toMatchObject({
      protocol: "https",
      port: 443,
      username: "u",
      password: "p",
    });
    expect(parseProxyUrl("http://proxy:80").port).toBe(80);
  });

  it("takes a bracketed IPv6 proxy address and shows it bracketed", () => {
    const spec = parseProxyUrl("socks5://[::1]:1080");
    expect(spec.host).toBe("::1");
    expect(spec.display).toBe("socks5://[::1]:1080");
  });

  it("never puts the password in the display form or in an error message", () => {
    expect(parseProxyUrl("http://u:hunter2@proxy:1").display).not.toContain("hunter2");
    const error = thrown(() => parseProxyUrl("http://u:hunter2@proxy:1/path"));
    expect(error.message).not.toContain("hunter2");
  });

  it.each([
    ["not a URL", "proxy:1080"],
    ["an out-of-range port", "socks5://proxy:70000"],
    ["a path", "http://proxy:3128/x"],
    ["a query", "http://proxy:3128/?a=b"],
    ["no host", "socks5://:1080"],
    ["bad percent-encoding", "socks5://%zz:pw@proxy:1"],
  ])("refuses %s with ERR_INVALID_ADDRESS", (_what, url) => {
    expect(thrown(() => parseProxyUrl(url)).code).toBe("ERR_INVALID_ADDRESS");
  });

  it.each([
    ["an unknown scheme", "ftp://proxy:21"],
    ["a SOCKS4 password", "socks4://id:pw@proxy:1"],
    ["a SOCKS5 user name over 255 bytes", `socks5://${"u".repeat(256)}:pw@proxy:1`],
  ])("refuses %s with ERR_INVALID_ARGUMENT", (_what, url) => {
    expect(thrown(() => parseProxyUrl(url)).code).toBe("ERR_INVALID_ARGUMENT");
  });
});
