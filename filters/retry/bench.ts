/**
 * `npx tsx filters/retry/bench.ts`: what the retry filter costs per request on Node, on the
 * path nearly every request takes — no retry: request headers (attempt header, budget's active
 * count +1), a 200 (one header read), done (active count −1).
 *
 * Two drivers, each with the filter and, for reference, an empty filter built the same way:
 * the testing kit (`createTestHost`, what the ≤ 5 µs target is stated for) and the bare host
 * (`filter.createStream()`, what the sidecar's filter chain calls). Median CPU µs per request
 * of 7 interleaved rounds, unmetered. With `WEIR_BENCH_DIST=1` it loads the compiled kit and host
 * from `dist/` (run `npx tsc -p tsconfig.build.json` first): tsx compiles the TypeScript
 * sources with esbuild's keepNames, whose helpers slow the host's hot paths about 2×.
 *
 * Not a test: timings depend on the machine.
 */

import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type * as Abi from "../../proxy/abi/index.ts";
import { buildFilterProject } from "../../sdk/build/build-filter.ts";
import type * as Kit from "../../sdk/testing/index.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const fromDist = process.env.WEIR_BENCH_DIST === "1";
const REQUESTS = Number(process.env.WEIR_BENCH_REQUESTS ?? 140_000);
const ROUNDS = 7;
const PER_ROUND = Math.max(1000, Math.floor(REQUESTS / ROUNDS));

const abi: typeof Abi = await import(fromDist ? join(ROOT, "dist/proxy/abi/index.js") : "../../proxy/abi/index.ts");
const kit: typeof Kit = await import(fromDist ? join(ROOT, "dist/sdk/testing/index.js") : "../../sdk/testing/index.ts");

/** A filter project with an empty HttpContext per stream: the SDK's and host's share of the cost. */
async function emptyFilter(): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), "weir-retry-bench-"));
  await mkdir(join(dir, "assembly"));
  const sdk = relative(join(dir, "assembly"), join(ROOT, "sdk", "assembly"));
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "empty", version: "0.0.0" }));
  await writeFile(
    join(dir, "assembly", "index.ts"),
    `export * from "${sdk}/exports";
import { HttpContext, RootContext, registerFilter } from "${sdk}";
class Empty extends HttpContext {}
class Root extends RootContext { createHttpContext(id: u32): HttpContext | null { return new Empty(id, this); } }
registerFilter((id: u32): RootContext => new Root(id));
`,
  );
  return readWasm((await buildFilterProject(dir)).wasmPath);
}

async function readWasm(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

const REQUEST: Record<string, string> = {
  ":method": "GET",
  ":path": "/api/v1/orders?limit=10",
  ":authority": "orders.internal",
  ":scheme": "http",
  "user-agent": "bench/1.0",
  accept: "application/json",
  "x-request-id": "0f6b9a4e-6b1c-4c64-9b43-1c2f1a6d8e11",
};
const RESPONSE: Record<string, string> = { ":status": "200", "content-type": "application/json", "content-length": "42" };

type Run = ((n: number) => void) & { close?: () => void };

async function throughKit(module: Uint8Array, config: object): Promise<Run> {
  const host = await kit.createTestHost({ wasm: module, config, logLevel: "warn", limits: { fuel: false } });
  const run: Run = (n) => {
    for (let i = 0; i < n; i++) {
      const http = host.http();
      http.requestHeaders(REQUEST, { endOfStream: true });
      http.responseHeaders(RESPONSE, { endOfStream: true });
      http.complete();
    }
    if (host.filter.state !== "ready") throw new Error(`the filter failed: ${host.filter.lastError?.message}`);
  };
  run.close = () => host.close();
  return run;
}

async function throughHost(module: Uint8Array, config: object): Promise<Run> {
  const host = abi.createHost({ logger: () => {} });
  const filter = await host.loadFilter({ name: "retry", module, config: JSON.stringify(config), limits: { fuel: false } });
  const callbacks = { requestRetry: () => false };
  const run: Run = (n) => {
    for (let i = 0; i < n; i++) {
      const stream = filter.createStream(callbacks);
      stream.onRequestHeaders(new abi.HeaderMap(REQUEST), true);
      stream.onResponseHeaders(new abi.HeaderMap(RESPONSE), true);
      stream.complete();
    }
    if (filter.state !== "ready") throw new Error(`the filter failed: ${filter.lastError?.message}`);
  };
  run.close = () => filter.close(); // stops the filter's tick timer, which would keep Node running
  return run;
}

const retry = await buildFilterProject(HERE);
const retryWasm = await readWasm(retry.wasmPath);
const emptyWasm = await emptyFilter();
const CONFIG = { retryOn: ["5xx", "reset", "connect-failure"] };

const entries: { name: string; run: Run; samples: number[] }[] = [
  { name: "kit: retry filter", run: await throughKit(retryWasm, CONFIG), samples: [] },
  { name: "kit: empty filter", run: await throughKit(emptyWasm, {}), samples: [] },
  { name: "host: retry filter", run: await throughHost(retryWasm, CONFIG), samples: [] },
  { name: "host: empty filter", run: await throughHost(emptyWasm, {}), samples: [] },
];
for (const entry of entries) entry.run(20_000); // warm up: let V8 tier up
for (let round = 0; round < ROUNDS; round++) {
  for (const entry of entries) {
    // CPU time, not wall time: on a shared machine the wait for a core is not the filter's cost.
    const start = process.cpuUsage();
    entry.run(PER_ROUND);
    const used = process.cpuUsage(start);
    entry.samples.push((used.user + used.system) / PER_ROUND);
  }
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `weir retry filter — CPU µs per request (no retry) on Node ${process.version}, ${fromDist ? "compiled host and kit (dist/)" : "TypeScript sources via tsx"}, median of ${ROUNDS} rounds of ${PER_ROUND}`,
);
console.log(
  `module: ${(retry.manifest.size / 1024).toFixed(1)} KB (${retry.manifest.size} bytes), target ≤ 64 KB; target ≤ 5 µs per request through the kit\n`,
);
for (const entry of entries) console.log(`${entry.name.padEnd(22)}${median(entry.samples).toFixed(2).padStart(8)} µs`);
const [kitRetry, kitEmpty, hostRetry, hostEmpty] = entries.map((e) => median(e.samples));
for (const entry of entries) entry.run.close?.();
console.log(`\nthe filter's own work: +${(kitRetry - kitEmpty).toFixed(2)} µs (kit), +${(hostRetry - hostEmpty).toFixed(2)} µs (host)`);
