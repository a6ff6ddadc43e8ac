/**
 * What the proxy benchmark measures: the backend direct, nginx and haproxy as reverse
 * proxies (the baseline's configs), and weir on Node, Bun and Deno, each with no filters and
 * with the first-party filter chain. Each target starts fresh for each measurement, pinned to
 * the server CPU beside the backend, and is checked with one request (200, body "ok\n")
 * before any load.
 */

import { existsSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { makeNginxDirs, weirConfig, writeTemplate } from "./configs.ts";
import { API_KEY, API_KEY_HEADER, type BuiltFilter } from "./first-party.ts";
import { canConnect, type ProcessGroup, type Started, tail, waitUntil } from "./processes.ts";
import { REPO_ROOT } from "./repo.ts";
import { BUN, DENO } from "./tools.ts";

export type Runtime = "node" | "bun" | "deno";

export interface TargetSpec {
  /** The name `WEIR_BENCH_TARGETS` uses. */
  id: string;
  /** `reference`: the baseline's minimal proxy on that runtime (not weir), the floor its native path sets. */
  kind: "direct" | "nginx" | "haproxy" | "weir" | "reference";
  runtime?: Runtime;
  /** weir with the first-party chain. */
  withFilters?: boolean;
}

export const TARGETS: TargetSpec[] = [
  { id: "direct", kind: "direct" },
  { id: "nginx", kind: "nginx" },
  { id: "haproxy", kind: "haproxy" },
  { id: "ref-node-undici", kind: "reference", runtime: "node" },
  { id: "weir-node", kind: "weir", runtime: "node" },
  { id: "weir-node-filters", kind: "weir", runtime: "node", withFilters: true },
  { id: "ref-bun-fetch", kind: "reference", runtime: "bun" },
  { id: "weir-bun", kind: "weir", runtime: "bun" },
  { id: "weir-bun-filters", kind: "weir", runtime: "bun", withFilters: true },
  { id: "ref-deno-fetch", kind: "reference", runtime: "deno" },
  { id: "weir-deno", kind: "weir", runtime: "deno" },
  { id: "weir-deno-filters", kind: "weir", runtime: "deno", withFilters: true },
];

/** The proxy's entry point on each runtime, and how it is started. */
export const RUNTIME_ENTRY: Record<Runtime, { file: string; command: (config: string) => [string, string[]] }> = {
  node: { file: "bin/weir.js", command: (c) => [process.execPath, [join(REPO_ROOT, "bin/weir.js"), "proxy", "-c", c]] },
  bun: { file: "proxy/runtime/bun/main.ts", command: (c) => [BUN, [join(REPO_ROOT, "proxy/runtime/bun/main.ts"), "proxy", "-c", c]] },
  deno: {
    file: "proxy/runtime/deno/main.ts",
    command: (c) => [DENO, ["run", "-A", join(REPO_ROOT, "proxy/runtime/deno/main.ts"), "proxy", "-c", c]],
  },
};

/** Each runtime's executable. */
export const RUNTIME_BINARY: Record<Runtime, string> = { node: process.execPath, bun: BUN, deno: DENO };

/** Why a runtime's weir cannot run here, or undefined when its entry point exists. */
export function runtimeProblem(runtime: Runtime): string | undefined {
  const entry = RUNTIME_ENTRY[runtime];
  if (!existsSync(join(REPO_ROOT, entry.file))) return `no ${entry.file} yet`;
  if (runtime === "node" && !existsSync(join(REPO_ROOT, "dist/bin/cli.js"))) return "dist/ is not built";
  const binary = RUNTIME_BINARY[runtime];
  if (!existsSync(binary)) return `${binary} is missing (npm install)`;
  return undefined;
}

/** Everything a target needs to start. */
export interface SessionContext {
  group: ProcessGroup;
  runDir: string;
  nginx?: string;
  haproxy?: string;
  backendPort: number;
  /** taskset CPU list for servers, or undefined when not pinning. */
  serverCpus?: string;
  filters: BuiltFilter[];
  /** Ports per target id: [listener, admin]. */
  ports: Map<string, [number, number]>;
}

/** A started target. `pid` is whose CPU (with its children) and RSS are measured. */
export interface RunningTarget {
  port: number;
  process?: Started;
  /** RSS of the process tree (nginx master + worker) or of the main process only (weir). */
  rssTree: boolean;
}

/** Starts a target and checks it answers; throws with a note when it cannot. */
export async function startTarget(spec: TargetSpec, ctx: SessionContext, round: number): Promise<RunningTarget> {
  const [port, adminPort] = ctx.ports.get(spec.id)!;
  if (spec.kind === "direct") return { port: ctx.backendPort, rssTree: true };
  const log = join(ctx.runDir, "logs", `${spec.id}.r${round}.log`);
  const pin = { cpus: ctx.serverCpus, log, cwd: REPO_ROOT };
  let started: Started;
  let ready: () => Promise<boolean> = () => canConnect(port);
  if (spec.kind === "nginx") {
    if (!ctx.nginx) throw new Error("nginx is not installed");
    makeNginxDirs(ctx.runDir, "nginx-proxy");
    const conf = writeTemplate("nginx-proxy.conf", join(ctx.runDir, "nginx-proxy.conf"), {
      RUN_DIR: ctx.runDir,
      PORT: port,
      BACKEND_PORT: ctx.backendPort,
    });
    started = ctx.group.start(
      spec.id,
      ctx.nginx,
      ["-c", conf, "-p", join(ctx.runDir, "nginx-proxy/"), "-e", join(ctx.runDir, "logs/nginx-proxy-error.log")],
      pin,
    );
  } else if (spec.kind === "haproxy") {
    if (!ctx.haproxy) throw new Error("haproxy is not installed");
    const conf = writeTemplate("haproxy.cfg", join(ctx.runDir, "haproxy.cfg"), {
      RUN_DIR: ctx.runDir,
      PORT: port,
      BACKEND_PORT: ctx.backendPort,
    });
    started = ctx.group.start(spec.id, ctx.haproxy, ["-f", conf, "-db"], pin);
  } else if (spec.kind === "reference") {
    const runtime = spec.runtime!;
    const template = runtime === "node" ? "ref-node-undici.cjs.in" : "ref-fetch.mjs.in";
    const serve =
      runtime === "bun"
        ? `Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: forward });`
        : `Deno.serve({ hostname: "127.0.0.1", port: ${port}, onListen() {} }, forward);`;
    const script = writeTemplate(template, join(ctx.runDir, `${spec.id}.${runtime === "node" ? "cjs" : "mjs"}`), {
      PORT: port,
      BACKEND_PORT: ctx.backendPort,
      UNDICI: createRequire(import.meta.url).resolve("undici"),
      SERVE: serve,
    });
    const args = runtime === "deno" ? ["run", "--allow-net", "--allow-env", "--no-lock", script] : [script];
    started = ctx.group.start(spec.id, RUNTIME_BINARY[runtime], args, pin);
  } else {
    const runtime = spec.runtime!;
    const file = join(ctx.runDir, `${spec.id}.yaml`);
    writeFileSync(file, weirConfig({ port, adminPort, backendPort: ctx.backendPort, filters: spec.withFilters ? ctx.filters : [] }));
    const [command, args] = RUNTIME_ENTRY[runtime].command(file);
    started = ctx.group.start(spec.id, command, args, pin);
    ready = async () => (await fetch(`http://127.0.0.1:${adminPort}/ready`, { signal: AbortSignal.timeout(1000) })).status === 200;
  }
  const target: RunningTarget = { port, process: started, rssTree: spec.kind !== "weir" };
  const waited = await waitUntil(started, ready, spec.kind === "weir" ? 60_000 : 10_000);
  if (waited !== "ready") {
    await ctx.group.stop(started);
    const why = waited === "exited" ? `exited at start-up (${await started.exited})` : "not ready after the start-up timeout";
    throw new Error(`${why}: ${tail(await started.output()) || "no output"}`);
  }
  const problem = await checkAnswer(port);
  if (problem) {
    await ctx.group.stop(started);
    throw new Error(`${problem}; log: ${tail(await started.output()) || "empty"}`);
  }
  return target;
}

/** One request like the load generators' must get 200 "ok\n"; returns what was wrong otherwise. */
export async function checkAnswer(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { [API_KEY_HEADER]: API_KEY }, signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    if (res.status !== 200 || body !== "ok\n") return `answered ${res.status} ${JSON.stringify(body.slice(0, 80))} instead of 200 "ok\\n"`;
    return undefined;
  } catch (err) {
    return `request failed: ${(err as Error).message}`;
  }
}

/** The backend: nginx `return 200 "ok\n"` (the baseline's backend.conf), with a stub_status side channel. */
export async function startBackend(ctx: SessionContext, nginx: string, statusPort: number): Promise<Started> {
  makeNginxDirs(ctx.runDir, "nginx-backend");
  const conf = writeTemplate("backend.conf", join(ctx.runDir, "backend.conf"), {
    RUN_DIR: ctx.runDir,
    BACKEND_PORT: ctx.backendPort,
    STATUS_PORT: statusPort,
  });
  const log = join(ctx.runDir, "logs", "backend.log");
  const started = ctx.group.start(
    "backend",
    nginx,
    ["-c", conf, "-p", join(ctx.runDir, "nginx-backend/"), "-e", join(ctx.runDir, "logs/backend-error.log")],
    {
      cpus: ctx.serverCpus,
      log,
    },
  );
  const waited = await waitUntil(started, () => canConnect(ctx.backendPort), 10_000);
  const problem = waited === "ready" ? await checkAnswer(ctx.backendPort) : `${waited}: ${tail(await started.output())}`;
  if (problem) throw new Error(`the backend nginx did not start: ${problem}`);
  return started;
}

/** Connections the backend has accepted so far (stub_status), or undefined when it cannot tell. */
/** Each probe opens exactly one connection of its own (no agent), so a delta between two probes counts 1 for the probe. */
export function backendAccepts(statusPort: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port: statusPort, path: "/", agent: false, timeout: 2000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        const m = /server accepts handled requests\s+(\d+)/.exec(text);
        resolve(m ? Number(m[1]) : undefined);
      });
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
  });
}
