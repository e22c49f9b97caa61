/**
 * Extracts the `@example` code blocks of the TSDoc comments in `src/`: a small parser over
 * the source text, no TypeScript needed. An example is the fenced block (```ts) that follows
 * an `@example` tag inside a `/** … *\/` comment; it is named after the file, the line of
 * the tag and the declaration the comment documents.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** One `@example` block. */
export interface TsdocExample {
  /** The source file, relative to the repository (`src/socket.ts`). */
  readonly file: string;
  /** The 1-based line of the `@example` tag. */
  readonly line: number;
  /** The declaration the comment documents (`export class Socket`, `get socketId()`, …). */
  readonly declaration: string;
  /** The code, comment stars and fences removed. */
  readonly code: string;
  /** A short stable name: `src/socket.ts:socketId`. */
  readonly id: string;
}

/** Every `.ts` file under `dir`, sorted. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out.sort();
}

/** The name of what a declaration line declares (`socketId`, `Socket`, `connect`). */
function declaredName(declaration: string): string {
  const match =
    /(?:class|interface|function|const|type|let)\s+([A-Za-z_$][\w$]*)/.exec(declaration) ??
    /^(?:(?:readonly|static|async|get|set|public|override)\s+)*\*?\s*(\[?[A-Za-z_$.][\w$.]*\]?)/.exec(
      declaration,
    );
  return match?.[1] ?? "?";
}

/** The `@example` blocks of one file's text. */
export function examplesOf(file: string, text: string): TsdocExample[] {
  const lines = text.split("\n");
  const found: TsdocExample[] = [];
  let inComment = false;
  let pending: { line: number; code: string[] | undefined }[] = [];
  let current: { line: number; code: string[] | undefined } | undefined;
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const trimmed = raw.trim();
    if (!inComment) {
      if (trimmed.startsWith("/**")) {
        inComment = !trimmed.includes("*/") || trimmed === "/**";
        pending = [];
        current = undefined;
        fence = false;
      }
      continue;
    }
    if (trimmed.startsWith("*/") || trimmed.endsWith("*/")) {
      inComment = false;
      // The declaration: the next line that is not blank, a comment or a decorator.
      let j = i + 1;
      while (j < lines.length && /^\s*($|\/\/|@)/.test(lines[j] as string)) j++;
      const declaration = (lines[j] ?? "").trim().replace(/\s*\{$/, "");
      const name = declaredName(declaration.replace(/^export\s+(default\s+)?/, ""));
      for (const example of pending) {
        if (example.code === undefined) continue;
        found.push({
          file,
          line: example.line,
          declaration,
          code: `${example.code.join("\n")}\n`,
          id: `${file}:${name}`,
        });
      }
      continue;
    }
    const body = raw.replace(/^\s*\* ?/, "");
    if (/^@example\b/.test(body.trim())) {
      current = { line: i + 1, code: undefined };
      pending.push(current);
      fence = false;
      continue;
    }
    if (current === undefined) continue;
    if (body.trim().startsWith("```")) {
      if (!fence && current.code === undefined) {
        fence = true;
        current.code = [];
      } else if (fence) {
        fence = false;
        current = undefined;
      }
      continue;
    }
    if (fence) current.code?.push(body);
    else if (body.trim().startsWith("@")) current = undefined;
  }
  return found;
}

/** Every `@example` of every source file under `srcDir`; ids made unique with `#2`, `#3`. */
export function collectExamples(root: string, srcDir = join(root, "src")): TsdocExample[] {
  const all = sourceFiles(srcDir).flatMap((path) =>
    examplesOf(relative(root, path), readFileSync(path, "utf8")),
  );
  const seen = new Map<string, number>();
  return all.map((example) => {
    const n = (seen.get(example.id) ?? 0) + 1;
    seen.set(example.id, n);
    return n === 1 ? example : { ...example, id: `${example.id}#${n}` };
  });
}
