import { describe, expect, it } from "vitest";
import {
  checkInteger,
  checkLocalAddress,
  checkLocalBind,
  checkMaxLength,
  checkReadOptions,
  checkTimeout,
} from "../src/validate.js";

const invalid = (code: string) => expect.objectContaining({ code });

describe("argument checks", () => {
  it("accepts an integer in range and refuses anything else with ERR_INVALID_ARGUMENT", () => {
    expect(checkInteger("n", 5, 0, 10)).toBe(5);
    for (const bad of [-1, 11, 1.5, Number.NaN, "5", undefined]) {
      expect(() => checkInteger("n", bad, 0, 10)).toThrow(invalid("ERR_INVALID_ARGUMENT"));
    }
    expect(() => checkInteger("n", 11, 0, 10)).toThrow("n must be an integer from 0 to 10, got 11");
  });

  it("returns, not throws, the error of a negative or non-finite timeout", () => {
    expect(checkTimeout(undefined)).toBeUndefined();
    expect(checkTimeout(0)).toBeUndefined();
    expect(checkReadOptions({ timeout: 10 })).toBeUndefined();
    expect(checkReadOptions(undefined)).toBeUndefined();
    expect(checkTimeout(-1)?.code).toBe("ERR_INVALID_ARGUMENT");
    expect(checkReadOptions({ timeout: Number.POSITIVE_INFINITY })?.code).toBe(
      "ERR_INVALID_ARGUMENT",
    );
  });

  it("gives maxLength its default and refuses a negative or fractional one", () => {
    expect(checkMaxLength(undefined, 1024)).toBe(1024);
    expect(checkMaxLength(0, 1024)).toBe(0);
    expect(() => checkMaxLength(-1, 1024)).toThrow(invalid("ERR_INVALID_ARGUMENT"));
    expect(() => checkMaxLength(2.5, 1024)).toThrow(invalid("ERR_INVALID_ARGUMENT"));
  });

  it("refuses a local address that is not an IP literal with ERR_INVALID_ADDRESS", () => {
    expect(checkLocalAddress("::1")).toBe("::1");
    expect(() => checkLocalAddress("localhost")).toThrow(invalid("ERR_INVALID_ADDRESS"));
  });

  it("checks a local bind's address, port and family", () => {
    expect(checkLocalBind({})).toEqual({});
    expect(checkLocalBind({ localAddress: "127.0.0.1", localPort: 0, family: 4 })).toEqual({
      localAddress: "127.0.0.1",
      localPort: 0,
      family: 4,
    });
    expect(() => checkLocalBind({ localPort: 65536 })).toThrow(invalid("ERR_INVALID_ARGUMENT"));
    expect(() => checkLocalBind({ family: 5 as 4 })).toThrow(invalid("ERR_INVALID_ARGUMENT"));
    expect(() => checkLocalBind({ localAddress: "x" })).toThrow(invalid("ERR_INVALID_ADDRESS"));
  });
});
