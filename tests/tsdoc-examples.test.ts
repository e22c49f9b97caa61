/**
 * Every `@example` in the TSDoc of `src/` (the rule: public exports have TSDoc with an
 * example that a test runs), found by a small parser over the source files
 * (`tests/helpers/tsdoc-examples.ts`):
 *
 * 1. each is typechecked against the public API, as a user's module importing "sockit"
 *    (the names it uses come from `src/index.ts`; `socket`, `buffer`, `handle` and the other
 *    free variables of `FREE_NAMES` are declared with their types);
 * 2. each is run, against peers on loopback (`tests/helpers/tsdoc-scenarios.ts` says which,
 *    and what to check), and every value its comments state (`expr; // "127.0.0.1:80"`,
 *    `// <Buffer "abcd">`, `// throws ERR_INVALID_TEXT`) is asserted. An example that cannot
 *    run says why in its scenario.
 *
 * A new @example needs a scenario (the test "has a scenario for every example" fails
 * without one); `{}` suffices for one that needs no peer.
 */
import * as assert from "node:assert/strict";
import * as diagnostics from "node:diagnostics_channel";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterEach, describe, expect, it } from "vitest";
import * as sockit from "../src/index.js";
import { collectExamples, expectedOf, type TsdocExample } from "./helpers/tsdoc-examples.js";
import { type Outcome, SCENARIOS } from "./helpers/tsdoc-scenarios.js";
import {
  checkableSource,
  claimCount,
  compileExample,
  FREE_NAMES,
  preludeLines,
  publicNames,
} from "./helpers/tsdoc-transform.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const examples = collectExamples(ROOT);
const api = publicNames(readFileSync(join(ROOT, "src/index.ts"), "utf8"));
const exported = new Set([...api.values, ...api.types]);

/** The name an example documents, when it is a module-level export that index.ts does not re-export. */
function internalName(example: TsdocExample): string | undefined {
  const match = /^export (?:async )?(?:function|const|class) ([A-Za-z_$][\w$]*)/.exec(
    example.declaration,
  );
  const name = match?.[1];
  return name !== undefined && !exported.has(name) ? name : undefined;
}

/** Where the checker sees the examples: files that do not exist, under tests/. */
const VIRTUAL = join(ROOT, "tests", "__tsdoc__");

function typecheck(): string[] {
  const files = new Map<string, TsdocExample>();
  const sources = new Map<string, string>();
  examples.forEach((example, index) => {
    const path = join(VIRTUAL, `example${index}.ts`);
    const internal = internalName(example);
    const from = `../../${example.file.replace(/\.ts$/, ".js")}`;
    files.set(path, example);
    sources.set(
      path,
      checkableSource(example, api, internal === undefined ? undefined : { name: internal, from }),
    );
  });
  const config = ts.readConfigFile(join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  options.noEmit = true;
  options.baseUrl = ROOT;
  options.paths = { sockit: ["./src/index.ts"] };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (path) => sources.has(path) || ts.sys.fileExists(path);
  host.readFile = (path) => sources.get(path) ?? read(path);
  host.getSourceFile = (path, language, onError) => {
    const text = sources.get(path);
    return text === undefined
      ? getSourceFile(path, language, onError)
      : ts.createSourceFile(path, text, language, true);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const diagnostics = [...sources.keys()].flatMap((path) => {
    const file = program.getSourceFile(path);
    return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  });
  return diagnostics.map((d) => {
    const example = d.file === undefined ? undefined : files.get(d.file.fileName);
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (example === undefined || d.file === undefined || d.start === undefined) return text;
    const line =
      d.file.getLineAndCharacterOfPosition(d.start).line +
      1 -
      preludeLines(sources.get(d.file.fileName) ?? "");
    return `${example.id} (${example.file}:${example.line}, example line ${line}): ${text}`;
  });
}

/** The checks the transformed examples call. */
function matches(actual: unknown, expected: unknown): boolean {
  if (expected instanceof Uint8Array)
    return actual instanceof Uint8Array && Buffer.compare(actual, expected) === 0;
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => matches(actual[i], e))
    );
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null) return false;
    return Object.entries(expected).every(([k, v]) =>
      matches((actual as Record<string, unknown>)[k], v),
    );
  }
  return Object.is(actual, expected);
}

const helpers = {
  async __expect(run: () => Promise<unknown>, expected: unknown, line: number) {
    const actual = await run();
    assert.ok(
      matches(actual, expected),
      `example line ${line}: got ${String(inspectable(actual))}, the comment says ${String(inspectable(expected))}`,
    );
  },
  async __throws(run: () => Promise<unknown>, code: string, line: number) {
    await assert.rejects(
      run,
      (error: unknown) => (error as { code?: unknown }).code === code,
      `example line ${line} should throw ${code}`,
    );
  },
  async __import(name: string) {
    const module = (await import(/* @vite-ignore */ name)) as Record<string, unknown>;
    if (name !== "node:diagnostics_channel") return module;
    // Subscriptions end with the example (see afterEach).
    const subscribe = (channel: string, fn: (message: unknown, name: string | symbol) => void) => {
      subscriptions.push([channel, fn]);
      diagnostics.subscribe(channel, fn);
    };
    return { ...module, subscribe };
  },
};
const subscriptions: [string, (message: unknown, name: string | symbol) => void][] = [];

function inspectable(value: unknown): unknown {
  return value instanceof Uint8Array
    ? `<Buffer ${Buffer.from(value).toString("hex")}>`
    : JSON.stringify(value);
}

/** Everything the examples made, closed after each: servers, datagram sockets, sockets. */
const made: { closeAll?: () => Promise<unknown>; close?: () => Promise<unknown> }[] = [];
afterEach(async () => {
  for (const [channel, fn] of subscriptions.splice(0)) diagnostics.unsubscribe(channel, fn);
  sockit.setDefaults(null);
  await Promise.all(made.splice(0).map((thing) => (thing.closeAll ?? thing.close)?.call(thing)));
  await Promise.all(openSockets().map((id) => sockit.findSocket(id)?.destroy()));
});
function openSockets(): string[] {
  return sockit.openSockets();
}

/** The public API as an example sees it, with what it makes recorded for cleanup. */
function apiValues(): Record<string, unknown> {
  const values: Record<string, unknown> = { ...sockit };
  values.listen = async (...args: Parameters<typeof sockit.listen>) => {
    const server = await sockit.listen(...args);
    made.push(server);
    return server;
  };
  values.openDatagram = async (...args: Parameters<typeof sockit.openDatagram>) => {
    const socket = await sockit.openDatagram(...args);
    made.push(socket);
    return socket;
  };
  return values;
}

async function runExample(example: TsdocExample): Promise<void> {
  const scenario = SCENARIOS[example.id] ?? {};
  const setup = (await scenario.setup?.()) ?? {};
  let code = example.code;
  for (const [from, to] of setup.replace ?? []) {
    expect(code, `the scenario replaces ${from}`).toContain(from);
    code = code.split(from).join(to);
  }
  const logs: unknown[][] = [];
  const handled: unknown[] = [];
  const given: Record<string, unknown> = {
    ...apiValues(),
    ...helpers,
    assert,
    console: { ...console, log: (...args: unknown[]) => logs.push(args) },
    buffer: new sockit.ReceiveBuffer(),
    handle: (value: unknown) => handled.push(value),
    save: (value: unknown) => handled.push(value),
    serve: (value: unknown) => handled.push(value),
    ...setup.given,
  };
  const internal = internalName(example);
  if (internal !== undefined) {
    const module = (await import(/* @vite-ignore */ join(ROOT, example.file))) as Record<
      string,
      unknown
    >;
    given[internal] = module[internal];
  }
  const run = compileExample(code, Object.keys(given));
  if (scenario.background) {
    const running = run(given);
    await waitForServer();
    const server = made[0] as sockit.Server;
    const client = sockit.connect(`127.0.0.1:${server.port}`);
    await client.opened;
    for (let i = 0; i < 200 && handled.length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(handled[0]).toBeInstanceOf(sockit.Socket);
    await client.destroy();
    await server.closeAll();
    await running; // the loop ends once the server is closed
    return;
  }
  let vars: Record<string, unknown> = {};
  if (scenario.rejects !== undefined) {
    await expect(run(given)).rejects.toMatchObject({ code: scenario.rejects });
  } else {
    vars = await run(given);
  }
  const outcome: Outcome = { vars, logs, handled };
  for (const value of Object.values(vars)) {
    if (value instanceof sockit.Server) made.push(value);
  }
  await setup.check?.(outcome);
}

async function waitForServer(): Promise<void> {
  for (let i = 0; i < 200 && made.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(made.length).toBeGreaterThan(0);
}

describe("the TSDoc @examples of src/", () => {
  it("finds them in the source (one per documented declaration at least)", () => {
    expect(examples.length).toBeGreaterThanOrEqual(60);
    expect(new Set(examples.map((e) => e.id)).size).toBe(examples.length);
  });

  it("has a scenario for every example, and none for an example that is gone", () => {
    const ids = new Set(examples.map((e) => e.id));
    expect(examples.map((e) => e.id).filter((id) => SCENARIOS[id] === undefined)).toEqual([]);
    expect(Object.keys(SCENARIOS).filter((id) => !ids.has(id))).toEqual([]);
  });

  it("typechecks every example against the public API, as a user's module importing sockit", () => {
    expect(typecheck()).toEqual([]);
  }, 60_000);

  it("declares each free variable an example may use", () => {
    expect(Object.keys(FREE_NAMES).sort()).toEqual([
      "bigBuffer",
      "buffer",
      "handle",
      "httpServer",
      "save",
      "serve",
      "server",
      "socket",
    ]);
  });

  for (const example of examples) {
    const skip = SCENARIOS[example.id]?.skip;
    it.skipIf(skip !== undefined)(
      `runs ${example.id} (${example.file}:${example.line})${skip === undefined ? "" : `: skipped, ${skip}`}`,
      async () => {
        await runExample(example);
      },
    );
  }
});

describe("the @example checker itself", () => {
  it("reads the values comments state, and leaves prose alone", () => {
    expect(expectedOf('// "127.0.0.1:80"')).toEqual({ kind: "value", source: '"127.0.0.1:80"' });
    expect(expectedOf('// <Buffer "abcd">')).toEqual({
      kind: "value",
      source: 'Buffer.from("abcd")',
    });
    expect(expectedOf("// <Buffer 96 01>, protobuf's")).toEqual({
      kind: "value",
      source: 'Buffer.from("9601", "hex")',
    });
    expect(expectedOf("// 14: the delimiter")).toEqual({ kind: "value", source: "14" });
    expect(expectedOf("// null: one byte buffered")).toEqual({ kind: "value", source: "null" });
    expect(expectedOf('// { kind: "tcp", port: 8080 }: every interface')).toEqual({
      kind: "value",
      source: '({ kind: "tcp", port: 8080 })',
    });
    expect(expectedOf("// throws ERR_INVALID_TEXT")).toEqual({
      kind: "throws",
      code: "ERR_INVALID_TEXT",
    });
    for (const prose of [
      "// 28 bytes, 1c 1e",
      "// { data, address, port }",
      "// e.g. [1]",
      "// the port",
      '// "localhost" "127.0.0.1" 7',
    ]) {
      expect(expectedOf(prose), prose).toBeUndefined();
    }
  });

  it("fails an example whose comment states a wrong value", async () => {
    const run = compileExample('formatAddress("::1", 80); // "[::1]:81"\n', [
      "formatAddress",
      "__expect",
    ]);
    await expect(
      run({ formatAddress: sockit.formatAddress, __expect: helpers.__expect }),
    ).rejects.toThrow(/example line 1: got "\[::1\]:80", the comment says "\[::1\]:81"/);
  });

  it("fails an example that does not throw what its comment says", async () => {
    const code = 'decodeText(Buffer.from([0x68]), "utf8", "error"); // throws ERR_INVALID_TEXT\n';
    const run = compileExample(code, ["decodeText", "__throws"]);
    await expect(
      run({ decodeText: sockit.decodeText, __throws: helpers.__throws }),
    ).rejects.toThrow(/should throw ERR_INVALID_TEXT/);
  });

  it(`checks the values stated in the examples' comments (${examples.reduce((n, e) => n + claimCount(e.code), 0)} statements)`, () => {
    expect(examples.reduce((n, e) => n + claimCount(e.code), 0)).toBeGreaterThanOrEqual(40);
  });
});
