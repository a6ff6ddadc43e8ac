/**
 * `weir proxy -c weir.yaml`, runtime-neutral: loads the config, starts the proxy, the admin
 * API (Hono), the access log and the stats, and keeps the config hot: a file change or
 * SIGHUP (the runtime calls `reload()`) builds a new generation; an invalid config or a
 * filter that fails to load keeps the old one serving, logged and shown in the admin API.
 */

import type { Logger } from "../abi/types.ts";
import { createAdminApp } from "../admin/app.ts";
import type { FilterStatus as AdminFilterStatus, ClusterStatus } from "../admin/types.ts";
import { createAccessLogger } from "./access-log/logger.ts";
import { createAccessLogRecord } from "./access-log/record.ts";
import type { ResponseFlag } from "./access-log/response-flags.ts";
import { loadConfig, type ReadTextFile } from "./config/load.ts";
import type { ProxyConfig } from "./config/types.ts";
import { type ConfigWatcher, type WatchFile, watchConfig } from "./config/watch.ts";
import type { ExchangeRecord } from "./http/proxy-stream.ts";
import { WeirProxy } from "./proxy.ts";
import type { ListenerHandle, RuntimeAdapter } from "./runtime-adapter.ts";
import { adoptEnvoyStats } from "./stats/envoy-names.ts";
import { createFilterStats, type FilterStats } from "./stats/filter-stats.ts";
import { createHttpStats, type HttpStats } from "./stats/http-stats.ts";
import { StatsRegistry } from "./stats/registry.ts";
import { adoptWasmMetrics } from "./stats/wasm-metrics.ts";

export interface SidecarOptions {
  configPath: string;
  /** Folder of the config file (relative filter and certificate paths). */
  baseDir: string;
  readTextFile: ReadTextFile;
  /** Watch the config for changes (omit to reload only on demand). */
  watch?: WatchFile;
  logger: Logger;
}

export interface Sidecar {
  readonly proxy: WeirProxy;
  readonly admin: ListenerHandle;
  readonly stats: StatsRegistry;
  /** Re-reads the config (SIGHUP). Resolves false when the new config was refused (the old one keeps serving). */
  reload(): Promise<boolean>;
  /** SIGTERM: stop accepting, finish in-flight requests within the drain timeout, close everything. */
  shutdown(): Promise<void>;
}

function sidecarLog(logger: Logger, level: "info" | "warn" | "error", message: string): void {
  logger({ level, filter: "-", message: `[proxy] ${message}` });
}

export async function runSidecar(runtime: RuntimeAdapter, options: SidecarOptions): Promise<Sidecar> {
  const { logger } = options;
  const stats = new StatsRegistry();
  const httpStats = new Map<string, HttpStats>();
  const listenerStats = (name: string) => {
    let s = httpStats.get(name);
    if (s === undefined) {
      s = createHttpStats(stats, name);
      httpStats.set(name, s);
    }
    return s;
  };
  let config: ProxyConfig = await loadConfig(options.configPath, { readFile: options.readTextFile });
  let accessLog = makeAccessLog(config);
  function makeAccessLog(c: ProxyConfig) {
    return createAccessLogger({
      format: c.accessLog.format,
      sink: { write: runtime.logSink(c.accessLog.path) },
      onError: (err) => sidecarLog(logger, "warn", `access log: ${(err as Error)?.message ?? err}`),
    });
  }
  const onExchange = (record: ExchangeRecord, listener: string) => {
    const s = listenerStats(listener);
    s.downstream_rq_total.inc();
    if (record.status > 0) s.responses.record(record.status);
    for (const flag of record.flags) s.response_flags.get(flag).inc();
    if (record.flags.includes("NR")) s.no_route.inc();
    if (record.flags.includes("NC")) s.no_cluster.inc();
    if (record.details === "direct_response") s.rq_direct_response.inc();
    if (record.details === "redirect") s.rq_redirect.inc();
    s.downstream_rq_time.record(record.durationMs);
    if (!accessLog.enabled) return;
    const req = record.request;
    const headers = record.requestHeaders;
    accessLog.log(
      createAccessLogRecord({
        startTime: Date.now() - record.durationMs,
        method: req.method,
        path: req.path,
        protocol: req.protocol,
        responseCode: record.status,
        responseFlags: record.flags as ResponseFlag[],
        responseCodeDetails: record.details ?? (record.upstreamHost ? "via_upstream" : undefined),
        bytesReceived: record.bytesReceived,
        bytesSent: record.bytesSent,
        duration: record.durationMs,
        xForwardedFor: headers.get("x-forwarded-for"),
        userAgent: headers.get("user-agent"),
        requestId: headers.get("x-request-id"),
        authority: req.authority,
        upstreamHost: record.upstreamHost,
        upstreamCluster: record.cluster,
        routeName: record.route,
        upstreamRequestAttemptCount: record.attempts,
        downstreamRemoteAddress: `${req.remoteAddress}:${req.remotePort}`,
      }),
    );
  };

  const proxy = await WeirProxy.start(config, runtime, { baseDir: options.baseDir, logger, onExchange });
  /** Why the latest config change was refused (bad YAML, or a filter that would not load); cleared by a good one. */
  let lastConfigError: string | undefined;
  adoptWasmMetrics(stats, proxy.host.state.metrics);
  // Per-filter stats follow the loaded filters across reloads (counts carry over a hot swap).
  const filterStats = new Map<string, FilterStats>();
  const adoptFilters = () => {
    for (const { listener, filter } of proxy.loadedFilters()) {
      const key = `${listener}\0${filter.name}`;
      let s = filterStats.get(key);
      if (s === undefined) {
        s = createFilterStats(stats, filter.name, { listener });
        filterStats.set(key, s);
      }
      const set = s;
      set.adopt(filter);
      filter.onFailure = (error) => set.recordTrap(error);
    }
  };
  adoptFilters();
  adoptEnvoyStats(stats, "cluster", () =>
    proxy.clusters.snapshot().map((c) => [{ cluster: c.name }, proxy.clusters.stats()[c.name] ?? {}] as const),
  );

  const app = createAdminApp({
    stats,
    readiness: () => proxy.readiness(),
    clusters: () => proxy.clusters.snapshot() as unknown as ClusterStatus[],
    configDump: () => ({ config: proxy.config, lastReloadError: lastConfigError ?? null }),
    filters: () =>
      proxy.filterStatus().map(
        (f): AdminFilterStatus => ({
          name: f.name,
          listener: f.listener,
          source: f.source,
          digest: f.digest || null,
          state: f.state as AdminFilterStatus["state"],
          lastError: f.lastError ?? null,
          counters: f.counters,
        }),
      ),
  });
  let admin: ListenerHandle;
  try {
    admin = await runtime.serve(config.admin.address, config.admin.port, (request) => app.fetch(request));
  } catch (err) {
    await proxy.close(0);
    throw new Error(`cannot start the admin API on ${config.admin.address}:${config.admin.port}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  sidecarLog(
    logger,
    "info",
    `listening: ${Object.entries(proxy.ports)
      .map(([n, p]) => `${n}=${p}`)
      .join(" ")}; admin on ${config.admin.address}:${admin.port}`,
  );

  const apply = async (next: ProxyConfig) => {
    try {
      await proxy.reload(next);
    } catch (err) {
      lastConfigError = (err as Error).message;
      throw err;
    }
    lastConfigError = undefined;
    config = next;
    adoptFilters();
    accessLog = makeAccessLog(next);
    sidecarLog(logger, "info", "config reloaded");
  };
  let watcher: ConfigWatcher | undefined;
  if (options.watch) {
    watcher = await watchConfig(options.configPath, {
      readFile: options.readTextFile,
      watch: options.watch,
      onChange: apply,
      onError: (err) => {
        lastConfigError = err.message;
        sidecarLog(logger, "error", `config change refused, still serving the previous config:\n${err.message}`);
      },
    });
  }

  return {
    proxy,
    admin,
    stats,
    async reload() {
      try {
        if (watcher) await watcher.reload();
        else await apply(await loadConfig(options.configPath, { readFile: options.readTextFile }));
        return proxy.lastReloadError === undefined && watcher?.lastError === undefined;
      } catch (err) {
        lastConfigError = (err as Error).message;
        sidecarLog(logger, "error", `reload refused, still serving the previous config:\n${(err as Error).message}`);
        return false;
      }
    },
    async shutdown() {
      watcher?.close();
      sidecarLog(logger, "info", "draining");
      await proxy.drain();
      await proxy.close(0);
      await admin.close(0);
    },
  };
}
