/**
 * Where the benchmarks find the checkout, and the compiled code they run: the proxy on Node
 * runs from `dist/` (`bin/weir.js`), and the filter benchmark measures the compiled host,
 * because tsx's keepNames helpers slow the TypeScript sources about 2×.
 */

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository root (with a trailing slash). */
export const REPO_ROOT: string = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Compiles `dist/` (`tsc -p tsconfig.build.json`) so the benchmark measures the code in the
 * checkout, not a stale build; `WEIR_BENCH_BUILD=0` skips it. Returns a note when the
 * compiler complained (tsc still emits, so the run goes on with what it wrote).
 */
export function buildDist(): string | undefined {
  if (process.env.WEIR_BENCH_BUILD === "0") return "dist/ not rebuilt (WEIR_BENCH_BUILD=0)";
  const tsc = `${REPO_ROOT}node_modules/typescript/bin/tsc`;
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: REPO_ROOT, encoding: "utf8", timeout: 300_000 });
  if (r.status === 0) return undefined;
  const errors = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.includes("error TS"));
  return `tsc -p tsconfig.build.json reported ${errors.length} error(s) (first: ${errors[0]?.trim() ?? r.error?.message ?? "?"}); dist/ holds what it emitted`;
}
