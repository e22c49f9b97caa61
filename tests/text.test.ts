import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SocketError } from "../src/errors.js";
import { convertEol, decodeText, EolConverter, type EolStyle } from "../src/text.js";
import { bytewise, cut } from "./helpers/chunking.js";

/** Feeds chunks to one converter and joins everything it emits, end() included. */
function stream(to: EolStyle, chunks: readonly Uint8Array[]): Buffer {
  const converter = new EolConverter(to);
  const out = chunks.map((chunk) => Buffer.from(converter.push(chunk))); // copies: views may alias
  return Buffer.concat([...out, converter.end()]);
}

/** The reference: the same conversion on latin1 text, one regular expression. */
function model(input: Buffer, to: EolStyle): Buffer {
  const eol = { lf: "\n", cr: "\r", crlf: "\r\n" }[to];
  return Buffer.from(input.toString("latin1").replace(/\r\n|\r|\n/g, eol), "latin1");
}

/** The code of what `run` throws, or "none". */
function codeOf(run: () => unknown): string {
  try {
    run();
    return "none";
  } catch (error) {
    return error instanceof SocketError ? String(error.code) : `not a SocketError: ${error}`;
  }
}

const L = (text: string): Buffer => Buffer.from(text, "latin1");

// [input, lf, cr, crlf]
const rows: [string, string, string, string][] = [
  ["", "", "", ""],
  ["abc", "abc", "abc", "abc"],
  ["a\nb", "a\nb", "a\rb", "a\r\nb"],
  ["a\rb", "a\nb", "a\rb", "a\r\nb"],
  ["a\r\nb", "a\nb", "a\rb", "a\r\nb"],
  ["a\nb\r\nc\rd\n", "a\nb\nc\nd\n", "a\rb\rc\rd\r", "a\r\nb\r\nc\r\nd\r\n"],
  ["\n\r", "\n\n", "\r\r", "\r\n\r\n"],
  ["\r\r\n\n", "\n\n\n", "\r\r\r", "\r\n\r\n\r\n"],
  ["\r\n\r\n", "\n\n", "\r\r", "\r\n\r\n"],
  ["x\r", "x\n", "x\r", "x\r\n"],
  ["\r", "\n", "\r", "\r\n"],
  ["\n", "\n", "\r", "\r\n"],
  [
    "\x00\xff\r\x80\n\xfe",
    "\x00\xff\n\x80\n\xfe",
    "\x00\xff\r\x80\r\xfe",
    "\x00\xff\r\n\x80\r\n\xfe",
  ],
];
const styles: [EolStyle, number][] = [
  ["lf", 1],
  ["cr", 2],
  ["crlf", 3],
];

describe("EolConverter and convertEol", () => {
  describe.each(rows)("%j", (input, ...expected) => {
    const bytes = L(input);
    it.each(styles)("to %s: whole, byte by byte and in every chunking", (to, column) => {
      const want = L(expected[column - 1] as string);
      expect(convertEol(bytes, to)).toEqual(want);
      expect(stream(to, [bytes])).toEqual(want);
      expect(stream(to, bytewise(bytes))).toEqual(want);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 6 }), (at) => {
          expect(stream(to, cut(bytes, at))).toEqual(want);
        }),
        { numRuns: 100 },
      );
    });
  });

  it("matches the reference for random bytes under random chunkings, empty chunks included", () => {
    const byte = fc.oneof(fc.constantFrom(0x0d, 0x0a), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 80 }),
        fc.array(fc.nat({ max: 80 }), { maxLength: 10 }),
        fc.constantFrom<EolStyle>("lf", "cr", "crlf"),
        (values, at, to) => {
          const bytes = Buffer.from(values);
          const want = model(bytes, to);
          expect(convertEol(bytes, to)).toEqual(want);
          const chunks = cut(bytes, at).flatMap((chunk) => [chunk, Buffer.alloc(0)]);
          expect(stream(to, chunks)).toEqual(want);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("holds back a CR at the end of a chunk until the next chunk or end()", () => {
    const converter = new EolConverter("crlf");
    expect(converter.push(L("a\r")).toString("latin1")).toBe("a");
    expect(converter.push(Buffer.alloc(0)).length).toBe(0);
    expect(converter.push(L("\nb\r")).toString("latin1")).toBe("\r\nb");
    expect(converter.push(L("c")).toString("latin1")).toBe("\r\nc");
    expect(converter.push(L("\r")).length).toBe(0);
    expect(converter.end().toString("latin1")).toBe("\r\n");
    // end() resets: the converter starts a new stream with nothing held.
    expect(converter.end().length).toBe(0);
    expect(converter.push(L("\nz")).toString("latin1")).toBe("\r\nz");
  });

  it("converts a string input after UTF-8 encoding it, leaving other characters alone", () => {
    expect(convertEol("é\n✓\r\n", "crlf")).toEqual(Buffer.from("é\r\n✓\r\n", "utf8"));
    expect(convertEol("a\r\nb", "lf").toString()).toBe("a\nb");
  });

  it("accepts a Uint8Array view with an offset and returns a Buffer", () => {
    const backing = new Uint8Array([0x7a, 0x61, 0x0a, 0x62, 0x7a]);
    const out = convertEol(backing.subarray(1, 4), "crlf");
    expect(Buffer.isBuffer(out)).toBe(true);
    expect(out.toString("latin1")).toBe("a\r\nb");
  });

  it("refuses an unknown style or a non-byte input with ERR_INVALID_ARGUMENT", () => {
    expect(codeOf(() => new EolConverter("crcr" as EolStyle))).toBe("ERR_INVALID_ARGUMENT");
    expect(codeOf(() => convertEol("a", "LF" as EolStyle))).toBe("ERR_INVALID_ARGUMENT");
    expect(codeOf(() => convertEol(42 as unknown as string, "lf"))).toBe("ERR_INVALID_ARGUMENT");
  });
});

describe("decodeText", () => {
  const invalidUtf8: [string, number[], string][] = [
    ["a lone continuation byte", [0x61, 0x80, 0x62], "a\uFFFDb"],
    ["0xff", [0xff], "\uFFFD"],
    ["a truncated sequence", [0xe2, 0x82, 0x41], "\uFFFDA"],
    ["an overlong NUL", [0xc0, 0x80], "\uFFFD\uFFFD"],
    ["an encoded surrogate", [0xed, 0xa0, 0x80], "\uFFFD\uFFFD\uFFFD"],
    ["a sequence cut at the end", [0x61, 0xf0, 0x9f, 0x98], "a\uFFFD"],
  ];

  it("decodes valid UTF-8 in both modes, a byte-order mark kept", () => {
    const bytes = Buffer.from("\uFEFFhé ✓ 😀", "utf8");
    expect(decodeText(bytes)).toBe("\uFEFFhé ✓ 😀");
    expect(decodeText(bytes, "utf-8", "error")).toBe("\uFEFFhé ✓ 😀");
    expect(decodeText(new Uint8Array(0), "utf8", "error")).toBe("");
  });

  it.each(invalidUtf8)(
    "UTF-8 with %s: U+FFFD as Buffer#toString, or ERR_INVALID_TEXT",
    (_, values, text) => {
      const bytes = Buffer.from(values);
      expect(decodeText(bytes)).toBe(text);
      expect(decodeText(bytes)).toBe(bytes.toString("utf8"));
      let error: unknown;
      try {
        decodeText(bytes, "utf8", "error");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SocketError);
      expect(error).toMatchObject({ code: "ERR_INVALID_TEXT" });
      expect((error as Error).cause).toBeInstanceOf(TypeError);
    },
  );

  it("ASCII: bytes above 0x7f are invalid", () => {
    expect(decodeText(L("plain\x00\x7f"), "ascii", "error")).toBe("plain\x00\x7f");
    expect(decodeText(L("a\x80b\xff"), "ascii")).toBe("a\uFFFDb\uFFFD");
    expect(codeOf(() => decodeText(L("a\x80"), "ascii", "error"))).toBe("ERR_INVALID_TEXT");
  });

  it("UTF-16LE: an odd byte count or a lone surrogate is invalid", () => {
    const ok = Buffer.from("hé😀", "utf16le");
    for (const encoding of ["utf16le", "utf-16le", "ucs2", "ucs-2"] as const) {
      expect(decodeText(ok, encoding, "error")).toBe("hé😀");
    }
    const odd = Buffer.from([0x61, 0x00, 0x62]);
    expect(decodeText(odd, "utf16le")).toBe("a\uFFFD");
    expect(codeOf(() => decodeText(odd, "utf16le", "error"))).toBe("ERR_INVALID_TEXT");
    const lone = Buffer.from([0x00, 0xd8, 0x61, 0x00]);
    expect(decodeText(lone, "ucs2")).toBe("\uFFFDa");
    expect(codeOf(() => decodeText(lone, "ucs2", "error"))).toBe("ERR_INVALID_TEXT");
  });

  it("latin1 round-trips all 256 bytes and is never invalid", () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (const encoding of ["latin1", "binary"] as const) {
      const text = decodeText(all, encoding, "error");
      expect(text.length).toBe(256);
      expect([...text].map((c) => c.charCodeAt(0))).toEqual([...all]);
      expect(Buffer.from(text, "latin1")).toEqual(all);
    }
  });

  it("hex and base64 write any bytes out in that notation", () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfb]);
    expect(decodeText(bytes, "hex", "error")).toBe("00fffb");
    expect(decodeText(bytes, "base64", "error")).toBe("AP/7");
    expect(decodeText(bytes, "base64url")).toBe("AP_7");
  });

  it("refuses an unknown encoding, an unknown mode or non-bytes with ERR_INVALID_ARGUMENT", () => {
    const bytes = Buffer.from("a");
    expect(codeOf(() => decodeText(bytes, "utf32" as BufferEncoding))).toBe("ERR_INVALID_ARGUMENT");
    expect(codeOf(() => decodeText(bytes, "utf8", "ignore" as "error"))).toBe(
      "ERR_INVALID_ARGUMENT",
    );
    expect(codeOf(() => decodeText("a" as unknown as Uint8Array))).toBe("ERR_INVALID_ARGUMENT");
  });

  it("decodes the same as Buffer#toString for random valid or invalid UTF-8 in replace mode", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (values) => {
        const bytes = Buffer.from(values);
        expect(decodeText(bytes)).toBe(bytes.toString("utf8"));
        const valid = Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes);
        expect(codeOf(() => decodeText(bytes, "utf8", "error"))).toBe(
          valid ? "none" : "ERR_INVALID_TEXT",
        );
      }),
      { numRuns: 500 },
    );
  });
});
