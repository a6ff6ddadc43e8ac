/**
 * Load-time validation: everything wrong with a module is collected into one
 * `FilterLoadError`, so a filter author fixes all problems in one round. Mirrors cpp-host's
 * checks (ABI marker, missing imports, callback signatures, allocator; `src/wasm.cc:249-327`,
 * `src/v8/v8.cc:389-411, 628-697`) and adds what a JS host must do itself: import signatures.
 */

import type { AbiVersion } from "./enums.ts";
import { FilterLoadError } from "./errors.ts";
import { ABI_MARKERS, callbackSignatures, envSignatures, WASI_MODULES, WASI_SIGNATURES } from "./import-table.ts";
import { readModuleInfo, WasmFormatError, type WasmModuleInfo } from "./wasm-binary.ts";

export interface ValidatedModule {
  abi: AbiVersion;
  info: WasmModuleInfo;
}

const show = (sig: string | undefined) => (sig === undefined ? "a non-function type" : `(${sig.replace("->", ") -> (")})`);

/** Checks `bytes` as a proxy-wasm filter named `filter`; throws `FilterLoadError` listing every problem. */
export function validateFilterModule(filter: string, bytes: Uint8Array, memoryCapPages: number): ValidatedModule {
  let info: WasmModuleInfo;
  try {
    info = readModuleInfo(bytes);
  } catch (err) {
    const why = err instanceof WasmFormatError ? err.message : String(err);
    throw new FilterLoadError(filter, [`not a WebAssembly module: ${why}`], { cause: err });
  }
  if (!WebAssembly.validate(bytes as BufferSource)) {
    let why = "the module does not validate";
    try {
      new WebAssembly.Module(bytes as BufferSource);
    } catch (err) {
      why = (err as Error).message;
    }
    throw new FilterLoadError(filter, [`not a valid WebAssembly module: ${why}`]);
  }
  const problems: string[] = [];
  const markers = info.exports.filter((e) => e.kind === "function" && e.name in ABI_MARKERS);
  const abi =
    markers.length > 0
      ? ABI_MARKERS[
          markers
            .map((m) => m.name)
            .sort()
            .reverse()[0]
        ]
      : undefined;
  if (abi === undefined) {
    problems.push(
      "no proxy-wasm ABI marker: export one of proxy_abi_version_0_2_1, proxy_abi_version_0_2_0 or proxy_abi_version_0_1_0 (is this a proxy-wasm filter?)",
    );
  }
  const env = envSignatures(abi ?? "0.2.1");
  for (const imp of info.imports) {
    const where = `import "${imp.module}"."${imp.name}"`;
    if (imp.kind !== "function") {
      problems.push(`${where}: the host provides functions only, not a ${imp.kind}`);
      continue;
    }
    const expected =
      imp.module === "env"
        ? env[imp.name]
        : (WASI_MODULES as readonly string[]).includes(imp.module)
          ? WASI_SIGNATURES[imp.name]
          : undefined;
    if (expected === undefined) {
      const known = imp.module === "env" || (WASI_MODULES as readonly string[]).includes(imp.module);
      problems.push(`${where}: unknown ${known ? "function" : "module"}${abi ? ` for ABI ${abi}` : ""}`);
    } else if (imp.signature !== expected) {
      problems.push(`${where}: expected type ${show(expected)}, the module declares ${show(imp.signature)}`);
    }
  }
  const callbacks = callbackSignatures(abi ?? "0.2.1");
  for (const exp of info.exports) {
    const expected = callbacks[exp.name];
    if (expected !== undefined && exp.kind === "function" && exp.signature !== expected) {
      problems.push(`export "${exp.name}": expected type ${show(expected)}, the module declares ${show(exp.signature)}`);
    }
  }
  const names = new Set(info.exports.map((e) => e.name));
  if (!names.has("malloc") && !names.has("proxy_on_memory_allocate")) {
    problems.push('no allocator: export "malloc" or "proxy_on_memory_allocate" so the host can return data');
  }
  if (!info.exports.some((e) => e.kind === "memory" && e.name === "memory")) problems.push('no exported linear memory named "memory"');
  const memory = info.memories[0];
  if (memory && memory.initial > memoryCapPages) {
    problems.push(
      `memory starts at ${memory.initial} pages, above the filter's cap of ${memoryCapPages} pages (${memoryCapPages * 64} KiB)`,
    );
  }
  if (memory?.memory64) problems.push("64-bit memories are not supported");
  if (problems.length > 0) throw new FilterLoadError(filter, problems);
  return { abi: abi as AbiVersion, info };
}
