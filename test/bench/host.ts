/**
 * `npm run bench:host`: the proxy-wasm host's cost per stream, per runtime, side by side.
 *
 * Builds the two benchmark filters (AssemblyScript, @gcoredev/proxy-wasm-sdk-as), then runs
 * `host-worker.ts` under Node, Deno and Bun and prints µs per full stream for each filter,
 * metered and unmetered, with the issue's targets and Envoy's published figure for scale:
 * about 80 µs per request for a V8 Wasm filter (istio/istio#27636: 0.666 ms → 0.747 ms avg
 * latency with one Wasm filter at 1 connection).
 */

import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuildOptions, buildAssemblyScript, REPO_ROOT, SDK_BUILD } from "../support/build-as.ts";

const STREAMS = Number(process.env.WEIR_BENCH_STREAMS ?? 100_000);
const dir = await mkdtemp(join(tmpdir(), "weir-bench-host-"));
const FILTERS: [string, BuildOptions][] = [
  ["raw-noop", { compiler: "0.28", entry: "", extraArgs: ["--runtime", "incremental"] }],
  ["raw-headers", { compiler: "0.28", entry: "", extraArgs: ["--runtime", "incremental"] }],
  ["sdk-noop", { ...SDK_BUILD.gcore, entry: "" }],
];
for (const [name, options] of FILTERS) {
  const bytes = await buildAssemblyScript({ ...options, entry: join(REPO_ROOT, "test/bench/filters", name, "assembly/index.ts") });
  await writeFile(join(dir, `${name}.wasm`), bytes);
}

const worker = join(REPO_ROOT, "test/bench/host-worker.ts");
const bin = (name: string) => join(REPO_ROOT, "node_modules/.bin", name);
const runtimes: [string, string, string[]][] = [
  // Node runs the compiled host (dist/), as `weir` does; tsx's keepNames helpers would distort it.
  ["node", process.execPath, ["--import", "tsx", worker, dir, String(STREAMS), "dist"]],
  ["deno", bin("deno"), ["run", "-A", worker, dir, String(STREAMS)]],
  ["bun", bin("bun"), [worker, dir, String(STREAMS)]],
];

interface Row {
  filter: string;
  metered: boolean;
  usPerStream: number;
}
const TARGET: Record<string, string> = {
  "raw-noop": "≤ 3 µs",
  "raw-headers": "≤ 10 µs",
  "sdk-noop": "reference: the public SDK's own per-stream work included",
};
console.log(
  `weir host benchmark — µs per full stream (create → request headers → response headers → log/done/delete), median of 5 rounds of ${STREAMS / 5}`,
);
console.log("for scale: Envoy's V8 Wasm filter adds ≈80 µs per request (istio/istio#27636)\n");
console.log("node targets: raw-noop ≤ 3 µs, raw-headers ≤ 10 µs, metering within 25%\n");
console.log("runtime  filter        unmetered   metered   metering cost   node target");
for (const [runtime, cmd, args] of runtimes) {
  const out = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: "utf8", timeout: 300_000 });
  const line = out.stdout.trim().split("\n").at(-1) ?? "";
  if (out.status !== 0 || !line.startsWith("[")) {
    console.log(`${runtime.padEnd(8)} skipped: ${(out.stderr || out.error?.message || "no output").trim().split("\n").at(-1)}`);
    continue;
  }
  const rows = JSON.parse(line) as Row[];
  for (const [filter] of FILTERS) {
    const plain = rows.find((r) => r.filter === filter && !r.metered)?.usPerStream ?? Number.NaN;
    const metered = rows.find((r) => r.filter === filter && r.metered)?.usPerStream ?? Number.NaN;
    const cost = ((metered / plain - 1) * 100).toFixed(0);
    const target = runtime === "node" ? TARGET[filter] : "";
    console.log(
      `${runtime.padEnd(8)} ${filter.padEnd(12)} ${plain.toFixed(2).padStart(9)}   ${metered.toFixed(2).padStart(7)}   ${`${cost}%`.padStart(13)}   ${target}`,
    );
  }
}
