import { describe, expect, it } from "vitest";
import { Encoder, Printer } from "../../src/cli/format.js";
import { encodeFrame } from "../../src/index.js";

const join = (parts: (string | Buffer)[]): string =>
  parts.map((p) => (typeof p === "string" ? p : p.toString("latin1"))).join("");

describe("Printer", () => {
  it("prints lines split across chunks one per line, the last one without its ending too", () => {
    const printer = new Printer({ split: "lines", hex: false, json: false }, 1);
    expect(join(printer.data(Buffer.from("ab\r")))).toBe("");
    expect(join(printer.data(Buffer.from("\ncd\nef")))).toBe("ab\ncd\n");
    expect(join(printer.end().out)).toBe("ef\n");
  });

  it("prints frames as hex, and reports a frame cut short at the end", () => {
    const printer = new Printer({ split: { width: 2 }, hex: true, json: false }, 1);
    const bytes = Buffer.concat([encodeFrame("hi", { width: 2 }), Buffer.from([0, 5, 0x61])]);
    expect(join(printer.data(bytes))).toBe("6869\n");
    const last = printer.end();
    expect(join(last.out)).toBe("000561\n"); // the leftover bytes, header included
    expect(last.incomplete?.code).toBe("ERR_INCOMPLETE_READ");
  });

  it("prints JSON data events with the connection's number, text or base64", () => {
    const printer = new Printer({ split: "none", hex: false, json: true }, 7);
    expect(join(printer.data(Buffer.from("ok")))).toBe(
      '{"event":"data","conn":7,"bytes":2,"text":"ok"}\n',
    );
    expect(join(printer.data(Buffer.from([0xc3])))).toBe(
      '{"event":"data","conn":7,"bytes":1,"base64":"ww=="}\n',
    );
  });
});

describe("Encoder", () => {
  it("sends each line as a frame, a line split across chunks included", () => {
    const encoder = new Encoder({ crlf: false, hex: false, frames: { varint: true } });
    expect([...encoder.push(Buffer.from("a\nb"))]).toEqual([1, 0x61]);
    expect([...encoder.push(Buffer.from("c\r\n"))]).toEqual([2, 0x62, 0x63]);
    expect([...encoder.end()]).toEqual([]);
  });

  it("reads hex lines for --frames --hex and refuses a line that is not hex", () => {
    const encoder = new Encoder({ crlf: false, hex: true, frames: { width: 1 } });
    expect([...encoder.push(Buffer.from("00 ff\n"))]).toEqual([2, 0, 0xff]);
    expect(() => encoder.push(Buffer.from("xyz\n"))).toThrow(/not hex/);
  });

  it("passes bytes through, or converts line endings with crlf", () => {
    expect(new Encoder({ crlf: false, hex: false }).push(Buffer.from("a\n")).toString()).toBe(
      "a\n",
    );
    expect(new Encoder({ crlf: true, hex: false }).push(Buffer.from("a\n")).toString()).toBe(
      "a\r\n",
    );
  });
});
