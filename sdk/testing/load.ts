/**
 * Where a test host's filter comes from: `.wasm` bytes, a `.wasm` file, or an AssemblyScript
 * entry file that the kit compiles with weir's build pipeline (`sdk/build/assemblyscript.ts`,
 * cached on disk by content, so only the first run after an edit pays for the compiler). Any proxy-wasm SDK's output
 * works as bytes or a file; `source` builds AssemblyScript only.
 */

import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type AscVersion, buildAssemblyScript } from "../build/assemblyscript.ts";

/**
 * How to compile an AssemblyScript filter (the options of `buildAssemblyScript`).
 *
 * @example
 * ```ts
 * const source: SourceOptions = { entry: "assembly/index.ts", compiler: "0.17", extraArgs: ["--use", "abort=abort_proc_exit"] };
 * ```
 */
export interface SourceOptions {
  /** The entry file, normally `<filter>/assembly/index.ts`; relative paths resolve from the working directory. */
  entry: string | URL;
  /** AssemblyScript 0.28 (default) or 0.17 (what `@solo-io/proxy-runtime` needs). */
  compiler?: AscVersion;
  /** An asconfig.json to apply, e.g. `@assemblyscript/wasi-shim/asconfig.json` for the G-Core SDK. */
  asconfig?: string | URL;
  /** Extra compiler arguments, e.g. `["--use", "abort=abort_proc_exit"]`. */
  extraArgs?: string[];
}

/**
 * Exactly one of these names the filter.
 *
 * @example
 * ```ts
 * const from: FilterSource = { wasmPath: new URL("../build/filter.wasm", import.meta.url) };
 * ```
 */
export interface FilterSource {
  /** The module's bytes. */
  wasm?: Uint8Array | ArrayBuffer;
  /** A `.wasm` file; relative paths resolve from the working directory. */
  wasmPath?: string | URL;
  /** An AssemblyScript entry file (or build options) to compile, cached by content. */
  source?: string | URL | SourceOptions;
}

const builds = new Map<string, Promise<Uint8Array>>();

const toPath = (p: string | URL): string => (p instanceof URL ? fileURLToPath(p) : resolve(p));

/**
 * Resolves a {@linkcode FilterSource} to bytes, with a default filter name taken from the file
 * (`auth.wasm` → `auth`; `filters/auth/assembly/index.ts` → `auth`).
 *
 * @example
 * ```ts
 * const { bytes, name } = await loadFilterBytes({ wasmPath: "build/auth.wasm" });
 * ```
 */
export async function loadFilterBytes(from: FilterSource): Promise<{ bytes: Uint8Array; name: string }> {
  const given = (["wasm", "wasmPath", "source"] as const).filter((key) => from[key] !== undefined);
  if (given.length !== 1) {
    const got = given.length === 0 ? "none" : given.join(" and ");
    throw new TypeError(`createTestHost needs exactly one of wasm, wasmPath or source to load a filter (got ${got})`);
  }
  if (from.wasm !== undefined) {
    const bytes = from.wasm instanceof Uint8Array ? from.wasm : new Uint8Array(from.wasm);
    return { bytes, name: "filter" };
  }
  if (from.wasmPath !== undefined) {
    const path = toPath(from.wasmPath);
    try {
      return { bytes: new Uint8Array(await readFile(path)), name: basename(path).replace(/\.wasm$/, "") };
    } catch (err) {
      throw new Error(`Cannot read filter "${path}": ${(err as Error).message}`, { cause: err });
    }
  }
  const options: SourceOptions = typeof from.source === "string" || from.source instanceof URL ? { entry: from.source } : from.source!;
  const entry = toPath(options.entry);
  const entryDir = dirname(entry);
  const name = basename(basename(entryDir) === "assembly" ? dirname(entryDir) : entryDir);
  return { bytes: await buildCached(entry, options), name };
}

function buildCached(entry: string, options: SourceOptions): Promise<Uint8Array> {
  const build = {
    entry,
    compiler: options.compiler ?? "0.28",
    asconfig: options.asconfig === undefined ? undefined : toPath(options.asconfig),
    extraArgs: options.extraArgs,
  };
  const key = JSON.stringify(build);
  let pending = builds.get(key);
  if (pending === undefined) {
    // Only concurrent builds share a promise: the disk cache (keyed by every file of the
    // filter) answers later ones, so an edited filter is rebuilt even in a long-lived worker.
    pending = buildAssemblyScript(build)
      .catch((err: unknown) => {
        throw new Error(`Cannot build filter "${entry}": ${(err as Error).message}`, { cause: err });
      })
      .finally(() => builds.delete(key));
    builds.set(key, pending);
  }
  return pending;
}
