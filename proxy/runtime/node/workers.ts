/**
 * `workers: N | auto` on Node: node:cluster. The primary process forks N workers; each runs the
 * whole sidecar (filters, routers, clusters, listeners) on the same ports, and node:cluster's
 * primary hands accepted connections to the workers in turn. The primary serves the admin API
 * alone, answering from the workers over IPC: `/stats` sums every worker's stats, `/ready` is
 * ready only when every worker is, `/clusters`, `/config_dump` and `/filters` show the first
 * worker's view, and `/workers` lists the workers. SIGHUP to the primary reloads every worker;
 * SIGTERM or SIGINT drains every worker and exits 0 once they have. A worker that dies is
 * replaced. What is shared and what is not: `WORKERS.md`.
 */

import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { createAdminApp } from "../../admin/app.ts";
import type { ClusterStatus, FilterStatus, Readiness } from "../../admin/types.ts";
import { loadConfig, type ReadTextFile } from "../../core/config/load.ts";
import type { ProxyConfig } from "../../core/config/types.ts";
import type { ListenerHandle } from "../../core/runtime-adapter.ts";
import type { Sidecar } from "../../core/sidecar.ts";
import { type CollectedStat, type FamilyView, type Labels, StatsRegistry } from "../../core/stats/registry.ts";
import { serveFetch } from "./fetch-server.ts";

const ENV_WORKER = "WEIR_WORKER";
const ENV_ADMIN_PORT = "WEIR_ADMIN_PORT";
/** How long the primary waits for a worker's IPC answer. */
const ASK_TIMEOUT_MS = 2_000;
/** Extra time a drain may take past the longest listener drainTimeout before workers are killed. */
const DRAIN_GRACE_MS = 5_000;
/** Time before a crashed worker is replaced. */
const RESPAWN_DELAY_MS = 1_000;

type AdminFetch = (request: Request) => Response | Promise<Response>;
type Log = (level: "info" | "warn" | "error", message: string) => void;

/** Messages between the primary and a worker; `weir` tells them apart from node:cluster's own. */
type Question = { weir: "admin"; path: string } | { weir: "stats" };
type ToWorker = (Question & { id: number }) | { weir: "reload" } | { weir: "shutdown" };
type FromWorker =
  | { weir: "ready" }
  | { weir: "admin-reply"; id: number; status: number; contentType: string; body: string }
  | { weir: "stats-reply"; id: number; families: FamilyView[] };

/** How many workers `workers` asks for on this machine. */
export function workerCount(workers: ProxyConfig["workers"]): number {
  return workers === "auto" ? availableParallelism() : workers;
}

/** True in a process the primary forked. */
export function isWorker(): boolean {
  return cluster.isWorker && process.env[ENV_WORKER] === "1";
}

/**
 * Decides how `weir proxy` runs: the primary of a worker group (the config asks for more than
 * one worker), or the sidecar in this process (one worker, or a config that does not load: the
 * sidecar then reports the problems as usual). Not for worker processes (`isWorker()`).
 */
export async function planWorkers(
  configPath: string,
  readTextFile: ReadTextFile,
): Promise<{ count: number; config: ProxyConfig } | undefined> {
  let config: ProxyConfig;
  try {
    config = await loadConfig(configPath, { readFile: readTextFile });
  } catch {
    return undefined;
  }
  const count = workerCount(config.workers);
  return count > 1 ? { count, config } : undefined;
}

function log(level: "info" | "warn" | "error", message: string): void {
  (level === "info" ? console.log : console.error)(`[weir] ${level} [proxy] ${message}`);
}

// ---- the worker side ------------------------------------------------------------------------------

/**
 * In a worker: the runtime option that hands the admin app to the primary instead of binding
 * the admin port (`createNodeRuntime({ admin })`).
 */
export function workerAdmin(): { adopt(fetch: AdminFetch): ListenerHandle; readonly fetch: AdminFetch | undefined } {
  let adopted: AdminFetch | undefined;
  return {
    adopt(fetch) {
      adopted = fetch;
      return { port: Number(process.env[ENV_ADMIN_PORT] ?? 0), close: async () => {} };
    },
    get fetch() {
      return adopted;
    },
  };
}

/** A worker that could not start: lets the process end (the IPC channel would keep it alive). */
export function workerFailed(code: number): number {
  letGo();
  return code;
}

/**
 * Closes the IPC channel so the worker can exit with its own exit code. (`process.disconnect()`
 * would make node:cluster exit the worker at once with 0, as for a primary that went away.)
 */
function letGo(): void {
  if (process.connected) cluster.worker?.disconnect();
}

/**
 * Serves a started sidecar as a worker: tells the primary it is ready, answers its admin and
 * stats questions, reloads on its word (or SIGHUP), drains on its word (or SIGTERM/SIGINT, as
 * Ctrl-C signals the whole process group). Resolves with the exit code once drained.
 */
export function serveWorker(sidecar: Sidecar, admin: { readonly fetch: AdminFetch | undefined }): Promise<number> {
  const send = (message: FromWorker) => {
    if (process.connected) process.send?.(message);
  };
  return new Promise((done) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void sidecar.shutdown().then(() => {
        process.off("message", onMessage);
        // The IPC channel would keep the process alive; anything else still open gets a moment.
        letGo();
        setTimeout(() => process.exit(0), 2_000).unref();
        done(0);
      });
    };
    const onMessage = (message: ToWorker) => {
      switch (message?.weir) {
        case "admin":
          void answerAdmin(admin.fetch, message.path).then((reply) => send({ weir: "admin-reply", id: message.id, ...reply }));
          return;
        case "stats":
          send({ weir: "stats-reply", id: message.id, families: sidecar.stats.families() });
          return;
        case "reload":
          void sidecar.reload();
          return;
        case "shutdown":
          stop();
          return;
      }
    };
    process.on("message", onMessage);
    process.on("SIGHUP", () => void sidecar.reload());
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    send({ weir: "ready" });
  });
}

async function answerAdmin(fetch: AdminFetch | undefined, path: string): Promise<{ status: number; contentType: string; body: string }> {
  if (fetch === undefined) return { status: 503, contentType: "text/plain", body: "this worker has no admin app\n" };
  try {
    const res = await fetch(new Request(`http://weir-admin${path}`));
    return { status: res.status, contentType: res.headers.get("content-type") ?? "text/plain", body: await res.text() };
  } catch (err) {
    return { status: 500, contentType: "text/plain", body: `${(err as Error).message}\n` };
  }
}

// ---- the primary side -----------------------------------------------------------------------------

interface Slot {
  /** 1-based, stable across replacements: what logs and `/workers` call the worker. */
  index: number;
  worker: Worker | undefined;
  ready: boolean;
  started: number;
  restarts: number;
  /** The worker's stats at the last scrape. */
  families: FamilyView[];
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Sums the workers' stats: counters, gauges and histograms alike, series by series. */
function sumFamilies(all: FamilyView[][]): CollectedStat[] {
  const sums = new Map<string, CollectedStat>();
  for (const families of all) {
    for (const family of families) {
      for (const s of family.series) {
        const key = `${family.name}\u0000${labelKey(s.labels)}`;
        const prev = sums.get(key);
        if (prev === undefined) {
          sums.set(
            key,
            s.type === "histogram"
              ? { ...s, counts: [...s.counts], name: family.name, help: family.help }
              : { ...s, name: family.name, help: family.help },
          );
        } else if (prev.type === "histogram" && s.type === "histogram") {
          if (prev.counts.length !== s.counts.length) continue;
          prev.counts = prev.counts.map((c, i) => c + s.counts[i]);
          prev.sum += s.sum;
          prev.count += s.count;
        } else if (prev.type !== "histogram" && s.type !== "histogram") {
          prev.value += s.value;
        }
      }
    }
  }
  return [...sums.values()];
}

function requestsOf(families: FamilyView[]): number {
  const family = families.find((f) => f.name === "http.downstream_rq_total");
  let n = 0;
  for (const s of family?.series ?? []) if (s.type !== "histogram") n += s.value;
  return n;
}

/**
 * Runs the primary of a worker group: binds the admin API, forks `count` workers, and keeps
 * them running until SIGTERM/SIGINT. Resolves with the exit code: 0 after a drain, 1 when the
 * admin API or a worker failed to start.
 */
export async function runPrimary(config: ProxyConfig, count: number, logger: Log = log): Promise<number> {
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({
    index: i + 1,
    worker: undefined,
    ready: false,
    started: 0,
    restarts: 0,
    families: [],
  }));
  let stopping = false;
  let nextId = 1;
  const pending = new Map<number, (reply: FromWorker) => void>();

  function ask<R extends FromWorker>(slot: Slot, message: Question): Promise<R> {
    const worker = slot.worker;
    if (worker === undefined || !slot.ready || !worker.isConnected())
      return Promise.reject(new Error(`worker ${slot.index} is not running`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`worker ${slot.index} did not answer within ${ASK_TIMEOUT_MS} ms`));
      }, ASK_TIMEOUT_MS);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(reply as R);
      });
      try {
        worker.send({ ...message, id } as ToWorker);
      } catch (err) {
        clearTimeout(timer);
        pending.delete(id);
        reject(err);
      }
    });
  }

  async function askAdmin(slot: Slot, path: string): Promise<{ status: number; body: string }> {
    return ask<Extract<FromWorker, { weir: "admin-reply" }>>(slot, { weir: "admin", path });
  }

  /** The first worker that answers `path` with JSON. */
  async function firstJson(path: string): Promise<unknown> {
    for (const slot of slots) {
      try {
        return JSON.parse((await askAdmin(slot, path)).body);
      } catch {}
    }
    return undefined;
  }

  async function refreshStats(): Promise<void> {
    await Promise.all(
      slots.map(async (slot) => {
        try {
          slot.families = (await ask<Extract<FromWorker, { weir: "stats-reply" }>>(slot, { weir: "stats" })).families;
        } catch {}
      }),
    );
  }

  const stats = new StatsRegistry();
  stats.addCollector(() => sumFamilies(slots.map((s) => s.families)));
  stats.gaugeFrom("server.workers", {}, () => slots.filter((s) => s.ready).length, "Workers serving");

  const app = createAdminApp({
    stats,
    readiness: async (): Promise<Readiness> => {
      const reasons: string[] = stopping ? ["draining"] : [];
      await Promise.all(
        slots.map(async (slot) => {
          try {
            const r = JSON.parse((await askAdmin(slot, "/ready?format=json")).body) as Readiness;
            for (const reason of r.reasons) reasons.push(`worker ${slot.index}: ${reason}`);
          } catch (err) {
            reasons.push((err as Error).message);
          }
        }),
      );
      return { ready: reasons.length === 0, reasons };
    },
    clusters: async () => ((await firstJson("/clusters")) as { clusters?: ClusterStatus[] } | undefined)?.clusters ?? [],
    configDump: () => firstJson("/config_dump").then((d) => d ?? null),
    filters: async () => ((await firstJson("/filters")) as { filters?: FilterStatus[] } | undefined)?.filters ?? [],
  });

  const fetch = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname.replace(/\/+$/, "") || "/";
    if (path === "/stats" || path === "/stats/prometheus") await refreshStats();
    if (path === "/workers" && request.method === "GET") {
      await refreshStats();
      const workers = slots.map((s) => ({
        index: s.index,
        pid: s.worker?.process.pid ?? null,
        state: s.ready ? "serving" : s.worker ? "starting" : "down",
        restarts: s.restarts,
        requests: requestsOf(s.families),
      }));
      return new Response(`${JSON.stringify({ workers }, null, 2)}\n`, {
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      });
    }
    return app.fetch(request);
  };

  let admin: ListenerHandle;
  try {
    admin = await serveFetch(config.admin.address, config.admin.port, fetch);
  } catch (err) {
    logger("error", `cannot start the admin API on ${config.admin.address}:${config.admin.port}: ${(err as Error).message}`);
    return 1;
  }

  cluster.setupPrimary({ serialization: "advanced" });
  let startupFailed: ((slot: Slot, code: number | null) => void) | undefined;
  let allReady: (() => void) | undefined;

  function fork(slot: Slot): void {
    const worker = cluster.fork({ [ENV_WORKER]: "1", [ENV_ADMIN_PORT]: String(admin.port) });
    slot.worker = worker;
    slot.ready = false;
    slot.started = Date.now();
    worker.on("message", (message: FromWorker) => {
      if (message?.weir === "ready") {
        slot.ready = true;
        if (slots.every((s) => s.ready)) allReady?.();
      } else if (message?.weir === "admin-reply" || message?.weir === "stats-reply") {
        pending.get(message.id)?.(message);
      }
    });
    worker.on("exit", (code, signal) => {
      const wasReady = slot.ready;
      slot.ready = false;
      slot.worker = undefined;
      slot.families = [];
      if (stopping) return;
      if (startupFailed !== undefined && !wasReady) {
        startupFailed(slot, code);
        return;
      }
      logger("warn", `worker ${slot.index} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); starting a new one`);
      slot.restarts++;
      setTimeout(() => {
        if (!stopping && slot.worker === undefined) fork(slot);
      }, RESPAWN_DELAY_MS).unref();
    });
  }

  const drainTimeout = Math.max(0, ...config.listeners.map((l) => l.drainTimeout));
  async function stopWorkers(): Promise<void> {
    const live = slots.filter((s) => s.worker !== undefined);
    const exits = live.map((s) => {
      const w = s.worker as Worker;
      return new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once("exit", () => resolve())));
    });
    for (const slot of live) {
      const w = slot.worker as Worker;
      try {
        // A serving worker drains; one still starting has nothing to drain yet.
        if (slot.ready) w.send({ weir: "shutdown" } satisfies ToWorker);
        else w.process.kill("SIGTERM");
      } catch {
        w.process.kill("SIGTERM");
      }
    }
    const deadline = setTimeout(() => {
      for (const s of live) if (s.worker && !s.worker.isDead()) s.worker.process.kill("SIGKILL");
    }, drainTimeout + DRAIN_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(deadline);
  }

  // SIGTERM/SIGINT drain, from the start on (a worker still starting is stopped too).
  let onStop: (() => void) | undefined;
  const signalled = () => onStop?.();
  const reload = () => {
    for (const slot of slots) {
      try {
        slot.worker?.send({ weir: "reload" } satisfies ToWorker);
      } catch {}
    }
  };
  process.on("SIGTERM", signalled);
  process.on("SIGINT", signalled);
  process.on("SIGHUP", reload);
  const finish = async (code: number) => {
    process.off("SIGTERM", signalled);
    process.off("SIGINT", signalled);
    process.off("SIGHUP", reload);
    stopping = true;
    await stopWorkers();
    await admin.close(0);
    return code;
  };

  // Start every worker; one that exits before it is ready fails the start.
  const outcome = await new Promise<"ready" | "failed" | "stopped">((resolve) => {
    startupFailed = (slot, code) => {
      logger("error", `worker ${slot.index} failed to start (exit code ${code}); stopping`);
      resolve("failed");
    };
    allReady = () => resolve("ready");
    onStop = () => resolve("stopped");
    for (const slot of slots) fork(slot);
  });
  startupFailed = undefined;
  allReady = undefined;
  if (outcome !== "ready") return finish(outcome === "failed" ? 1 : 0);
  logger(
    "info",
    `${count} workers serving (pids ${slots.map((s) => s.worker?.process.pid).join(", ")}); admin on ${config.admin.address}:${admin.port}`,
  );
  return new Promise((done) => {
    onStop = () => {
      onStop = undefined;
      logger("info", `draining ${count} workers`);
      void finish(0).then(done);
    };
  });
}
