/**
 * Builds the conformance filters written against public AssemblyScript SDKs, with the flags
 * each SDK documents (see `test/conformance/filters/README.md`), through weir's compile
 * pipeline in `sdk/build/assemblyscript.ts`.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildOptions, buildAssemblyScript } from "../../sdk/build/assemblyscript.ts";

export {
  type AscVersion,
  type BuildOptions,
  type BuildResult,
  buildAssemblyScript,
  buildAssemblyScriptWithInfo,
  CACHE_DIR,
} from "../../sdk/build/assemblyscript.ts";

/** Absolute path of the repository root. */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** Directory holding the conformance filters: `<FILTERS_DIR>/<sdk>/<name>/assembly/index.ts`. */
export const FILTERS_DIR: string = join(REPO_ROOT, "test", "conformance", "filters");

/** The SDKs the conformance filters are written against. */
export type Sdk = "solo" | "gcore";

/**
 * Compiler settings per SDK.
 *
 * * `solo` — `@solo-io/proxy-runtime@0.1.8` on AS 0.17.14 with `--use abort=abort_proc_exit`
 *   (its README, "add `--use abort=abort_proc_exit` to the `asc`").
 * * `gcore` — `@gcoredev/proxy-wasm-sdk-as@1.2.3` on AS 0.28 with the wasi-shim asconfig (its
 *   `log()` needs `process.stdout`) and `--use abort=abort_proc_exit` (its README). The shim's own
 *   `abort=wasi_abort` alias is applied later and wins, exactly as in the SDK's upstream asconfig.
 */
export const SDK_BUILD: Record<Sdk, Omit<BuildOptions, "entry">> = {
  solo: { compiler: "0.17", extraArgs: ["--use", "abort=abort_proc_exit"] },
  gcore: {
    compiler: "0.28",
    asconfig: join(REPO_ROOT, "node_modules", "@assemblyscript", "wasi-shim", "asconfig.json"),
    extraArgs: ["--use", "abort=abort_proc_exit"],
  },
};

/**
 * Builds `test/conformance/filters/<sdk>/<name>` with that SDK's settings.
 *
 * @example
 * ```ts
 * const wasm = await buildFilter("solo", "add-header");
 * ```
 */
export function buildFilter(sdk: Sdk, name: string): Promise<Uint8Array<ArrayBuffer>> {
  return buildAssemblyScript({ ...SDK_BUILD[sdk], entry: join(FILTERS_DIR, sdk, name, "assembly", "index.ts") });
}
