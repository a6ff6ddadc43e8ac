/**
 * `npx tsx filters/ratelimit/bench.ts`: µs per request through @weir/ratelimit — a full
 * stream (create → request headers → response headers → log/done/delete) — median of 7
 * interleaved rounds, unmetered and metered (the host's default CPU budget). Time is the
 * process's CPU time (`process.cpuUsage`), which a busy machine distorts less than wall time.
 *
 * Two hosts: the testing kit (`createTestHost`, TypeScript sources through tsx, whose
 * keepNames helpers make the host itself about 2× slower) and, when `dist/` is built
 * (`npx tsc -p tsconfig.build.json`), the compiled host driven directly, as the proxy runs it.
 * Not a test: timings depend on the machine.
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as Abi from "../../proxy/abi/index.ts";
import { buildFilterProject } from "../../sdk/build/build-filter.ts";
import { createTestHost } from "../../sdk/testing/index.ts";
import { BENCH_REQUEST_BASE } from "../../test/bench/host-request.ts";
import { buildSdkFilter } from "../../test/sdk-assembly/support.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STREAMS = Number(process.env.WEIR_BENCH_STREAMS ?? 70_000);
const ROUNDS = 7;
const PER_ROUND = Math.max(1000, Math.floor(STREAMS / ROUNDS));
const CLIENTS = 1000;

const limit = { requests: 1_000_000_000, per: "1s" }; // never exhausted: the allowed path
const CASES: [string, string, object | null][] = [
  ["sdk-noop", "baseline: the SDK's empty HttpContext per stream (host + SDK floor)", null],
  ["sdk-hello", "calibration: hello-filter's logic (SDK README: 3.4 µs on its machine)", { hello: true }],
  ["not-applied", "descriptor on an absent header: the filter's floor", { descriptors: [{ key: [{ header: "x-absent" }], limit }] }],
  [
    "per-ip",
    "1 descriptor (remote address), 1000 clients",
    { descriptors: [{ name: "per-ip", key: [{ source: "remote_address" }], limit }] },
  ],
  [
    "ip+user-path",
    "2 descriptors: per-ip, per-user-path (header + path)",
    {
      descriptors: [
        { name: "per-ip", key: [{ source: "remote_address" }], limit },
        { name: "per-user-path", key: [{ header: "x-user" }, { source: "path" }], limit },
      ],
    },
  ],
  [
    "limited",
    "1 descriptor, every request answered 429",
    { descriptors: [{ name: "per-ip", key: [{ source: "remote_address" }], limit: { requests: 1, per: "366d" } }] },
  ],
];

const REQUEST: [string, string][] = [...BENCH_REQUEST_BASE, ["x-user", "alice"]];
const RESPONSE: [string, string][] = [
  [":status", "200"],
  ["content-type", "application/json"],
];
const addresses = Array.from({ length: CLIENTS }, (_, i) => `10.0.${i >> 8}.${i & 255}:40000`);

type Run = (n: number) => void;

const build = await buildFilterProject(fileURLToPath(new URL(".", import.meta.url)));
const ratelimit = new Uint8Array(await readFile(build.wasmPath));
const noop = await buildSdkFilter("noop");
const hello = await buildSdkFilter("hello");
const moduleFor = (config: object | null) => (config === null ? noop : "hello" in config ? hello : ratelimit);
const configFor = (config: object | null) => (config === null ? "" : "hello" in config ? "x-hello=weir" : JSON.stringify(config));

async function throughKit(config: object | null, metered: boolean): Promise<Run> {
  const host = await createTestHost({
    wasm: moduleFor(config),
    config: configFor(config),
    logLevel: "warn",
    limits: metered ? {} : { fuel: false },
  });
  const properties = addresses.map((address) => ({ "source.address": address }));
  return (n) => {
    for (let i = 0; i < n; i++) {
      const http = host.http({ properties: properties[i % CLIENTS] });
      http.requestHeaders(REQUEST, { endOfStream: true });
      if (http.localResponse === undefined) http.responseHeaders(RESPONSE, { endOfStream: true });
      http.complete();
    }
    if (host.failure) throw new Error(`the filter failed: ${host.failure.message}`);
  };
}

async function throughDist(config: object | null, metered: boolean): Promise<Run | undefined> {
  let abi: typeof Abi;
  try {
    abi = await import(pathToFileURL(join(ROOT, "dist/proxy/abi/index.js")).href);
  } catch {
    return undefined;
  }
  const host = abi.createHost({ logger: () => {}, logLevel: "warn" });
  const filter = await host.loadFilter({
    name: "ratelimit",
    module: moduleFor(config),
    config: configFor(config),
    limits: metered ? {} : { fuel: false },
  });
  const infos = addresses.map((address) => ({
    property: (path: readonly string[]) => (path.join(".") === "source.address" ? address : undefined),
  }));
  const callbacks = {};
  return (n) => {
    for (let i = 0; i < n; i++) {
      const stream = filter.createStream(callbacks, infos[i % CLIENTS]);
      stream.onRequestHeaders(new abi.HeaderMap(REQUEST), true);
      if (stream.localReply === undefined) stream.onResponseHeaders(new abi.HeaderMap(RESPONSE), true);
      stream.complete();
    }
    if (filter.state !== "ready") throw new Error(`the filter failed: ${filter.lastError?.message}`);
  };
}

console.log(`@weir/ratelimit — CPU µs per request on Node ${process.version}, median of ${ROUNDS} interleaved rounds of ${PER_ROUND}`);
console.log(`module: ${(build.manifest.size / 1024).toFixed(1)} KB; target ≤ 5 µs per request\n`);

const entries: { label: string; what: string; runs: (Run | undefined)[]; samples: number[][] }[] = [];
for (const [name, what, config] of CASES) {
  for (const [host, make] of [
    ["kit", throughKit],
    ["dist", throughDist],
  ] as const) {
    const runs = [await make(config, false), await make(config, true)];
    if (runs[0] === undefined) continue;
    for (const run of runs) run?.(Math.min(20_000, STREAMS)); // warm up: let V8 tier up
    entries.push({ label: `${host} ${name}`, what, runs, samples: [[], []] });
  }
}
for (let round = 0; round < ROUNDS; round++) {
  for (const entry of entries) {
    for (const [i, run] of entry.runs.entries()) {
      const start = process.cpuUsage();
      run?.(PER_ROUND);
      const used = process.cpuUsage(start);
      entry.samples[i].push((used.user + used.system) / PER_ROUND);
    }
  }
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const floor = new Map(entries.filter((e) => e.label.endsWith("sdk-noop")).map((e) => [e.label.split(" ")[0], median(e.samples[0])]));
console.log(`${"host case".padEnd(22)}${"unmetered".padStart(10)}${"metered".padStart(10)}${"over noop".padStart(11)}   what`);
for (const entry of entries) {
  const us = median(entry.samples[0]);
  const over = entry.label.endsWith("sdk-noop") ? "" : `+${(us - (floor.get(entry.label.split(" ")[0]) ?? 0)).toFixed(2)}`;
  console.log(
    `${entry.label.padEnd(22)}${us.toFixed(2).padStart(10)}${median(entry.samples[1]).toFixed(2).padStart(10)}${over.padStart(11)}   ${entry.what}`,
  );
}
console.log('\n"over noop" = unmetered µs over the empty SDK filter on the same host: what rate limiting adds per request.');
if (!entries.some((e) => e.label.startsWith("dist")))
  console.log("\n(no dist/: run `npx tsc -p tsconfig.build.json` for the compiled host's figures)");
