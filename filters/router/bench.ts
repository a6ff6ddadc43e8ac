/**
 * `npx tsx filters/router/bench.ts`: µs per request through the router, driven by weir's test
 * kit (`createTestHost`) as the tests drive it — a full stream: request headers, response
 * headers, then log/done/delete — for a typical configuration of eight routes, next to a
 * baseline with no routes (the filter then creates no stream context), so the difference is
 * the router's own cost. Medians of interleaved rounds.
 *
 * It runs the kit from its TypeScript sources, as vitest does (tsx's keepNames helpers slow
 * that host code about 2×), and, after `npx tsc -p tsconfig.build.json`, the kit compiled
 * (`dist/`) and weir's compiled host without the kit: the production figure.
 *
 * Not a test: timings depend on the machine.
 */

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { buildFilterProject } from "../../sdk/build/build-filter.ts";
import { createTestHost } from "../../sdk/testing/index.ts";

const STREAMS = Number(process.env.WEIR_BENCH_STREAMS ?? 75_000);
const ROUNDS = 15;
const PER_ROUND = Math.max(1000, Math.floor(STREAMS / ROUNDS));

/** Six routes tried before the one that takes the request: local answers, API routes by method, header, regex and query. */
const BEFORE = [
  { name: "health", match: { path: "/healthz" }, directResponse: { status: 200, body: "ok" } },
  {
    name: "http-to-https",
    match: { prefix: "/account", headers: [{ name: "x-forwarded-proto", exact: "http" }] },
    redirect: { scheme: "https" },
  },
  { name: "admin", match: { prefix: "/admin", methods: ["GET", "POST"], headers: [{ name: "x-role", exact: "admin" }] }, cluster: "admin" },
  { name: "items", match: { regex: "/api/v[0-9]+/items/\\d+" }, cluster: "items" },
  { name: "preview", match: { prefix: "/api/", query: [{ name: "preview", present: true }] }, cluster: "preview" },
  { name: "canary-header", match: { prefix: "/api/", headers: [{ name: "x-env", exact: "canary" }] }, cluster: "api-v2" },
];
const SPLIT = {
  weightedClusters: [
    { cluster: "api-v1", weight: 95 },
    { cluster: "api-v2", weight: 5 },
  ],
  stickyOn: { cookie: "session" },
};
const CATCH_ALL = { name: "web", match: { prefix: "/" }, cluster: "web" };
/** The request takes the 7th route: a 95/5 split sticky on the session cookie. */
const TYPICAL = { routes: [...BEFORE, { name: "api", match: { prefix: "/api/" }, ...SPLIT }, CATCH_ALL] };
/** The same, and the route also rewrites the prefix and adds and removes a header. */
const REWRITING = {
  routes: [
    ...BEFORE,
    {
      name: "api",
      match: { prefix: "/api/" },
      ...SPLIT,
      rewrite: { prefix: "/", headersToAdd: [{ name: "x-routed-by", value: "weir-router" }], headersToRemove: ["x-internal"] },
    },
    CATCH_ALL,
  ],
};

const REQUEST: [string, string][] = [
  [":method", "GET"],
  [":path", "/api/v1/orders?limit=10"],
  [":authority", "app.internal"],
  [":scheme", "http"],
  ["user-agent", "bench/1.0"],
  ["accept", "application/json"],
  ["x-request-id", "0f6b9a4e-6b1c-4c64-9b43-1c2f1a6d8e11"],
  ["authorization", "Bearer abc.def.ghi"],
  ["cookie", "theme=dark; session=1234; lang=en"],
  ["content-type", "application/json"],
];
const RESPONSE: [string, string][] = [
  [":status", "200"],
  ["content-type", "application/json"],
  ["content-length", "42"],
];

const built = await buildFilterProject(new URL(".", import.meta.url).pathname);
const wasm = new Uint8Array(await readFile(built.wasmPath));
const compiledKit = new URL("../../dist/sdk/testing/index.js", import.meta.url);
const compiledHost = new URL("../../dist/proxy/abi/index.js", import.meta.url);
const kits: [string, typeof createTestHost][] = [["kit from TS sources (vitest)", createTestHost]];
if (existsSync(compiledKit)) kits.push(["kit compiled (dist/)", (await import(compiledKit.href)).createTestHost]);

/**
 * No kit: weir's compiled host driven directly, as the proxy drives it — the production
 * figure — behind the few members of `createTestHost`'s result the measurement uses.
 */
async function bareHost(): Promise<typeof createTestHost | undefined> {
  if (!existsSync(compiledHost)) return undefined;
  const abi: typeof import("../../proxy/abi/index.ts") = await import(compiledHost.href);
  type Stream = ReturnType<Awaited<ReturnType<ReturnType<typeof abi.createHost>["loadFilter"]>>["createStream"]>;
  class BareHttp {
    request = { headers: new abi.HeaderMap() };
    constructor(readonly stream: Stream) {}
    get upstreamCluster() {
      return this.stream.upstreamCluster;
    }
    requestHeaders(headers: [string, string][], options: { endOfStream: boolean }) {
      this.request.headers = new abi.HeaderMap(headers);
      return this.stream.onRequestHeaders(this.request.headers, options.endOfStream);
    }
    responseHeaders(headers: [string, string][], options: { endOfStream: boolean }) {
      return this.stream.onResponseHeaders(new abi.HeaderMap(headers), options.endOfStream);
    }
    complete() {
      this.stream.complete();
    }
  }
  const create = async (options: { config: object }) => {
    const filter = await abi.createHost({ logger: () => {} }).loadFilter({
      name: "router",
      module: wasm,
      config: JSON.stringify(options.config),
      limits: { fuel: false },
    });
    return { http: () => new BareHttp(filter.createStream({})) };
  };
  return create as unknown as typeof createTestHost;
}
const bare = await bareHost();
if (bare) kits.unshift(["host compiled, no kit", bare]); // first: before the kits' garbage

async function prepare(create: typeof createTestHost, config: object, path: string): Promise<(n: number) => void> {
  const host = await create({ wasm, config, name: "router", limits: { fuel: false } });
  const check = host.http();
  check.requestHeaders(REQUEST, { endOfStream: true });
  if (config !== BASELINE && (!check.upstreamCluster?.startsWith("api-v") || check.request.headers?.get(":path") !== path)) {
    throw new Error(`the request did not take the api route: ${check.upstreamCluster} ${check.request.headers?.get(":path")}`);
  }
  return (n) => {
    for (let i = 0; i < n; i++) {
      const http = host.http();
      http.requestHeaders(REQUEST, { endOfStream: true });
      http.responseHeaders(RESPONSE, { endOfStream: true });
      http.complete();
    }
  };
}

const BASELINE = { routes: [] };
const CASES: [string, object, string][] = [
  ["baseline", BASELINE, ""],
  ["typical", TYPICAL, "/api/v1/orders?limit=10"],
  ["rewriting", REWRITING, "/v1/orders?limit=10"],
];

// CPU time of this process (user + system), not wall time: on a shared machine the other
// processes' load then shows much less in the figures.
const time = (run: (n: number) => void) => {
  const start = process.cpuUsage();
  run(PER_ROUND);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / PER_ROUND;
};

// One kit at a time (their garbage differs a lot); within a kit, rounds interleave the cases,
// so a noisy neighbour or a V8 collection slows all of them alike.
const runs: { kit: string; samples: number[][] }[] = [];
for (const [kit, create] of kits) {
  const cases = [];
  for (const [, config, path] of CASES) cases.push(await prepare(create, config, path));
  for (const c of cases) c(Math.min(20_000, STREAMS)); // warm up: let V8 tier up
  const samples: number[][] = CASES.map(() => []);
  for (let round = 0; round < ROUNDS; round++) for (const [i, c] of cases.entries()) samples[i].push(time(c));
  runs.push({ kit, samples });
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`weir router — CPU µs per full stream on Node ${process.version}, median of ${ROUNDS} rounds of ${PER_ROUND}`);
console.log(`module: ${built.manifest.size} bytes (${(built.manifest.size / 1024).toFixed(1)} KiB; budget 64 KiB)\n`);
console.log("baseline:  no routes (the filter creates no stream context): the kit's and the host's own cost");
console.log("typical:   8 routes; the request passes 6 (path, prefix + header, methods, regex, query, header) and takes");
console.log("           the 7th, a 95/5 split sticky on a cookie");
console.log("rewriting: the same, and that route rewrites the prefix, adds a header and removes one\n");
console.log(`${"".padEnd(30)}${CASES.map(([name]) => name.padStart(11)).join("")}${"router".padStart(11)}${"+rewrite".padStart(11)}`);
for (const run of runs) {
  const [base, typical, rewriting] = run.samples.map(median);
  const cells = [base, typical, rewriting, typical - base, rewriting - base].map((us) => us.toFixed(2).padStart(11)).join("");
  console.log(`${run.kit.padEnd(30)}${cells}`);
}
if (runs.length === 1) console.log("\n(no dist/: run `npx tsc -p tsconfig.build.json` to measure compiled code too)");
console.log("\nrouter = typical − baseline, +rewrite = rewriting − baseline: the router's own cost per request.");
