import { describe, expect, it } from "vitest";
import { parseTarget } from "../../src/address.js";
import { proxyFromEnv, proxyRoute } from "../../src/proxy/env.js";
import { thrown } from "../helpers/errors.js";

const target = parseTarget("db.internal.test:5432");

describe("proxyFromEnv", () => {
  it("takes HTTPS_PROXY for a TLS connection and HTTP_PROXY for a plain one", () => {
    const env = { HTTPS_PROXY: "http://secure:1", HTTP_PROXY: "http://plain:2" };
    expect(proxyFromEnv(env, true).url).toBe("http://secure:1");
    expect(proxyFromEnv(env, false).url).toBe("http://plain:2");
  });

  it("falls back to ALL_PROXY, and reads the lower-case name first", () => {
    expect(proxyFromEnv({ ALL_PROXY: "socks5://all:1" }, true).url).toBe("socks5://all:1");
    const both = { http_proxy: "http://lower:1", HTTP_PROXY: "http://upper:2" };
    expect(proxyFromEnv(both, false)).toMatchObject({
      url: "http://lower:1",
      source: "http_proxy",
    });
  });

  it("ignores empty values and takes a value without a scheme as http://", () => {
    expect(proxyFromEnv({ HTTP_PROXY: "", ALL_PROXY: "proxy:3128" }, false).url).toBe(
      "http://proxy:3128",
    );
    expect(proxyFromEnv({}, false).url).toBeUndefined();
  });
});

describe("proxyRoute", () => {
  it("connects directly without the proxy option, whatever the environment says", () => {
    expect(proxyRoute({}, target, false, { ALL_PROXY: "socks5://p:1" })).toBeUndefined();
  });

  it('reads the environment only for proxy: "env", with its NO_PROXY', () => {
    const env = { ALL_PROXY: "socks5://p:1", NO_PROXY: "other.test" };
    expect(proxyRoute({ proxy: "env" }, target, false, env)?.display).toBe("socks5://p:1");
    const bypassed = { ...env, NO_PROXY: "internal.test" };
    expect(proxyRoute({ proxy: "env" }, target, false, bypassed)).toBeUndefined();
    expect(proxyRoute({ proxy: "env" }, target, false, {})).toBeUndefined();
  });

  it("applies noProxy to an explicit proxy, and it overrides NO_PROXY", () => {
    const route = (noProxy: string) =>
      proxyRoute({ proxy: "socks5://p:1", noProxy }, target, false, {});
    expect(route("*.internal.test")).toBeUndefined();
    expect(route("elsewhere.test")?.host).toBe("p");
    const env = { ALL_PROXY: "socks5://p:1", NO_PROXY: "internal.test" };
    expect(proxyRoute({ proxy: "env", noProxy: "" }, target, false, env)?.host).toBe("p");
  });

  it("names the variable when the environment's proxy URL is malformed", () => {
    const error = thrown(() =>
      proxyRoute({ proxy: "env" }, target, true, { HTTPS_PROXY: "http://p:99999" }),
    );
    expect(error.code).toBe("ERR_INVALID_ADDRESS");
    expect(error.message).toContain("$HTTPS_PROXY");
  });

  it('refuses an explicit proxy for a Unix-domain target, and lets "env" connect it directly', () => {
    const unix = parseTarget("unix:/tmp/sockit.sock");
    expect(thrown(() => proxyRoute({ proxy: "socks5://p:1" }, unix, false, {})).code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
    expect(
      proxyRoute({ proxy: "env" }, unix, false, { ALL_PROXY: "socks5://p:1" }),
    ).toBeUndefined();
  });

  it("refuses a malformed noProxy with ERR_INVALID_ARGUMENT", () => {
    expect(
      thrown(() => proxyRoute({ proxy: "socks5://p:1", noProxy: "10.0.0.0/40" }, target, false, {}))
        .code,
    ).toBe("ERR_INVALID_ARGUMENT");
  });
});
