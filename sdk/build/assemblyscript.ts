/**
 * Compiles AssemblyScript proxy-wasm filters to optimized `.wasm`, with a content-addressed
 * cache, for `npm start`, the benchmarks and the test suite (and `weir build` later).
 *
 * Two compilers may live in `node_modules`: AssemblyScript 0.28.x (`assemblyscript`) and
 * 0.17.14 (npm alias `assemblyscript-0.17`, which `@solo-io/proxy-runtime@0.1.8` needs). Each
 * build runs the compiler's own CLI in a child process; the `.wasm` lands in
 * `node_modules/.cache/weir-asc/<sha256>.wasm`, and a cache hit only reads that file.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { basename, dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Which AssemblyScript compiler to run. */
export type AscVersion = "0.17" | "0.28";

/** Options for {@linkcode buildAssemblyScript}. */
export interface BuildOptions {
  /** Absolute path of the filter's entry file, normally `<filter>/assembly/index.ts`. */
  entry: string;
  /** `"0.17"` → `node_modules/assemblyscript-0.17/bin/asc`; `"0.28"` → `node_modules/assemblyscript/bin/asc.js`. */
  compiler: AscVersion;
  /** An asconfig.json to apply with `--config` (e.g. `@assemblyscript/wasi-shim/asconfig.json`). */
  asconfig?: string;
  /** Folders outside the filter's own whose sources it imports (e.g. the SDK): part of the cache key. */
  inputs?: string[];
  /** Extra compiler arguments, e.g. `["--use", "abort=abort_proc_exit"]`. */
  extraArgs?: string[];
}

/** What {@linkcode buildAssemblyScriptWithInfo} returns. */
export interface BuildResult {
  /** The compiled module. */
  bytes: Uint8Array<ArrayBuffer>;
  /** `true` when the bytes came from the cache and no compiler process was started. */
  cached: boolean;
  /** Absolute path of the cache entry. */
  cacheFile: string;
  /** The compiler's arguments (cwd = the filter directory; `<out>` stands for the output file). */
  args: string[];
}

/** The nearest directory at or above this module's that holds `node_modules/assemblyscript`. */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "node_modules", "assemblyscript", "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Directory whose `node_modules` holds the compilers. */
export const PACKAGE_ROOT: string = findPackageRoot();

/** Directory holding the cached `.wasm` files. */
export const CACHE_DIR: string = join(PACKAGE_ROOT, "node_modules", ".cache", "weir-asc");

const COMPILERS: Record<AscVersion, { pkg: string; bin: string; base: (out: string) => string[] }> = {
  // asc 0.17: `-b` is the binary output; `--optimize` is what the solo-io README's `asbuild:optimized` uses.
  "0.17": { pkg: "assemblyscript-0.17", bin: "bin/asc", base: (out) => ["-b", out, "--optimize", "--noColors"] },
  // asc 0.28: `-o` is the binary output (`-b` means --bindings there); -O3 = the release target of
  // the G-Core SDK's asconfig.json (optimizeLevel 3, shrinkLevel 0).
  "0.28": { pkg: "assemblyscript", bin: "bin/asc.js", base: (out) => ["-o", out, "-O3", "--noColors"] },
};

/**
 * Compiles an AssemblyScript entry file to an optimized `.wasm` (release build, no debug info) and
 * returns its bytes. Results are cached by the sha256 of the compiler version, every file of the
 * filter directory (the folder containing `assembly/`), the asconfig and the arguments.
 *
 * @throws {Error} when the compiler fails; the message includes its output (`file(line,col)`).
 */
export async function buildAssemblyScript(opts: BuildOptions): Promise<Uint8Array<ArrayBuffer>> {
  return (await buildAssemblyScriptWithInfo(opts)).bytes;
}

/** Like {@linkcode buildAssemblyScript}, but also says whether the cache was hit. */
export async function buildAssemblyScriptWithInfo(opts: BuildOptions): Promise<BuildResult> {
  const compiler = COMPILERS[opts.compiler];
  if (!compiler) throw new Error(`unknown AssemblyScript compiler "${opts.compiler}"`);
  const compilerDir = join(PACKAGE_ROOT, "node_modules", compiler.pkg);
  const version = JSON.parse(await readFile(join(compilerDir, "package.json"), "utf8")).version as string;

  const entryDir = dirname(opts.entry);
  const filterDir = basename(entryDir) === "assembly" ? dirname(entryDir) : entryDir;
  // Paths are passed relative to the filter directory: asc (both versions) resolves packages by
  // walking up `node_modules` from its cwd, and 0.28 mishandles absolute `lib` paths from an
  // absolute `--config` (it path.join()s them onto baseDir).
  const args = [toPosix(relative(filterDir, opts.entry)), ...compiler.base("<out>")];
  if (opts.asconfig) args.push("--config", toPosix(relative(filterDir, opts.asconfig)));
  args.push(...(opts.extraArgs ?? []));

  const hash = createHash("sha256");
  hash.update(`weir-asc/1\0${compiler.pkg}@${version}\0${JSON.stringify(args)}\0`);
  if (opts.asconfig) hash.update(await readFile(opts.asconfig));
  for (const dir of [filterDir, ...(opts.inputs ?? [])]) {
    for (const file of await listFiles(dir)) {
      hash.update(`\0${toPosix(relative(filterDir, file))}\0`);
      hash.update(await readFile(file));
    }
  }
  const cacheFile = join(CACHE_DIR, `${hash.digest("hex")}.wasm`);

  const hit = await readFile(cacheFile).catch(() => undefined);
  if (hit && WebAssembly.validate(hit)) {
    return { bytes: new Uint8Array(hit), cached: true, cacheFile, args };
  }

  const outDir = await mkdtemp(join(tmpdir(), "weir-asc-"));
  try {
    const out = join(outDir, "out.wasm");
    const argv = args.map((a) => (a === "<out>" ? out : a));
    const { code, output } = await limit(() => run(join(compilerDir, compiler.bin), argv, filterDir));
    if (code !== 0) {
      throw new Error(`asc ${version} failed (exit ${code}) for ${opts.entry}:\n${output.trim()}`);
    }
    const bytes = new Uint8Array(await readFile(out));
    if (!WebAssembly.validate(bytes)) throw new Error(`asc ${version} produced an invalid module for ${opts.entry}`);
    // Write-then-rename so concurrent test workers never read a partial file.
    await mkdir(CACHE_DIR, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, cacheFile);
    return { bytes, cached: false, cacheFile, args };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Every file under `dir` (skipping `node_modules`, `build` and dot-entries), sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "build") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

/** Runs `node <script> ...args` in `cwd`; resolves with the exit code and stderr + stdout. */
function run(script: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

// At most one compiler per CPU: each asc process is itself multi-threaded (Binaryen).
let running = 0;
const waiting: Array<() => void> = [];
async function limit<T>(task: () => Promise<T>): Promise<T> {
  if (running >= Math.max(1, availableParallelism())) await new Promise<void>((r) => waiting.push(r));
  else running++;
  try {
    return await task();
  } finally {
    // Hand the slot straight to the next waiter, so a newcomer can't overtake it.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}
