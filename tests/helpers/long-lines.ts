import fc from "fast-check";

/**
 * Text of many lines, some longer than the 8 KiB text segment (`line-text.ts`), with every
 * line ending (LF, CR LF, a lone CR, a bare LF), some with a character of two bytes, and
 * cut points anywhere in it: inputs of 0–300 KB for the segment boundaries.
 */
export const longLines = fc
  .record({
    lines: fc.array(
      fc.record({
        length: fc.oneof(fc.nat({ max: 100 }), fc.integer({ min: 7000, max: 20_000 })),
        fill: fc.constantFrom("a", "b", "z"),
        wide: fc.boolean(),
        ending: fc.constantFrom("\n", "\n", "\r\n", "\r", ""),
      }),
      { maxLength: 30 },
    ),
    at: fc.array(fc.nat({ max: 300_000 }), { maxLength: 8 }),
  })
  .map(({ lines, at }) => {
    const text = lines
      .map((l) => {
        const body = l.fill.repeat(l.length);
        return (l.wide && l.length > 2 ? `${body.slice(0, -2)}é` : body) + l.ending;
      })
      .join("");
    return { input: Buffer.from(text), at };
  });
