/**
 * Turns a TSDoc `@example` (see `tsdoc-examples.ts`) into a file the TypeScript checker can
 * check against the public API, and into a function the tests can run:
 *
 * - Names the example uses without declaring them come from the public API (`src/index.ts`),
 *   or from {@link FREE_NAMES}, the variables an example may take as given (`socket`,
 *   `buffer`, `handle`, …), typed here and supplied by the test that runs it.
 * - `import … from "sockit"` lines are dropped (the names are there); other imports become
 *   `await __import("node:…")`.
 * - A statement followed by a comment that states a value (`expr; // "127.0.0.1:80"`, see
 *   `expectedOf`) becomes a check of that value; a `const x = …; // value` checks `x`.
 * - The run returns the example's top-level variables, for the test to look at.
 */
import { runInThisContext } from "node:vm";
import ts from "typescript";
import { type Expected, expectedOf, type TsdocExample } from "./tsdoc-examples.js";

/** The variables an example may use without declaring them, with their types. */
export const FREE_NAMES: Readonly<Record<string, string>> = {
  socket: "Socket",
  server: "Server",
  buffer: "ReceiveBuffer",
  handle: "(value: unknown) => void",
  save: "(bytes: Buffer) => void",
  serve: "(socket: Socket) => void",
  bigBuffer: "Buffer",
  httpServer: 'import("node:http").Server',
};

/** The public API's names, read from `src/index.ts`: values and types apart. */
export function publicNames(indexSource: string): { values: string[]; types: string[] } {
  const values: string[] = [];
  const types: string[] = [];
  for (const match of indexSource.matchAll(/export (type )?\{([^}]*)\}/g)) {
    const allTypes = match[1] !== undefined;
    for (const raw of (match[2] ?? "").split(",")) {
      const name = raw.trim();
      if (name === "") continue;
      if (allTypes || name.startsWith("type ")) types.push(name.replace(/^type /, ""));
      else values.push(name);
    }
  }
  return { values, types };
}

/** What the example declares at its top level, what it imports, and what it uses. */
export function namesOf(code: string): {
  declared: Set<string>;
  used: Set<string>;
  fromSockit: Set<string>;
  typeOnly: Set<string>;
} {
  const file = ts.createSourceFile("example.ts", code, ts.ScriptTarget.ES2022, true);
  const declared = new Set<string>();
  const fromSockit = new Set<string>();
  const typeOnly = new Set<string>();
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) bindingNames(d.name, declared);
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
      statement.name !== undefined
    ) {
      declared.add(statement.name.text);
    } else if (ts.isImportDeclaration(statement)) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings !== undefined && ts.isNamedImports(bindings)) {
        const from = (statement.moduleSpecifier as ts.StringLiteral).text;
        for (const element of bindings.elements) {
          declared.add(element.name.text);
          if (from === "sockit") fromSockit.add(element.name.text);
          if (statement.importClause?.isTypeOnly === true) typeOnly.add(element.name.text);
        }
      }
    }
  }
  const used = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) used.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { declared, used, fromSockit, typeOnly };
}

function bindingNames(name: ts.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) into.add(name.text);
  else
    for (const element of name.elements)
      if (!ts.isOmittedExpression(element)) bindingNames(element.name, into);
}

/** The example as a module for the checker: imports of the API and the free names' types. */
export function checkableSource(
  example: TsdocExample,
  api: { values: string[]; types: string[] },
  internal: { name: string; from: string } | undefined,
): string {
  const { declared, used } = namesOf(example.code);
  const keep = (name: string): boolean => !declared.has(name) && name !== internal?.name;
  const lines = [
    'import * as assert from "node:assert/strict";',
    `import { ${api.values.filter(keep).join(", ")} } from "sockit";`,
    `import type { ${api.types.filter(keep).join(", ")} } from "sockit";`,
  ];
  if (internal !== undefined && !declared.has(internal.name)) {
    lines.push(`import { ${internal.name} } from "${internal.from}";`);
  }
  for (const [name, type] of Object.entries(FREE_NAMES)) {
    if (used.has(name) && !declared.has(name)) lines.push(`declare const ${name}: ${type};`);
  }
  lines.push("export {};", "// ---- the example ----");
  return `${lines.join("\n")}\n${example.code}`;
}

/** How many lines {@link checkableSource} puts before the example (for diagnostics). */
export function preludeLines(source: string): number {
  return source.slice(0, source.indexOf("// ---- the example ----")).split("\n").length;
}

/** One edit of the example's text. */
interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** The comment that states a statement's value: on its line, or alone on the next line. */
function claimOf(code: string, node: ts.Node): Expected | undefined {
  const trailing = ts.getTrailingCommentRanges(code, node.end);
  const sameLine = trailing?.find((range) => !code.slice(node.end, range.pos).includes("\n"));
  if (sameLine !== undefined) return expectedOf(code.slice(sameLine.pos, sameLine.end));
  const next = /^[ \t]*\n[ \t]*(\/\/[^\n]*)/.exec(code.slice(node.end));
  return next?.[1] === undefined ? undefined : expectedOf(next[1]);
}

function expectCall(what: string, claim: Expected, line: number): string {
  return claim.kind === "throws"
    ? `await __throws(async () => { ${what}; }, ${JSON.stringify(claim.code)}, ${line});`
    : `await __expect(async () => (${what}), ${claim.source}, ${line});`;
}

/**
 * The example as the body of an async function: sockit imports dropped, other imports
 * through `__import`, stated values checked, its top-level variables returned.
 */
export function runnableBody(code: string): string {
  return transform(code).body;
}

/** How many statements of the example state their value in a comment (each is checked). */
export function claimCount(code: string): number {
  return transform(code).claims;
}

function transform(code: string): { body: string; claims: number } {
  const file = ts.createSourceFile("example.ts", code, ts.ScriptTarget.ES2022, true);
  const edits: Edit[] = [];
  const lineOf = (node: ts.Node): number =>
    file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const from = (node.moduleSpecifier as ts.StringLiteral).text;
      const bindings = node.importClause?.namedBindings;
      const names =
        bindings !== undefined && ts.isNamedImports(bindings)
          ? bindings.elements.map((e) =>
              e.propertyName === undefined ? e.name.text : `${e.propertyName.text}: ${e.name.text}`,
            )
          : [];
      const text =
        from === "sockit"
          ? ""
          : `const { ${names.join(", ")} } = await __import(${JSON.stringify(from)});`;
      edits.push({ start: node.getStart(), end: node.end, text });
      return;
    }
    // An assert call asserts already: its comment is prose.
    if (ts.isExpressionStatement(node) && !node.expression.getText(file).startsWith("assert.")) {
      const claim = claimOf(code, node);
      if (claim !== undefined) {
        const expression = node.expression.getText(file);
        edits.push({
          start: node.getStart(),
          end: node.end,
          text: expectCall(expression, claim, lineOf(node)),
        });
        return;
      }
    }
    if (ts.isVariableStatement(node)) {
      const [declaration] = node.declarationList.declarations;
      const claim = claimOf(code, node);
      if (claim !== undefined && declaration !== undefined && ts.isIdentifier(declaration.name)) {
        const check = expectCall(declaration.name.text, claim, lineOf(node));
        edits.push({ start: node.end, end: node.end, text: ` ${check}` });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let out = code;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  const { declared, fromSockit, typeOnly } = namesOf(code);
  const locals = [...declared].filter((name) => !fromSockit.has(name) && !typeOnly.has(name));
  const claims = edits.filter((edit) => edit.text.includes("await __")).length;
  return { body: `${out}\nreturn { ${locals.join(", ")} };\n`, claims };
}

/**
 * A function that runs the example: `run(given)` where `given` holds every name the example
 * uses without declaring (the API, the free names, `__expect`, `__throws`, `__import`).
 */
export function compileExample(
  code: string,
  given: readonly string[],
): (values: Record<string, unknown>) => Promise<Record<string, unknown>> {
  const { declared, fromSockit } = namesOf(code);
  const params = given.filter((name) => !declared.has(name) || fromSockit.has(name));
  const source = `(async function ({ ${params.join(", ")} }) {\n${runnableBody(code)}\n});`;
  const js = ts
    .transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    })
    .outputText.replace(/^export \{\};\s*$/m, "");
  // Evaluated in the global scope: the example sees only what it is given, not this module's.
  return runInThisContext(js, { filename: "tsdoc-example.js" }) as (
    values: Record<string, unknown>,
  ) => Promise<Record<string, unknown>>;
}
