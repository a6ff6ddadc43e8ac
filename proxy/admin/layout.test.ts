/**
 * The admin app runs on every runtime, so like `proxy/core` it may import web standards and
 * hono only (test/layout.test.ts checks `proxy/abi` and `proxy/core` the same way).
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("proxy/admin layout", () => {
  it("imports nothing runtime-specific", () => {
    const dir = import.meta.dirname;
    const problems: string[] = [];
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".ts") || name.endsWith(".test.ts")) continue;
      const text = readFileSync(join(dir, name), "utf8");
      if (/from\s+["']node:|import\(\s*["']node:/.test(text)) problems.push(`${name} imports a node: module`);
      if (/\b(?:Deno|Bun)\.[a-zA-Z]/.test(text)) problems.push(`${name} uses a runtime global`);
      if (/from\s+["'][./]*\/runtime\//.test(text)) problems.push(`${name} imports runtime code`);
      for (const [, spec] of text.matchAll(/from\s+["']([^"'.][^"']*)["']/g)) {
        if (spec !== "hono" && !spec.startsWith("hono/")) problems.push(`${name} imports package ${spec}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
