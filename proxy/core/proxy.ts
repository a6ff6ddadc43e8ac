/**
 * The running proxy. A *generation* is everything built from one config — filters, routers,
 * clusters — and listeners always hand requests to the current one. A reload builds the next
 * generation completely (a bad config or a filter that fails to load leaves the current one
 * serving), swaps it in atomically, and retires the old one once its in-flight requests end:
 * new streams get the new filters, in-flight streams finish on the old ones (DESIGN.md "Hot
 * loading").
 */

import type { Filter } from "../abi/filter.ts";
import { HeaderMap } from "../abi/header-map.ts";
import { createHost, type Host } from "../abi/host.ts";
import type { HttpCallUpstream, Logger } from "../abi/types.ts";
import { ClusterManager } from "./cluster-manager.ts";
import type { FilterConfig, ListenerConfig, ProxyConfig } from "./config/types.ts";
import { type ExchangeRecord, handleRequest } from "./http/proxy-stream.ts";
import type { Router } from "./http/routing-types.ts";
import type { DownstreamRequest, ProxyResponse } from "./http/types.ts";
import { createRouter } from "./router.ts";
import type { ListenerHandle, RuntimeAdapter } from "./runtime-adapter.ts";

export interface ProxyOptions {
  /** Folder relative filter paths are resolved against (the config file's). */
  baseDir: string;
  logger?: Logger;
  /** Called for every finished request (access log, stats). */
  onExchange?(record: ExchangeRecord, listener: string): void;
}

interface Generation {
  config: ProxyConfig;
  clusters: ClusterManager;
  handlers: Map<string, (req: DownstreamRequest) => Promise<ProxyResponse>>;
  filters: Map<string, Filter[]>;
  inFlight: number;
  retired: boolean;
  onIdle?: () => void;
}

export interface FilterStatus {
  listener: string;
  name: string;
  source: string;
  digest: string;
  state: string;
  lastError: string | undefined;
  counters: { streams: number; failures: number; reloads: number };
}

export class WeirProxy {
  readonly host: Host;
  #runtime: RuntimeAdapter;
  #options: ProxyOptions;
  #current!: Generation;
  #listeners = new Map<string, { handle: ListenerHandle; config: ListenerConfig }>();
  #draining = false;
  /** The last reload's failure, for the log and the admin API; undefined after a good reload. */
  lastReloadError: Error | undefined;

  private constructor(runtime: RuntimeAdapter, options: ProxyOptions) {
    this.#runtime = runtime;
    this.#options = options;
    this.host = createHost({
      logger: options.logger,
      crypto: runtime.crypto,
      moduleCache: runtime.moduleCache,
      meter: runtime.meter,
      upstream: this.#httpCallUpstream(),
    });
  }

  /** Loads every filter, binds every listener; throws (nothing left running) if any step fails. */
  static async start(config: ProxyConfig, runtime: RuntimeAdapter, options: ProxyOptions): Promise<WeirProxy> {
    const proxy = new WeirProxy(runtime, options);
    proxy.#current = await proxy.#build(config);
    try {
      for (const listener of config.listeners) await proxy.#bind(listener);
    } catch (err) {
      await proxy.close(0);
      throw err;
    }
    return proxy;
  }

  get config(): ProxyConfig {
    return this.#current.config;
  }

  get clusters(): ClusterManager {
    return this.#current.clusters;
  }

  /** Bound ports by listener name. */
  get ports(): Record<string, number> {
    return Object.fromEntries([...this.#listeners].map(([name, l]) => [name, l.handle.port]));
  }

  /** Ready: every listener bound, every filter loaded and ready, clusters warm, not draining. */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (this.#draining) reasons.push("draining");
    for (const l of this.#current.config.listeners) if (!this.#listeners.has(l.name)) reasons.push(`listener ${l.name} is not bound`);
    for (const [listener, filters] of this.#current.filters) {
      for (const f of filters) if (f.state !== "ready") reasons.push(`filter ${f.name} on ${listener} is ${f.state}`);
    }
    if (!this.#current.clusters.warm) reasons.push("clusters are waiting for their first health checks");
    return { ready: reasons.length === 0, reasons };
  }

  /** The current generation's loaded filters, by listener (route-override instances included). */
  loadedFilters(): { listener: string; filter: Filter }[] {
    return [...this.#current.filters].flatMap(([listener, filters]) => filters.map((filter) => ({ listener, filter })));
  }

  filterStatus(): FilterStatus[] {
    const out: FilterStatus[] = [];
    for (const listener of this.#current.config.listeners) {
      const filters = this.#current.filters.get(listener.name) ?? [];
      listener.filters.forEach((cfg, i) => {
        const f = filters[i];
        out.push({
          listener: listener.name,
          name: cfg.name,
          source: "file" in cfg.source ? cfg.source.file : `registry:${cfg.source.registry}`,
          digest: f?.digest ?? "",
          state: f?.state ?? "missing",
          lastError: f?.lastError?.message,
          counters: f?.counters ?? { streams: 0, failures: 0, reloads: 0 },
        });
      });
    }
    return out;
  }

  /** Builds and swaps in a new generation; on failure the current one keeps serving and the error is thrown. */
  async reload(config: ProxyConfig): Promise<void> {
    let next: Generation;
    try {
      next = await this.#build(config);
    } catch (err) {
      this.lastReloadError = err as Error;
      throw err;
    }
    const previous = this.#current;
    this.#current = next;
    this.lastReloadError = undefined;
    // Listeners: bind new ones, rebind moved ones, close removed ones (they drain).
    for (const listener of config.listeners) {
      const bound = this.#listeners.get(listener.name);
      if (
        bound &&
        (bound.config.port !== listener.port ||
          bound.config.address !== listener.address ||
          bound.config.protocol !== listener.protocol ||
          bound.config.direction !== listener.direction ||
          JSON.stringify(bound.config.limits) !== JSON.stringify(listener.limits) ||
          JSON.stringify(bound.config.tls) !== JSON.stringify(listener.tls))
      ) {
        this.#listeners.delete(listener.name);
        void bound.handle.close(listener.drainTimeout);
      }
      if (!this.#listeners.has(listener.name)) await this.#bind(listener);
      else (this.#listeners.get(listener.name) as { config: ListenerConfig }).config = listener;
    }
    for (const [name, bound] of this.#listeners) {
      if (!config.listeners.some((l) => l.name === name)) {
        this.#listeners.delete(name);
        void bound.handle.close(bound.config.drainTimeout);
      }
    }
    this.#retire(previous);
  }

  /** SIGTERM: stop accepting, let in-flight requests finish within each listener's drain timeout. */
  async drain(): Promise<void> {
    this.#draining = true;
    await Promise.all([...this.#listeners.values()].map((l) => l.handle.close(l.config.drainTimeout)));
    this.#listeners.clear();
  }

  async close(timeoutMs = 0): Promise<void> {
    this.#draining = true;
    await Promise.all([...this.#listeners.values()].map((l) => l.handle.close(timeoutMs)));
    this.#listeners.clear();
    if (this.#current) {
      for (const filters of this.#current.filters.values()) for (const f of filters) f.close();
      await this.#current.clusters.close();
    }
  }

  async #bind(listener: ListenerConfig): Promise<void> {
    const handle = await this.#runtime.listen(listener, (req) => this.#dispatch(listener.name, req));
    this.#listeners.set(listener.name, { handle, config: listener });
  }

  #dispatch(listener: string, req: DownstreamRequest): Promise<ProxyResponse> {
    const generation = this.#current;
    const handler = generation.handlers.get(listener);
    if (handler === undefined) return Promise.reject(new Error(`listener ${listener} has no handler`));
    generation.inFlight++;
    return handler(req);
  }

  #exchangeDone(generation: Generation, record: ExchangeRecord, listener: string): void {
    generation.inFlight--;
    this.#options.onExchange?.(record, listener);
    if (generation.retired && generation.inFlight === 0) generation.onIdle?.();
  }

  #retire(generation: Generation): void {
    generation.retired = true;
    const free = () => {
      for (const filters of generation.filters.values()) for (const f of filters) f.close();
      void generation.clusters.close();
    };
    if (generation.inFlight === 0) free();
    else generation.onIdle = free;
  }

  async #loadFilter(cfg: FilterConfig, listener: string): Promise<Filter> {
    if (!("file" in cfg.source)) {
      throw new Error(`filter ${cfg.name} on listener ${listener}: registry sources are not supported yet (use source: { file: ... })`);
    }
    const path = this.#runtime.resolvePath(this.#options.baseDir, cfg.source.file);
    let module: Uint8Array;
    try {
      module = await this.#runtime.readFile(path);
    } catch (err) {
      throw new Error(`Cannot load filter "${cfg.name}" on listener ${listener}: cannot read ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return this.host.loadFilter({
      name: cfg.name,
      module,
      config: cfg.config,
      vmConfig: cfg.vmConfig,
      rootId: cfg.rootId,
      vmId: cfg.vmId,
      limits: cfg.limits,
      failurePolicy: cfg.failurePolicy,
      reloadBackoff: { baseMs: cfg.reloadBackoff.base, maxMs: cfg.reloadBackoff.max },
      properties: { "xds.listener_direction": listener },
      capabilities: {
        clusters: cfg.capabilities.clusters === "*" ? undefined : cfg.capabilities.clusters,
        foreignFunctions: cfg.capabilities.foreignFunctions === "*" ? undefined : cfg.capabilities.foreignFunctions,
      },
    });
  }

  async #build(config: ProxyConfig): Promise<Generation> {
    const rt = this.#runtime;
    const clusters = new ClusterManager(config.clusters, { clock: rt.clock, connector: rt.connector });
    const generation: Generation = { config, clusters, handlers: new Map(), filters: new Map(), inFlight: 0, retired: false };
    try {
      for (const listener of config.listeners) {
        const filters: Filter[] = [];
        for (const cfg of listener.filters) filters.push(await this.#loadFilter(cfg, listener.name));
        generation.filters.set(listener.name, filters);
        const router = createRouter(listener.virtualHosts);
        const chainFor = await this.#perRouteChains(listener, filters, router, generation);
        const deps = {
          filters: chainFor,
          router,
          upstreams: clusters,
          now: () => rt.clock.now(),
          setTimeout: (fn: () => void, ms: number) => rt.clock.setTimeout(fn, ms),
          clearTimeout: (h: unknown) => rt.clock.clearTimeout(h),
          random: Math.random,
          retainBodyBytes: listener.limits.maxBufferedBody,
          limits: listener.limits,
          onComplete: (record: ExchangeRecord) => this.#exchangeDone(generation, record, listener.name),
        };
        generation.handlers.set(listener.name, (req) => handleRequest(req, deps));
      }
    } catch (err) {
      for (const filters of generation.filters.values()) for (const f of filters) f.close();
      await clusters.close();
      throw err;
    }
    return generation;
  }

  /**
   * Per-route filter overrides (`routes[].filters`): a route may disable a filter or give it
   * another config, which runs as its own plugin instance loaded with the generation. The
   * chain for a request is chosen from a first route lookup before the filters run.
   */
  async #perRouteChains(
    listener: ListenerConfig,
    base: Filter[],
    router: Router,
    generation: Generation,
  ): Promise<Filter[] | ((headers: HeaderMap) => Filter[])> {
    const routes = listener.virtualHosts.flatMap((v) => v.routes).filter((r) => Object.keys(r.filters).length > 0);
    if (routes.length === 0) return base;
    const variants = new Map<string, Filter>();
    for (const route of routes) {
      for (const [name, override] of Object.entries(route.filters)) {
        const cfg = listener.filters.find((f) => f.name === name);
        if (cfg === undefined || override.disabled || override.config === null) continue;
        const key = `${name}\0${override.config}`;
        if (!variants.has(key)) variants.set(key, await this.#loadFilter({ ...cfg, config: override.config }, listener.name));
      }
    }
    generation.filters.set(`${listener.name} (route overrides)`, [...variants.values()]);
    return (headers) => {
      const decision = router.route(headers);
      const overrides = decision.kind === "none" ? undefined : decision.filters;
      if (overrides === undefined) return base;
      const chain: Filter[] = [];
      listener.filters.forEach((cfg, i) => {
        const o = overrides[cfg.name];
        if (o === undefined) chain.push(base[i]);
        else if (!o.disabled) chain.push(o.config === null ? base[i] : (variants.get(`${cfg.name}\0${o.config}`) as Filter));
      });
      return chain;
    };
  }

  /** `proxy_http_call` from filters goes to the current generation's named clusters. */
  #httpCallUpstream(): HttpCallUpstream {
    return {
      hasCluster: (name) => this.#current?.clusters.has(name) ?? false,
      call: async (request, signal) => {
        const headers = new HeaderMap(request.headers);
        const regular: [string, string][] = request.headers.filter(([k]) => !k.startsWith(":"));
        const response = await this.#current.clusters.send(request.cluster, {
          method: headers.get(":method") ?? "GET",
          path: headers.get(":path") ?? "/",
          authority: headers.get(":authority") ?? request.cluster,
          headers: regular,
          body: request.body.byteLength > 0 ? request.body : null,
          signal,
          connectTimeoutMs: 5000,
          headersTimeoutMs: 0,
        });
        const chunks: Uint8Array[] = [];
        if (response.body) for await (const chunk of response.body) chunks.push(chunk);
        const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
        let offset = 0;
        for (const c of chunks) {
          body.set(c, offset);
          offset += c.byteLength;
        }
        return {
          headers: [[":status", String(response.status)], ...response.headers],
          body,
          trailers: response.trailers()?.entries() ?? [],
        };
      },
    };
  }
}
