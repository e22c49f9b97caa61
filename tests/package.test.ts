/**
 * The published package as a user receives it: `npm pack` makes the tarball, which is
 * unpacked into a temporary consumer project's node_modules/sockit (the dependencies are
 * linked from this checkout's node_modules, so nothing is fetched from the registry). The
 * consumer then imports it from ESM, requires it from CommonJS, runs its `sockit` command,
 * and type-checks TypeScript against it under node16, nodenext and bundler resolution.
 *
 * `npm test` builds dist/ first; a targeted run needs `npm run build` before it.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** npm pack, tar and tsc each finish in a few seconds; this bounds a hung one. */
const BOUND_MS = 60_000;

interface PackedFile {
  path: string;
}
interface PackResult {
  filename: string;
  files: PackedFile[];
}

let dir = "";
let consumer = "";
let packed: PackResult;

/** Runs `node file` in the consumer project and returns what it printed. */
async function node(file: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [file, ...args], {
    cwd: consumer,
    timeout: BOUND_MS,
  });
  return stdout;
}

/**
 * Type-checks the consumer with one of its tsconfig files, in process with the TypeScript
 * API: tsc's diagnostics for the consumer's files and for sockit's shipped declarations
 * (not for @types/node or TypeScript's own libraries, which are not ours to check). Returns
 * them as `file(line,col): message` lines; none when the consumer type-checks.
 */
function typecheck(config: string): string[] {
  const path = join(consumer, config);
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (parsed === undefined) throw new Error(`cannot read ${path}`);
  const host = cachingHost(parsed.options);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  const ours = program
    .getSourceFiles()
    .filter((file) => !/node_modules\/(@types|typescript)\//.test(file.fileName));
  const found = [
    ...parsed.errors,
    ...program.getOptionsDiagnostics(),
    ...ours.flatMap((file) => [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ]),
  ];
  return found.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file === undefined || d.start === undefined) return text;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName.slice(consumer.length + 1)}(${line + 1},${character + 1}): ${text}`;
  });
}

/** Parsed files shared by the three checks: @types/node is parsed once, not three times. */
const parsedFiles = new Map<string, ts.SourceFile | undefined>();

function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, version, ...rest) => {
    const mode =
      typeof version === "object"
        ? `${version.languageVersion}/${version.impliedNodeFormat}`
        : version;
    const key = `${fileName}|${mode}`;
    if (!parsedFiles.has(key)) parsedFiles.set(key, read(fileName, version, ...rest));
    return parsedFiles.get(key);
  };
  return host;
}

async function linkDependencies(modules: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const names = [...Object.keys(manifest.dependencies ?? {}), "@types/node"];
  await mkdir(join(modules, "@types"), { recursive: true });
  for (const name of names) {
    await symlink(join(ROOT, "node_modules", name), join(modules, name), "dir");
  }
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist", "index.js"))) {
    throw new Error('dist/ is missing: run "npm run build" first');
  }
  dir = await mkdtemp(join(tmpdir(), "sockit-package-"));
  const { stdout } = await run(
    "npm",
    ["pack", "--json", "--ignore-scripts", "--pack-destination", dir],
    { cwd: ROOT, timeout: BOUND_MS },
  );
  [packed] = JSON.parse(stdout) as [PackResult];
  consumer = join(dir, "consumer");
  const unpacked = join(consumer, "node_modules", "sockit");
  await mkdir(unpacked, { recursive: true });
  await run("tar", ["-xzf", join(dir, packed.filename), "-C", unpacked, "--strip-components=1"]);
  await linkDependencies(join(consumer, "node_modules"));
  await writeFile(join(consumer, "package.json"), '{ "private": true, "type": "module" }\n');
  for (const [name, text] of Object.entries(CONSUMER_FILES)) {
    await writeFile(join(consumer, name), text);
  }
}, BOUND_MS);

afterAll(async () => {
  if (dir !== "" && process.env.KEEP !== "1") await rm(dir, { recursive: true, force: true });
});

/** An echo round trip through the public API: what a first program does. */
const ROUND_TRIP = `
  const server = await listen("127.0.0.1:0", async (socket) => {
    socket.write(\`\${await socket.readLine({ encoding: "utf8" })}\\n\`);
    await socket.end();
  });
  const socket = connect(\`127.0.0.1:\${server.port}\`);
  socket.write("hello\\n");
  const line = await socket.readLine({ encoding: "utf8" });
  await socket.closed;
  await server.close();
  console.log(JSON.stringify({ line, error: new SocketError("ERR_READ_TIMEOUT", "x").code }));
`;

const CONSUMER_FILES: Record<string, string> = {
  "esm.mjs": `import { connect, listen, SocketError } from "sockit";\n${ROUND_TRIP}`,
  "cjs.cjs": `const { connect, listen, SocketError } = require("sockit");
(async () => {${ROUND_TRIP}})();\n`,
  "typed.ts": `import { connect, type SocketErrorCode, SocketError } from "sockit";
const socket = connect("127.0.0.1:7");
const code: SocketErrorCode = "ERR_READ_TIMEOUT";
socket.closed.then((info) => {
  if (info.error instanceof SocketError && info.error.code === code) console.log(info.error.address);
  // @ts-expect-error: a misspelt code does not compile (SocketErrorCode is a closed union).
  if (info.error?.code === "ECONNREFUSD") console.log("never");
});
export const lines: AsyncIterable<string> = socket.lines();
`,
  "typed-cjs.cts": `import sockit = require("sockit");
export const error: sockit.SocketError = new sockit.SocketError("ERR_ABORTED", "stop");
`,
  "tsconfig.node16.json": tsconfig({ module: "node16", moduleResolution: "node16" }, "typed.ts"),
  "tsconfig.nodenext.json": tsconfig({ module: "nodenext", moduleResolution: "nodenext" }, [
    "typed.ts",
    "typed-cjs.cts",
  ]),
  "tsconfig.bundler.json": tsconfig(
    { module: "preserve", moduleResolution: "bundler" },
    "typed.ts",
  ),
};

function tsconfig(resolution: Record<string, string>, files: string | string[]): string {
  const compilerOptions = {
    ...resolution,
    target: "es2022",
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    types: ["node"],
  };
  return JSON.stringify({ compilerOptions, files: [files].flat() }, null, 2);
}

describe("the packed package", () => {
  it("ships the compiled code, its declarations, the licence and the user documents, and nothing else", () => {
    const paths = packed.files.map((file) => file.path);
    const outside = paths.filter(
      (path) =>
        !/^dist\/.+\.(js|d\.ts)$/.test(path) &&
        !["package.json", "README.md", "LICENSE", "CHANGELOG.md", "docs/errors.md"].includes(path),
    );
    expect(outside).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(["LICENSE", "dist/index.js", "dist/index.d.ts"]));
  });

  it("ships no source map and no reference to one (the sources are not shipped)", async () => {
    const js = packed.files.map((file) => file.path).filter((path) => path.endsWith(".js"));
    for (const path of js) {
      const text = await readFile(join(consumer, "node_modules", "sockit", path), "utf8");
      expect(text, path).not.toMatch(/sourceMappingURL/);
    }
  });

  it("loads no package when imported as a library: socks at the first SOCKS connection, commander and cli-progress with the CLI", async () => {
    const root = join(consumer, "node_modules", "sockit");
    const seen = new Set<string>();
    const bare = new Set<string>();
    const dynamic = new Set<string>();
    const pending = ["dist/index.js"];
    for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
      if (seen.has(path)) continue;
      seen.add(path);
      const text = await readFile(join(root, path), "utf8");
      for (const [, specifier = ""] of text.matchAll(/\bimport\("([^"]+)"\)/g))
        dynamic.add(specifier);
      for (const [, specifier = ""] of text.matchAll(
        /^(?:import|export)\s[^;]*?\sfrom\s*"([^"]+)";$/gm,
      )) {
        if (specifier.startsWith(".")) pending.push(posix.join(posix.dirname(path), specifier));
        else bare.add(specifier);
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    // Importing socks (and ip-address) took ≈ 60 ms of the library's import: it is loaded at
    // the first SOCKS connection. commander and cli-progress are the CLI's.
    expect([...bare].filter((name) => !name.startsWith("node:"))).toEqual([]);
    expect([...dynamic]).toEqual(["socks"]);
  });

  it("runs no script when installed (no preinstall, install, postinstall or prepare)", async () => {
    const manifest = JSON.parse(
      await readFile(join(consumer, "node_modules", "sockit", "package.json"), "utf8"),
    ) as { scripts?: Record<string, string> };
    const scripts = Object.keys(manifest.scripts ?? {});
    expect(scripts.filter((name) => /^(pre|post)?install$|^prepare$/.test(name))).toEqual([]);
  });

  it("declares no @internal member (stripInternal)", async () => {
    const declarations = packed.files.map((f) => f.path).filter((p) => p.endsWith(".d.ts"));
    for (const path of declarations) {
      const text = await readFile(join(consumer, "node_modules", "sockit", path), "utf8");
      // The internal symbol-keyed member of the write queue's owner (Lifecycle has a plain method
      // of that name, which is fine).
      expect(text, path).not.toMatch(/@internal|\[describePeer\]/);
    }
  });

  it("is imported by an ES module consumer, which can talk through it", async () => {
    expect(JSON.parse(await node("esm.mjs"))).toEqual({
      line: "hello",
      error: "ERR_READ_TIMEOUT",
    });
  });

  it("is loaded by require() from a CommonJS consumer (Node's require of ES modules)", async () => {
    expect(JSON.parse(await node("cjs.cjs"))).toEqual({ line: "hello", error: "ERR_READ_TIMEOUT" });
  });

  it("runs its sockit command with the dependencies it declares", async () => {
    const help = await node(join("node_modules", "sockit", "dist", "cli", "sockit.js"), "--help");
    expect(help).toMatch(/Usage: sockit/);
  });

  it.each(["node16", "nodenext", "bundler"])(
    "type-checks a TypeScript consumer under %s resolution",
    async (resolution) => {
      expect(typecheck(`tsconfig.${resolution}.json`)).toEqual([]);
    },
    BOUND_MS,
  );
});
