import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuildResult,
  buildAssemblyScript,
  buildAssemblyScriptWithInfo,
  CACHE_DIR,
  FILTERS_DIR,
  SDK_BUILD,
  type Sdk,
} from "./build-as.ts";

const FILTERS = ["add-header", "auth", "counter", "tick"] as const;
const ABI_MARKER: Record<Sdk, string> = {
  solo: "proxy_abi_version_0_2_0",
  gcore: "proxy_abi_version_0_2_1",
};
const ALLOWED_IMPORT_MODULES = new Set(["env", "wasi_unstable", "wasi_snapshot_preview1"]);

function entryOf(sdk: Sdk, name: string): string {
  return join(FILTERS_DIR, sdk, name, "assembly", "index.ts");
}

describe("buildAssemblyScript", () => {
  const built = new Map<string, BuildResult>();

  beforeAll(async () => {
    await Promise.all(
      (["solo", "gcore"] as const).flatMap((sdk) =>
        FILTERS.map(async (name) => {
          built.set(`${sdk}/${name}`, await buildAssemblyScriptWithInfo({ ...SDK_BUILD[sdk], entry: entryOf(sdk, name) }));
        }),
      ),
    );
  }, 300_000);

  for (const sdk of ["solo", "gcore"] as const) {
    for (const name of FILTERS) {
      it(`${sdk}/${name} is a proxy-wasm module`, () => {
        const result = built.get(`${sdk}/${name}`);
        expect(result).toBeDefined();
        const bytes = result!.bytes;
        expect(WebAssembly.validate(bytes)).toBe(true);
        const module = new WebAssembly.Module(bytes);
        const exports = WebAssembly.Module.exports(module).map((e) => e.name);
        expect(exports).toContain(ABI_MARKER[sdk]);
        expect(exports.includes("malloc") || exports.includes("proxy_on_memory_allocate")).toBe(true);
        expect(exports).toContain("proxy_on_context_create");
        const importModules = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
        for (const m of importModules) expect(ALLOWED_IMPORT_MODULES).toContain(m);
      });
    }
  }

  it("serves a rebuild from the cache without starting the compiler", async () => {
    const opts = { ...SDK_BUILD.solo, entry: entryOf("solo", "add-header") };
    const first = built.get("solo/add-header")!;
    const start = performance.now();
    const again = await buildAssemblyScriptWithInfo(opts);
    const elapsed = performance.now() - start;
    expect(again.cached).toBe(true);
    expect(again.cacheFile).toBe(first.cacheFile);
    expect(again.cacheFile.startsWith(CACHE_DIR)).toBe(true);
    expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    // Starting asc alone takes ~1 s; a hit is a hash plus a file read.
    expect(elapsed).toBeLessThan(500);
    expect(await buildAssemblyScript(opts)).toEqual(again.bytes);
  });

  describe("a filter with a type error", () => {
    let dir: string;
    beforeAll(async () => {
      // Inside the repo so the SDK still resolves through node_modules.
      await mkdir(CACHE_DIR, { recursive: true });
      dir = await mkdtemp(join(CACHE_DIR, "broken-src-"));
      await mkdir(join(dir, "assembly"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    for (const sdk of ["solo", "gcore"] as const) {
      it(`rejects with the compiler's file:line diagnostic (${sdk})`, async () => {
        const source = [
          sdk === "solo" ? 'export * from "@solo-io/proxy-runtime/proxy";' : 'export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";',
          "",
          "export function broken(): i32 {",
          '  const n: i32 = "not a number";',
          "  return n;",
          "}",
          "",
        ].join("\n");
        // A unique body per run keeps a stale cache entry from ever masking the failure.
        await writeFile(join(dir, "assembly", "index.ts"), `${source}// ${sdk} ${Date.now()}\n`);
        const build = buildAssemblyScript({ ...SDK_BUILD[sdk], entry: join(dir, "assembly", "index.ts") });
        await expect(build).rejects.toThrow(/assembly\/index\.ts\(4,\d+\)/);
        await expect(build).rejects.toThrow(/TS2322/);
      });
    }
  });
});
