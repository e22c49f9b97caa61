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

// ---- what an example means: its names, its checked comments, its runnable form ----

/**
 * The value a trailing comment claims for the statement before it (`expr; // <value>`), as
 * JavaScript source, or `throws CODE`. Recognised values: `<Buffer "text">`, `<Buffer 00 ff>`,
 * a string, a number, `null`/`true`/`false`/`undefined`, an object or array literal (compared
 * as a subset: the keys shown must match). Anything else is prose, and `// e.g. …` too.
 */
export type Expected =
  | { readonly kind: "value"; readonly source: string }
  | { readonly kind: "throws"; readonly code: string };

const STRING = /^"(?:[^"\\]|\\.)*"/;
const STRINGS = /"(?:[^"\\]|\\.)*"/g;
const END = /^($|[:,;]|\s\(|\s{2})/;

export function expectedOf(comment: string): Expected | undefined {
  const text = comment.replace(/^\/\/\s*/, "").trim();
  const throws = /^throws (E[A-Z_]+)\b/.exec(text);
  if (throws !== null) return { kind: "throws", code: throws[1] as string };
  const bufferText = /^<Buffer ("(?:[^"\\]|\\.)*")>/.exec(text);
  if (bufferText !== null) return { kind: "value", source: `Buffer.from(${bufferText[1]})` };
  const bufferHex = /^<Buffer ((?:[0-9a-f]{2} )*[0-9a-f]{2})>/.exec(text);
  if (bufferHex !== null) {
    return { kind: "value", source: `Buffer.from("${bufferHex[1]?.replace(/ /g, "")}", "hex")` };
  }
  const word = /^(null|true|false|undefined|-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?))/.exec(text);
  if (word !== null && END.test(text.slice(word[0].length))) {
    return { kind: "value", source: word[0] };
  }
  // A string then more values (`"localhost" "127.0.0.1" 7`: what a log prints) is prose.
  const string = STRING.exec(text);
  if (string !== null && END.test(text.slice(string[0].length))) {
    return { kind: "value", source: string[0] };
  }
  if (text.startsWith("{") || text.startsWith("[")) {
    const end = balancedEnd(text);
    const literal = text.slice(0, end);
    // `{ data, address }` names fields (prose), `{ port: 80 }` states values.
    const shorthand = /[{,]\s*[A-Za-z_$][\w$]*\s*[,}]/.test(literal.replace(STRINGS, '""'));
    if (end > 0 && !shorthand) return { kind: "value", source: `(${literal})` };
  }
  return undefined;
}

/** Where the bracket opening `text` closes (exclusive), skipping strings; -1 if it does not. */
function balancedEnd(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') {
      const match = STRING.exec(text.slice(i));
      if (match === null) return -1;
      i += match[0].length - 1;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
