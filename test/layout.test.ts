/**
 * Keeps the layout honest (STYLE.md "Layout shows the architecture"): `proxy/abi` and
 * `proxy/core` use web-standard APIs only — no `node:*` modules, no `Deno` or `Bun` globals,
 * nothing from `proxy/runtime` — so they run unchanged on every runtime.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

function sources(dir: string): string[] {
  let out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(sources(path));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const RUNTIME_SPECIFIC = [
  [/from\s+["']node:/, "imports a node: module"],
  [/import\(\s*["']node:/, "imports a node: module"],
  [/\bDeno\.[a-zA-Z]/, "uses the Deno global"],
  [/\bBun\.[a-zA-Z]/, "uses the Bun global"],
  [/from\s+["'][./]*\/runtime\//, "imports runtime code"],
] as const;

/** Code only: prose may name runtimes freely. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

describe("layout", () => {
  for (const area of ["proxy/abi", "proxy/core"]) {
    it(`${area} imports nothing runtime-specific`, () => {
      const problems: string[] = [];
      for (const file of sources(join(ROOT, area))) {
        const text = stripComments(readFileSync(file, "utf8"));
        for (const [pattern, what] of RUNTIME_SPECIFIC) if (pattern.test(text)) problems.push(`${relative(ROOT, file)} ${what}`);
      }
      expect(problems).toEqual([]);
    });
  }

  it("only proxy/abi reads guest memory (GuestMemory stays inside the host)", () => {
    const offenders = ["proxy/core", "proxy/runtime", "bin", "registry", "sdk"]
      .flatMap((area) => sources(join(ROOT, area)))
      .filter((file) => /guest-memory\.ts/.test(readFileSync(file, "utf8")))
      .map((file) => relative(ROOT, file));
    expect(offenders).toEqual([]);
  });
});
