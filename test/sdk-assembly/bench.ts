/**
 * `npx tsx test/sdk-assembly/bench.ts` (after `npx tsc -p tsconfig.build.json`): the SDK's
 * per-stream cost through the real host, next to filters written against the raw ABI and the
 * public G-Core SDK. Prints µs per full stream (create → request headers → response headers
 * → log/done/delete), median of 5 rounds, unmetered and metered, and the module sizes.
 *
 * Not a test: timings depend on the machine. It runs the compiled host (`dist/`), as
 * `weir` does in production; tsx's keepNames helpers would distort the TypeScript sources.
 */

import { join } from "node:path";
import { buildHelloFilter } from "../../bin/commands/hello-filter.ts";
import type * as Abi from "../../proxy/abi/index.ts";
import { buildAssemblyScript } from "../../sdk/build/assemblyscript.ts";
import { HOST_BENCH_REQUEST as REQUEST, HOST_BENCH_RESPONSE as RESPONSE } from "../bench/host-request.ts";
import { SDK_BUILD } from "../support/build-as.ts";
import { buildSdkFilter, REPO_ROOT } from "./support.ts";

const STREAMS = Number(process.env.WEIR_BENCH_STREAMS ?? 100_000);
const { createHost, HeaderMap }: typeof Abi = await import(join(REPO_ROOT, "dist/proxy/abi/index.js"));

const benchFilter = (name: string, options = {}) =>
  buildAssemblyScript({
    compiler: "0.28",
    extraArgs: ["--runtime", "incremental"],
    ...options,
    entry: join(REPO_ROOT, "test/bench/filters", name, "assembly/index.ts"),
  });

const HELLO_CONFIG = "x-hello=weir";
const FILTERS: [string, string, () => Promise<Uint8Array>][] = [
  ["raw-noop", "raw ABI, no SDK: the host's fixed cost", () => benchFilter("raw-noop")],
  ["weir-noop-root", "weir SDK, root only (no stream contexts)", () => buildSdkFilter("noop-root")],
  ["weir-noop", "weir SDK, an empty HttpContext per stream", () => buildSdkFilter("noop")],
  ["gcore-noop", "@gcoredev/proxy-wasm-sdk-as, empty Context per stream", () => benchFilter("sdk-noop", SDK_BUILD.gcore)],
  ["weir-hello", "weir SDK: examples/hello-filter's logic (1 get, 1 add, 1 remove; 1 add)", () => buildSdkFilter("hello")],
  ["gcore-hello", "G-Core SDK: examples/hello-filter itself", async () => (await buildHelloFilter()).bytes],
  ["raw-headers", "raw ABI: read 10 headers, add 2", () => benchFilter("raw-headers")],
  ["weir-headers", "weir SDK: read 10 headers, add 2", () => buildSdkFilter("headers-bench")],
];

type Run = (n: number) => void;

async function prepare(name: string, module: Uint8Array, metered: boolean): Promise<{ run: Run; check: () => void }> {
  const host = createHost({ logger: () => {} });
  const filter = await host.loadFilter({ name, module, config: HELLO_CONFIG, limits: metered ? {} : { fuel: false } });
  const callbacks = {};
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const stream = filter.createStream(callbacks);
      stream.onRequestHeaders(new HeaderMap(REQUEST), true);
      stream.onResponseHeaders(new HeaderMap(RESPONSE), true);
      stream.complete();
    }
  };
  const check = () => {
    if (filter.state !== "ready") throw new Error(`${name} failed during the benchmark: ${filter.lastError?.message}`);
  };
  return { run, check };
}

const ROUNDS = 7;
const PER_ROUND = Math.max(1000, Math.floor(STREAMS / ROUNDS));
console.log(
  `weir AssemblyScript SDK benchmark — µs per full stream on Node ${process.version}, median of ${ROUNDS} interleaved rounds of ${PER_ROUND}`,
);
console.log("target: an SDK filter ≤ 5 µs per request; the G-Core SDK's empty filter costs 6-10 µs in guest code alone\n");

const entries: { name: string; what: string; size: number; runs: { run: Run; check: () => void }[]; samples: number[][] }[] = [];
for (const [name, what, build] of FILTERS) {
  const module = await build();
  const runs = [await prepare(name, module, false), await prepare(name, module, true)];
  for (const r of runs) r.run(Math.min(20_000, STREAMS)); // warm up: let V8 tier up
  entries.push({ name, what, size: module.byteLength, runs, samples: [[], []] });
}
// Rounds interleave the filters, so a noisy neighbour slows all of them alike.
for (let round = 0; round < ROUNDS; round++) {
  for (const entry of entries) {
    for (const [i, r] of entry.runs.entries()) {
      const start = performance.now();
      r.run(PER_ROUND);
      entry.samples[i].push(((performance.now() - start) * 1000) / PER_ROUND);
    }
  }
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const plain = new Map(entries.map((e) => [e.name, median(e.samples[0])]));
console.log(
  `${"filter".padEnd(16)}${"unmetered".padStart(10)}${"metered".padStart(10)}${"over raw".padStart(10)}${"size".padStart(10)}   what`,
);
for (const entry of entries) {
  for (const r of entry.runs) r.check();
  const us = median(entry.samples[0]);
  const base = entry.name.endsWith("headers") ? plain.get("raw-headers") : entry.name.includes("noop") ? plain.get("raw-noop") : undefined;
  const over = entry.name.startsWith("raw") || base === undefined ? "" : `+${(us - base).toFixed(2)}`;
  console.log(
    `${entry.name.padEnd(16)}${us.toFixed(2).padStart(10)}${median(entry.samples[1]).toFixed(2).padStart(10)}${over.padStart(10)}${`${(entry.size / 1024).toFixed(1)} KB`.padStart(10)}   ${entry.what}`,
  );
}
console.log('\n"over raw" = unmetered µs over the raw-ABI filter doing the same work: the SDK\'s own cost per stream.');
