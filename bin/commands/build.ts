/** `weir build [dir]`: see sdk/build/build-filter.ts. */

import { relative } from "node:path";
import { BuildError, buildFilterProject } from "../../sdk/build/build-filter.ts";

export async function build(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const dir = args.find((a) => !a.startsWith("-")) ?? ".";
  try {
    const result = await buildFilterProject(dir);
    const m = result.manifest;
    for (const warning of result.warnings) out(`warning: ${warning}`);
    out(
      `built ${relative(process.cwd(), result.wasmPath) || result.wasmPath} (${(m.size / 1024).toFixed(1)} KiB, ABI ${m.abi}, sha256 ${m.sha256.slice(0, 12)}…)`,
    );
    out(`manifest ${relative(process.cwd(), result.manifestPath)}`);
    return 0;
  } catch (err) {
    if (err instanceof BuildError) {
      out(err.message);
      return 1;
    }
    throw err;
  }
}
