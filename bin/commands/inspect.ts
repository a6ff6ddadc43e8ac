/**
 * `weir inspect <filter.wasm>`: what weir's loader sees in a module — ABI version, size,
 * digest, imports and exported callbacks — and every problem that would stop it loading.
 */

import { readFile } from "node:fs/promises";
import { FilterLoadError, sha256Hex } from "../../proxy/abi/index.ts";
import { validateFilterModule } from "../../proxy/abi/validate.ts";

export async function inspect(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const file = args[0];
  if (!file) {
    out("usage: weir inspect <filter.wasm>");
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (err) {
    out(`weir inspect: cannot read "${file}": ${(err as Error).message}`);
    return 1;
  }
  try {
    const { abi, info } = validateFilterModule(file, bytes, 65536);
    out(`${file}: proxy-wasm ABI ${abi}, ${bytes.byteLength} bytes, sha256 ${await sha256Hex(bytes)}`);
    const memory = info.memories[0];
    if (memory)
      out(`memory: ${memory.initial} pages initially${memory.maximum === undefined ? ", no maximum" : `, at most ${memory.maximum}`}`);
    out(`imports (${info.imports.length}):`);
    for (const imp of info.imports) out(`  ${imp.module}.${imp.name}`);
    const callbacks = info.exports.filter(
      (e) => e.kind === "function" && (e.name.startsWith("proxy_on_") || ["malloc", "_start", "_initialize"].includes(e.name)),
    );
    out(`callbacks (${callbacks.length}): ${callbacks.map((e) => e.name).join(", ")}`);
    return 0;
  } catch (err) {
    if (err instanceof FilterLoadError) {
      out(err.message);
      return 1;
    }
    throw err;
  }
}
