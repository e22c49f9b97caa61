/**
 * docs/seeds.md maps every capability of the seed systems to sockit and names the test that
 * asserts each done row. These checks keep that table true: every cited test file exists,
 * every test name cited with it (`tests/x.test.ts` ("name")) is a test in that file, and
 * every done row cites at least one test.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../", import.meta.url);
const table = readFileSync(new URL("docs/seeds.md", root), "utf8");

/** The capability rows: the lines of a table with a status column. */
const rows = table
  .split("\n")
  .map((line, index) => ({ line, number: index + 1 }))
  .filter(({ line }) => line.startsWith("| ") && !line.startsWith("| ---"))
  .map(({ line, number }) => ({
    number,
    cells: line.split(/(?<!\\)\|/).map((cell) => cell.trim()),
    line,
  }))
  .filter(({ cells }) =>
    /^(done|done in part|won't do|not applicable|planned)/.test(cells[3] ?? ""),
  );

/** Each cited test file, with the test names cited right after it. */
function citations(line: string): { file: string; names: string[] }[] {
  const parts = line.split(/`(tests\/[\w/.-]+\.test\.ts)`/);
  const found: { file: string; names: string[] }[] = [];
  for (let i = 1; i < parts.length; i += 2) {
    const after = (parts[i + 1] ?? "").split(/[.;]\s|\|/)[0] ?? "";
    const names = [...after.matchAll(/\("((?:[^"\\]|\\.)+)"\)/g)].map((m) => m[1] as string);
    found.push({ file: parts[i] as string, names });
  }
  return found;
}

describe("docs/seeds.md", () => {
  it("has capability rows to check", () => {
    expect(rows.length).toBeGreaterThan(100);
  });

  it("cites only test files that exist", () => {
    const missing = rows.flatMap(({ number, line }) =>
      citations(line)
        .filter(({ file }) => !existsSync(new URL(file, root)))
        .map(({ file }) => `line ${number}: ${file}`),
    );
    expect(missing).toEqual([]);
  });

  it("cites only test names that are tests of the file cited", () => {
    const missing = rows.flatMap(({ number, line }) =>
      citations(line).flatMap(({ file, names }) => {
        if (!existsSync(new URL(file, root))) return [];
        const source = readFileSync(new URL(file, root), "utf8");
        return names
          .filter((name) => !source.includes(`"${name}`) && !source.includes(`\`${name}`))
          .map((name) => `line ${number}: ${file} has no test "${name}"`);
      }),
    );
    expect(missing).toEqual([]);
  });

  it("names a test for every done row", () => {
    const untested = rows
      .filter(({ cells }) => (cells[3] ?? "").startsWith("done"))
      .filter(({ line }) => citations(line).length === 0)
      .map(({ number, cells }) => `line ${number}: ${cells[1]}`);
    expect(untested).toEqual([]);
  });
});
