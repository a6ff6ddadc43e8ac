/**
 * Where weir itself is installed (the folder holding its package.json), whether this code
 * runs from the TypeScript sources or from `dist/`, in the checkout or in a project's
 * node_modules: the SDK's AssemblyScript sources and asconfig live there.
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findWeirRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "weir") return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find weir's package.json above its own code");
    dir = parent;
  }
}

export const WEIR_ROOT: string = findWeirRoot();
