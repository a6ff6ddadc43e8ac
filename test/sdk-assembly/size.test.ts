/**
 * Output size (the target: a filter built with the SDK ≤ 64 KB optimized). Pins that
 * an empty filter stays small and that a filter using the JSON config parser — the largest
 * part of the SDK — stays well inside the budget.
 */

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildSdkFilter, REPO_ROOT } from "./support.ts";

const KB = 1024;

describe("sdk output size", () => {
  it("keeps an empty filter under 16 KB", async () => {
    expect((await buildSdkFilter("noop")).byteLength).toBeLessThan(16 * KB);
  });

  it("keeps every test filter under 64 KB, the JSON-config one included", async () => {
    const sizes: Record<string, number> = {};
    for (const name of readdirSync(join(REPO_ROOT, "test/sdk-assembly/filters"))) sizes[name] = (await buildSdkFilter(name)).byteLength;
    for (const [name, size] of Object.entries(sizes)) expect(size, name).toBeLessThan(64 * KB);
    expect(sizes.config).toBeLessThan(48 * KB);
  }, 120_000); // after an SDK change it recompiles every test filter: over 30 s once, inside a full parallel run on 2 cores
});
