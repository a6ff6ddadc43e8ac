/**
 * `npm run bench:proxy` (`npx tsx test/bench/proxy.ts`): weir beside nginx and haproxy, in one
 * session on loopback, with the method of shared/reference/proxy-hop-baselines.md — the
 * backend (nginx `return 200`) and the proxy under test share CPU 0, the load generator has
 * CPU 1; closed loop `wrk -t1 -c32` in rounds interleaved across targets; fixed rate 1000
 * req/s with h2load over 16 connections; proxy CPU per request from /proc; RSS right after
 * the closed-loop run.
 *
 * Targets: the backend direct; nginx and haproxy as reverse proxies; weir on Node, Bun and
 * Deno, with no filters and with the first-party chain (router → auth → ratelimit → retry);
 * and, for reference, the baseline's own minimal proxies on Node (node:http + undici), Bun
 * (Bun.serve + fetch) and Deno (Deno.serve + fetch): the floor each runtime's native path sets
 * on this machine today.
 * Prints the medians, each figure as a ratio to nginx, the latency added over direct, every
 * raw run with its noise indicators, and the issue's targets as PASS / MISS, each throughput
 * target beside the proxy CPU per request it leaves and what the runtime's bare reference spends.
 *
 * Environment: WEIR_BENCH_DURATION (seconds per measured run, default 10), WEIR_BENCH_ROUNDS
 * (default 3), WEIR_BENCH_TARGETS (comma list of target ids, default all), WEIR_BENCH_BUILD=0
 * (do not rebuild dist/), WEIR_BENCH_KEEP=1 (keep the run directory with configs and logs).
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { PortAllocator } from "./proxy/configs.ts";
import { API_KEY, API_KEY_HEADER, type BuiltFilter, firstLine, importKit, prepareFilters } from "./proxy/first-party.ts";
import { runFixedRate, runWrk } from "./proxy/load.ts";
import { allStats, CLK_TCK, cpuTimes, cpuUsage, otherTicks, rssKb, treeRssKb, treeTicks } from "./proxy/proc.ts";
import { ProcessGroup, type Started, tail } from "./proxy/processes.ts";
import { buildDist } from "./proxy/repo.ts";
import {
  added,
  headlineTable,
  int,
  mb,
  noisy,
  noisyFixed,
  type RunRecord,
  rawTable,
  type Summary,
  summarize,
  type TargetCheck,
  targetLines,
  us,
} from "./proxy/report.ts";
import {
  backendAccepts,
  RUNTIME_BINARY,
  type Runtime,
  runtimeProblem,
  type SessionContext,
  startBackend,
  startTarget,
  TARGETS,
  type TargetSpec,
} from "./proxy/targets.ts";
import { ensureTools, machineInfo } from "./proxy/tools.ts";

const DURATION = positive("WEIR_BENCH_DURATION", 10);
const ROUNDS = positive("WEIR_BENCH_ROUNDS", 3);
const WARMUP_SECONDS = 2;
const FIXED_RATE_WARMUP_SECONDS = 2;
const HEADERS = [`${API_KEY_HEADER}: ${API_KEY}`];

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

function selectedTargets(): TargetSpec[] {
  const raw = process.env.WEIR_BENCH_TARGETS;
  if (!raw) return TARGETS;
  const ids = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !TARGETS.some((t) => t.id === id));
  if (unknown.length)
    throw new Error(`WEIR_BENCH_TARGETS: unknown target(s) ${unknown.join(", ")}; known: ${TARGETS.map((t) => t.id).join(", ")}`);
  return TARGETS.filter((t) => ids.includes(t.id));
}

const notes: string[] = [];
const note = (text: string) => {
  notes.push(text);
  console.log(`note: ${text}`);
};

async function main(): Promise<number> {
  const group = new ProcessGroup();
  group.installCleanup();
  const targets = selectedTargets();
  const started = Date.now();

  // ---- tools, machine, pinning -----------------------------------------------------------
  const tools = ensureTools();
  console.log(
    `weir proxy benchmark — ${ROUNDS} interleaved round(s) of wrk -t1 -c32 -d${DURATION}s (after ${WARMUP_SECONDS} s of warm-up), then h2load at 1000 req/s for ${DURATION} s (after ${FIXED_RATE_WARMUP_SECONDS} s not counted)`,
  );
  for (const line of machineInfo(tools)) console.log(line);
  for (const pkg of tools.installed) note(`installed ${pkg} from Debian`);
  for (const [tool, why] of Object.entries(tools.missing)) note(`${tool} is missing (${why})`);
  if (!tools.found.wrk) return fail("wrk is required for the closed-loop runs");
  if (!tools.found.nginx) return fail("nginx is required: it is the backend every target forwards to");
  const n = cpus().length;
  const pinned = n >= 2 && tools.found.taskset !== undefined;
  const serverCpus = pinned ? "0" : undefined;
  const loadCpus = pinned ? "1" : undefined;
  if (pinned) console.log("pinning: backend and proxy under test on CPU 0 (taskset -c 0), load generator on CPU 1 (taskset -c 1)");
  else note(`not pinning (${n < 2 ? "only 1 CPU" : "no taskset"}): load generator, backend and proxy share the CPUs`);

  // ---- what can run ----------------------------------------------------------------------
  const skip = new Map<string, string>();
  const weirTargets = targets.filter((t) => t.kind === "weir");
  if (weirTargets.length > 0) {
    console.log("building dist/ (tsc -p tsconfig.build.json)…");
    const problem = buildDist();
    if (problem) note(problem);
  }
  for (const t of weirTargets) {
    const problem = runtimeProblem(t.runtime!);
    if (problem) skip.set(t.id, `weir on ${t.runtime}: ${problem}`);
  }
  for (const t of targets) {
    const binary = t.kind === "reference" ? RUNTIME_BINARY[t.runtime!] : undefined;
    if (binary !== undefined && !existsSync(binary)) skip.set(t.id, `${binary} is missing (npm install)`);
  }
  if (!tools.found.haproxy) skip.set("haproxy", "haproxy is not installed");
  const runDir = mkdtempSync(join(tmpdir(), "weir-bench-proxy-"));
  mkdirSync(join(runDir, "logs"), { recursive: true });
  let filters: BuiltFilter[] = [];
  let filterNote = "";
  if (targets.some((t) => t.withFilters && !skip.has(t.id))) {
    console.log("building the first-party filters (buildFilterProject) and checking each in the host…");
    const prepared = await prepareFilters(await importKit(), join(runDir, "filters"));
    filters = prepared.ready;
    for (const f of filters) console.log(`  ${f.name}: ${(f.size / 1024).toFixed(1)} KiB, config ${JSON.stringify(f.config)}`);
    for (const m of prepared.missing) note(`filter ${m.name} left out of the chain: ${m.reason}`);
    filterNote = prepared.missing.length ? ` (missing: ${prepared.missing.map((m) => m.name).join(", ")})` : "";
    if (filters.length === 0) for (const t of targets) if (t.withFilters) skip.set(t.id, "no first-party filter builds and loads yet");
  }
  const label = (t: TargetSpec): string => {
    if (t.kind !== "weir") return t.id === "direct" ? "backend direct" : t.id;
    return t.withFilters ? `weir-${t.runtime} + ${filters.length} filters` : `weir-${t.runtime} (no filters)`;
  };
  const labels = new Map(TARGETS.map((t) => [t.id, label(t)]));
  for (const [id, why] of skip) note(`${labels.get(id)}: skipped — ${why}`);

  // ---- session ---------------------------------------------------------------------------
  const allocator = new PortAllocator();
  const ports = new Map<string, [number, number]>();
  for (const t of targets) ports.set(t.id, [await allocator.take(), await allocator.take()]);
  const statusPort = await allocator.take();
  const ctx: SessionContext = {
    group,
    runDir,
    nginx: tools.found.nginx,
    haproxy: tools.found.haproxy,
    backendPort: await allocator.take(),
    serverCpus,
    filters,
    ports,
  };
  const runs: RunRecord[] = [];
  let backend: Started | undefined;
  try {
    backend = await startBackend(ctx, tools.found.nginx, statusPort);
    console.log(`backend nginx on 127.0.0.1:${ctx.backendPort}; run directory ${runDir}\n`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const t of targets) {
        if (skip.has(t.id)) continue;
        const record = await measure(t, round, ctx, backend, statusPort, {
          wrk: tools.found.wrk,
          h2load: tools.found.h2load,
          cpus: loadCpus,
        }).catch((err: Error) => {
          skip.set(t.id, `round ${round}: ${firstLine(err)}`);
          note(`${labels.get(t.id)}: skipped from round ${round} on — ${firstLine(err)}`);
          return undefined;
        });
        if (!record) continue;
        runs.push(record);
        if (record.errors > 0)
          note(`${labels.get(t.id)}, round ${round}: ${record.errorText} during the closed-loop run (counted in its figures)`);
        const fr = record.fixed ? `; @1000 req/s p50 ${us(record.fixed.p50)} p99 ${us(record.fixed.p99)}` : "";
        const cpu = record.proxyUsPerReq === undefined ? "" : `, ${record.proxyUsPerReq.toFixed(1)} µs/req, RSS ${mb(record.rssKb)} MB`;
        const flags = `${record.errors ? ` ERRORS: ${record.errorText}` : ""}${noisy(record) ? ` (noisy: other load ${record.otherPct.toFixed(0)}%)` : ""}`;
        console.log(
          `r${round} ${labels.get(t.id)!.padEnd(24)} ${int(record.rps).padStart(7)} req/s, p50 ${us(record.p50)} p99 ${us(record.p99)}${cpu}${fr}${flags}`,
        );
      }
    }
  } finally {
    await group.stopAll();
  }

  // ---- report ----------------------------------------------------------------------------
  const summaries: Summary[] = targets
    .map((t) =>
      summarize(
        t.id,
        labels.get(t.id)!,
        runs.filter((r) => r.id === t.id),
      ),
    )
    .filter((s) => s.rounds > 0);
  console.log(
    `\n## Results (medians of ${ROUNDS} round(s); closed loop wrk -t1 -c32 -d${DURATION}s; fixed rate h2load 1000 req/s, 16 connections)\n`,
  );
  console.log(headlineTable(summaries));
  console.log(
    "\nCPU µs/req: utime+stime of the proxy (process and children) over the measured closed-loop run ÷ requests (CLK_TCK " +
      `${CLK_TCK}). RSS: VmRSS right after it (nginx/haproxy: master + workers; weir: the process started). "added" = percentile at ` +
      "1000 req/s − the backend direct's. The proxy and the backend share one core, so req/s ≈ 1e6 / (proxy + backend µs/req).",
  );
  console.log(
    "baselines (proxy-hop-baselines.md, same machine class): nginx 43,383 req/s, 15.1 µs/req, +64 µs / +0.34 ms at 1000 req/s; " +
      "@fastify/http-proxy 0.32× nginx; Node http+undici 0.51×; Bun.serve+fetch 0.71×; Deno.serve+fetch 0.38×; Istio's sidecar 60 MB per 1000 req/s.",
  );
  console.log(`\n## Every run\n`);
  console.log(rawTable(runs, labels, pinned ? ["cpu0", "cpu1"] : [...new Set(runs.flatMap((r) => [...r.cpu.keys()]))]));
  const noisyRuns = runs.filter(noisy).length;
  if (noisyRuns > 0)
    note(
      `${noisyRuns} of ${runs.length} runs were noisy (other load > 10 % of a CPU or steal > 2 %): rerun on a quiet machine before reading absolute figures; ratios from the same interleaved round hold up better`,
    );
  console.log(
    `\n"upstream conns": connections the backend accepted during the measured run (keep-alive check; direct: wrk's 32). "other load": CPU used by ` +
      "other processes on the machine, % of one CPU; runs marked ! had > 10 % other load or > 2 % steal.",
  );

  console.log(`\n## Targets (issue §12)${filterNote}\n`);
  console.log(targetLines(checks(summaries, runs, labels, skip, filters.length)));
  if (notes.length) console.log(`\nnotes:\n${notes.map((n) => `- ${n}`).join("\n")}`);
  console.log(`\n${((Date.now() - started) / 60_000).toFixed(1)} min`);
  if (process.env.WEIR_BENCH_KEEP === "1") console.log(`configs and logs kept in ${runDir}`);
  else rmSync(runDir, { recursive: true, force: true });
  return 0;
}

/** One target, one round: start fresh, warm up, closed loop, RSS, fixed rate, stop. */
async function measure(
  t: TargetSpec,
  round: number,
  ctx: SessionContext,
  backend: Started,
  statusPort: number,
  load: { wrk: string; h2load?: string; cpus?: string },
): Promise<RunRecord> {
  const target = await startTarget(t, ctx, round);
  try {
    const logBase = join(ctx.runDir, "logs", `${t.id}.r${round}`);
    const options = { port: target.port, headers: HEADERS, cpus: load.cpus };
    await runWrk(ctx.group, load.wrk, WARMUP_SECONDS, { ...options, log: `${logBase}.warmup.wrk.txt` });
    const pid = target.process?.pid;
    const accepts0 = await backendAccepts(statusPort);
    const [proxy0, backend0, cpu0, all0] = [pid ? treeTicks(pid) : 0, treeTicks(backend.pid), cpuTimes(), allStats()];
    const t0 = performance.now();
    const wrk = await runWrk(ctx.group, load.wrk, DURATION, { ...options, log: `${logBase}.wrk.txt` });
    const seconds = (performance.now() - t0) / 1000;
    const [proxy1, backend1, cpu1, all1] = [pid ? treeTicks(pid) : 0, treeTicks(backend.pid), cpuTimes(), allStats()];
    const accepts1 = await backendAccepts(statusPort);
    if (target.process?.hasExited()) {
      throw new Error(`exited during the closed-loop run (${await target.process.exited}): ${tail(await target.process.output())}`);
    }
    const rss = pid ? (target.rssTree ? treeRssKb(pid) : rssKb(pid)) : undefined;
    const perRequest = (ticks: number) => ((ticks / CLK_TCK) * 1e6) / wrk.requests;
    const record: RunRecord = {
      round,
      id: t.id,
      rps: wrk.requestsPerSec,
      requests: wrk.requests,
      p50: wrk.p50,
      p99: wrk.p99,
      errors: wrk.errors,
      errorText: wrk.errorText,
      proxyUsPerReq: pid ? perRequest(proxy1 - proxy0) : undefined,
      backendUsPerReq: perRequest(backend1 - backend0),
      rssKb: rss,
      cpu: cpuUsage(cpu0, cpu1),
      otherPct: (100 * otherTicks(all0, all1, [process.pid])) / CLK_TCK / seconds,
      upstreamConnections: accepts0 !== undefined && accepts1 !== undefined ? accepts1 - accepts0 - 1 : undefined,
    };
    if (load.h2load) {
      try {
        const before = allStats();
        const f0 = performance.now();
        record.fixed = await runFixedRate(ctx.group, load.h2load, DURATION, FIXED_RATE_WARMUP_SECONDS, {
          ...options,
          log: `${logBase}.h2load.txt`,
          logFile: `${logBase}.h2load.log`,
        });
        record.fixedOtherPct = (100 * otherTicks(before, allStats(), [process.pid])) / CLK_TCK / ((performance.now() - f0) / 1000);
      } catch (err) {
        record.fixedError = firstLine(err);
      }
    } else record.fixedError = "h2load missing";
    return record;
  } finally {
    if (target.process) await ctx.group.stop(target.process);
  }
}

/** The backend direct's p99 at 1000 req/s on a quiet machine was 0.41 ms (baselines §4); far above it, "added" means nothing. */
const QUIET_DIRECT_P99_US = 1000;

/** The issue's §12 targets per runtime (with four filters), and the baseline proxy that sets each runtime's floor. */
const RUNTIME_TARGETS: readonly { runtime: Runtime; name: string; minRatio: number; maxRssMb?: number; reference: string }[] = [
  { runtime: "node", name: "Node", minRatio: 0.4, maxRssMb: 100, reference: "ref-node-undici" },
  { runtime: "bun", name: "Bun", minRatio: 0.6, maxRssMb: 60, reference: "ref-bun-fetch" },
  { runtime: "deno", name: "Deno", minRatio: 0.3, reference: "ref-deno-fetch" },
];

/** The issue's §12 targets, each against its figure; "*" marks verdicts whose medians may rest on noisy runs. */
function checks(
  summaries: Summary[],
  runs: RunRecord[],
  labels: Map<string, string>,
  skip: Map<string, string>,
  filterCount: number,
): TargetCheck[] {
  const get = (id: string) => summaries.find((s) => s.id === id);
  const nginx = get("nginx");
  const direct = get("direct");
  // A median can rest on a noisy run once half of a target's runs are noisy.
  const mostly =
    (test: (r: RunRecord) => boolean) =>
    (...ids: string[]) =>
      ids.some((id) => {
        const mine = runs.filter((r) => r.id === id);
        return mine.length > 0 && 2 * mine.filter(test).length >= mine.length;
      });
  const noisyClosed = mostly(noisy);
  const noisyRate = mostly(noisyFixed);
  const absent = (id: string): string => skip.get(id) ?? "not measured (not in WEIR_BENCH_TARGETS)";
  const partial = filterCount < 4 ? ` — with only ${filterCount} of the 4 filters` : "";
  const out: TargetCheck[] = [];
  const ratio = (id: string, min: number, runtime: string) => {
    const s = get(id);
    const what = `${runtime} + 4 filters: req/s ≥ ${min.toFixed(2)}× nginx`;
    if (!s) return out.push({ what, pass: undefined, figure: absent(id) });
    if (!nginx) return out.push({ what, pass: undefined, figure: `${int(s.rps)} req/s, but no nginx figure: ${absent("nginx")}` });
    const r = s.rps / nginx.rps;
    const figure = `${r.toFixed(3)}× (${int(s.rps)} vs nginx ${int(nginx.rps)} req/s; ${s.proxyUsPerReq?.toFixed(1)} vs ${nginx.proxyUsPerReq?.toFixed(1)} CPU µs/req)${partial}`;
    out.push({ what, pass: r >= min, figure, noisy: noisyClosed(id, "nginx") });
  };
  for (const t of RUNTIME_TARGETS) ratio(`weir-${t.runtime}-filters`, t.minRatio, t.name);
  // What each ratio asks of the proxy in CPU on the shared core, beside what the runtime's bare
  // reference proxy spends in the same session: a target its own floor cannot meet says so.
  for (const { runtime, minRatio: min, reference: ref } of RUNTIME_TARGETS) {
    const s = get(`weir-${runtime}-filters`);
    const floor = get(ref);
    const backend = floor?.backendUsPerReq ?? s?.backendUsPerReq;
    if (!s || !nginx || backend === undefined) continue;
    const wanted = min * nginx.rps;
    const budget = 1e6 / wanted - backend;
    const floorText = floor?.proxyUsPerReq !== undefined ? `; ${ref} alone spends ${floor.proxyUsPerReq.toFixed(1)}` : "";
    out.push({
      what: `${labels.get(s.id)}: the ${min.toFixed(2)}× budget`,
      pass: undefined,
      info: true,
      figure: `${int(wanted)} req/s leaves ${budget.toFixed(1)} proxy CPU µs/req beside the backend's ${backend.toFixed(1)}; weir spends ${s.proxyUsPerReq?.toFixed(1)}${floorText}`,
    });
  }
  {
    const s = get("weir-node-filters");
    const what = "Node + 4 filters: added p99 at 1000 req/s ≤ 1 ms";
    if (!s) out.push({ what, pass: undefined, figure: absent("weir-node-filters") });
    else if (s.fixedP99 === undefined || direct?.fixedP99 === undefined)
      out.push({ what, pass: undefined, figure: "needs the fixed-rate runs of it and of the backend direct" });
    else if (direct.fixedP99 > QUIET_DIRECT_P99_US)
      out.push({
        what,
        pass: undefined,
        figure: `p99 ${us(s.fixedP99)}, but the backend direct's own p99 was ${us(direct.fixedP99)} (0.41 ms when quiet): too disturbed to subtract`,
      });
    else {
      const a = s.fixedP99 - direct.fixedP99;
      const figure = `${added(a)} (p99 ${us(s.fixedP99)} vs direct ${us(direct.fixedP99)})${partial}`;
      out.push({ what, pass: a <= 1000, figure, noisy: noisyRate("weir-node-filters", "direct") });
    }
  }
  const rss = (id: string, maxMb: number, runtime: string) => {
    const s = get(id);
    const what = `${runtime} + 4 filters: RSS ≤ ${maxMb} MB`;
    if (!s || s.rssKb === undefined) return out.push({ what, pass: undefined, figure: absent(id) });
    out.push({ what, pass: s.rssKb / 1024 <= maxMb, figure: `${mb(s.rssKb)} MB after the closed-loop run${partial}` });
  };
  for (const t of RUNTIME_TARGETS) if (t.maxRssMb !== undefined) rss(`weir-${t.runtime}-filters`, t.maxRssMb, t.name);
  // For reading the above: the same figures without filters, and what the chain adds.
  for (const { runtime } of RUNTIME_TARGETS) {
    const id = `weir-${runtime}`;
    const s = get(id);
    if (!s) continue;
    const r = nginx ? `${(s.rps / nginx.rps).toFixed(3)}× nginx, ` : "";
    const a = s.fixedP99 !== undefined && direct?.fixedP99 !== undefined ? `added p99 ${added(s.fixedP99 - direct.fixedP99)}, ` : "";
    const withFilters = get(`${id}-filters`);
    const chain =
      withFilters?.proxyUsPerReq !== undefined && s.proxyUsPerReq !== undefined
        ? `; the ${filterCount} filters add ${(withFilters.proxyUsPerReq - s.proxyUsPerReq).toFixed(1)} CPU µs/req and ${mb((withFilters.rssKb ?? 0) - (s.rssKb ?? 0))} MB`
        : "";
    const figure = `${r}${a}${s.proxyUsPerReq?.toFixed(1)} CPU µs/req, ${mb(s.rssKb)} MB${chain}`;
    out.push({ what: `${labels.get(id)}`, pass: undefined, info: true, figure });
  }
  // The floor each runtime's native path sets in this session: the baseline's minimal proxy on it.
  for (const { runtime, reference: ref } of RUNTIME_TARGETS) {
    const r = get(ref);
    if (!r) continue;
    const vsNginx = nginx ? `${(r.rps / nginx.rps).toFixed(3)}× nginx, ` : "";
    const weir = [`weir-${runtime}`, `weir-${runtime}-filters`]
      .map((id) => get(id))
      .filter((s) => s !== undefined)
      .map((s) => `${labels.get(s.id)} ${(s.rps / r.rps).toFixed(2)}× its req/s`);
    const figure = `${vsNginx}${r.proxyUsPerReq?.toFixed(1)} CPU µs/req, ${mb(r.rssKb)} MB${weir.length ? `; ${weir.join(", ")}` : ""}`;
    out.push({ what: `${ref} (reference, no weir)`, pass: undefined, info: true, figure });
  }
  return out;
}

function fail(message: string): number {
  console.error(`weir proxy benchmark: ${message}`);
  return 1;
}

const code = await main().catch((err: Error) => {
  console.error(`weir proxy benchmark failed: ${err.stack ?? err.message}`);
  return 1;
});
// Every process the benchmark started is stopped by now; exit even if a keep-alive socket lingers.
process.exit(code);
