/**
 * The cluster manager: turns the config's clusters into `Cluster`s (balancing, breakers,
 * outlier ejection, health checks, retry budgets, DNS) and implements the request path's
 * `Upstreams` — pick an endpoint, send through the runtime's connection pool for it, report
 * the outcome. Connection pools come from the runtime adapter (`EndpointConnector`).
 */

import type { Clock, Random } from "./cluster/clock.ts";
import { Cluster } from "./cluster/cluster.ts";
import type { ClusterSnapshot } from "./cluster/cluster-stats.ts";
import { DnsRefresher } from "./cluster/dns.ts";
import type { Endpoint, UpstreamOutcome } from "./cluster/endpoint.ts";
import type { ClusterConfig } from "./config/types.ts";
import type { Upstreams } from "./http/routing-types.ts";
import { UpstreamError, type UpstreamRequest, type UpstreamResponse } from "./http/types.ts";

/** One endpoint's connection pool (undici on Node, fetch elsewhere). */
export interface EndpointClient {
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/** What the runtime provides for the cluster layer. */
export interface EndpointConnector {
  client(cluster: ClusterConfig, address: string, port: number): EndpointClient;
  /** Active health checks: GET `path`, resolve with the status. */
  probe(cluster: ClusterConfig, address: string, port: number, path: string, timeoutMs: number, signal: AbortSignal): Promise<number>;
  /** DNS: the addresses of `host`. */
  resolve?(host: string): Promise<string[]>;
}

interface ManagedCluster {
  config: ClusterConfig;
  cluster: Cluster;
  clients: Map<string, EndpointClient>;
  dns: DnsRefresher | undefined;
}

function outcomeOf(error: UpstreamError): UpstreamOutcome {
  if (error.flag === "UF") return "connect-failure";
  if (error.flag === "UT") return "timeout";
  return "reset";
}

export class ClusterManager implements Upstreams {
  #clusters = new Map<string, ManagedCluster>();
  #connector: EndpointConnector;

  constructor(configs: readonly ClusterConfig[], deps: { clock: Clock; random?: Random; connector: EndpointConnector }) {
    this.#connector = deps.connector;
    for (const config of configs) {
      const od = config.outlierDetection;
      const hc = config.healthCheck;
      const cluster = new Cluster(
        {
          name: config.name,
          endpoints: config.endpoints.map((e) => ({ address: e.host, port: e.port })),
          lbPolicy: config.lbPolicy,
          circuitBreakers: config.circuitBreakers,
          outlierDetection: od.enabled
            ? {
                consecutive5xx: od.consecutive5xx,
                intervalMs: od.interval,
                baseEjectionTimeMs: od.baseEjectionTime,
                maxEjectionTimeMs: od.maxEjectionTime,
                maxEjectionPercent: od.maxEjectionPercent,
              }
            : false,
          healthCheck: hc
            ? {
                path: hc.path,
                intervalMs: hc.interval,
                timeoutMs: hc.timeout,
                healthyThreshold: hc.healthyThreshold,
                unhealthyThreshold: hc.unhealthyThreshold,
                probe: (endpoint, { path, timeoutMs, signal }) =>
                  this.#connector.probe(config, endpoint.address, endpoint.port, path, timeoutMs, signal),
              }
            : undefined,
          retryBudget: { percent: config.retryBudget.percent, minRetriesPerSecond: config.retryBudget.minRetriesPerSecond },
        },
        { clock: deps.clock, random: deps.random },
      );
      const managed: ManagedCluster = { config, cluster, clients: new Map(), dns: undefined };
      const resolve = this.#connector.resolve;
      if (config.dns && resolve) {
        managed.dns = new DnsRefresher(
          { host: config.dns.host, port: config.dns.port, refreshMs: config.dns.refresh },
          { clock: deps.clock, resolve: (host) => resolve(host), target: cluster, random: deps.random },
        );
        managed.dns.start();
      }
      this.#clusters.set(config.name, managed);
    }
  }

  has(name: string): boolean {
    return this.#clusters.has(name);
  }

  /** Every cluster has answered its first health checks (what `/ready` waits for). */
  get warm(): boolean {
    for (const m of this.#clusters.values()) if (!m.cluster.warm) return false;
    return true;
  }

  #client(m: ManagedCluster, endpoint: Endpoint): EndpointClient {
    let client = m.clients.get(endpoint.key);
    if (client === undefined) {
      client = this.#connector.client(m.config, endpoint.address, endpoint.port);
      m.clients.set(endpoint.key, client);
    }
    return client;
  }

  async send(name: string, request: UpstreamRequest, hashKey?: string): Promise<UpstreamResponse> {
    const m = this.#clusters.get(name);
    if (m === undefined) throw new UpstreamError("NC", `no cluster named "${name}"`);
    const picked = m.cluster.pick(hashKey);
    if (picked.error !== undefined) throw new UpstreamError(picked.error.flag, picked.error.message);
    const endpoint = picked.endpoint;
    let response: UpstreamResponse;
    try {
      response = await this.#client(m, endpoint).send(request);
    } catch (err) {
      const error = err instanceof UpstreamError ? err : new UpstreamError("UR", String(err), { cause: err, endpoint: endpoint.key });
      m.cluster.report(endpoint, request.signal.aborted && error.flag !== "UT" ? "cancelled" : outcomeOf(error));
      throw error;
    }
    // Outlier detection counts the response status as it arrives, as Envoy does.
    m.cluster.report(endpoint, response.status);
    return response;
  }

  acquireRetry(name: string): (() => void) | undefined {
    return this.#clusters.get(name)?.cluster.tryRetry();
  }

  snapshot(): ClusterSnapshot[] {
    return [...this.#clusters.values()].map((m) => m.cluster.snapshot());
  }

  stats(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [name, m] of this.#clusters) out[name] = m.cluster.stats;
    return out;
  }

  async close(): Promise<void> {
    for (const m of this.#clusters.values()) {
      m.dns?.stop();
      m.cluster.close();
      await Promise.all([...m.clients.values()].map((c) => c.close()));
    }
  }
}
