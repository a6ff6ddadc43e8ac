/**
 * An on-disk `ModuleCache` for metered modules: one file per key under a directory, written
 * atomically (temp file + rename) so a crash never leaves a half-written module behind.
 */

import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModuleCache } from "../../abi/meter.ts";

export function createDiskModuleCache(dir: string): ModuleCache {
  return {
    async get(key) {
      try {
        return new Uint8Array(await readFile(join(dir, `${key}.wasm`)));
      } catch {
        return undefined;
      }
    },
    async set(key, bytes) {
      try {
        await mkdir(dir, { recursive: true });
        const tmp = join(dir, `.${key}.${process.pid}.tmp`);
        await writeFile(tmp, bytes);
        await rename(tmp, join(dir, `${key}.wasm`));
      } catch {
        // A cache that cannot be written only costs a rewrite next time.
      }
    },
  };
}
