/**
 * What a cluster shows the outside world: its stats under Envoy's names (so dashboards and
 * alerts written for Envoy's `cluster.<name>.*` read ours) and the `/clusters` snapshot the
 * admin API serves, one entry per endpoint with its health, load and counters. Kept apart from
 * `cluster.ts` so the cluster's request path reads without the reporting around it.
 */

import type { CircuitBreaker, CircuitBreakerLimits } from "./circuit-breaker.ts";
import type { Endpoint, EndpointStats, UpstreamOutcome } from "./endpoint.ts";
import type { HealthChecker } from "./health-check.ts";
import type { LbPolicy, LoadBalancer } from "./load-balancer.ts";
import type { OutlierDetector } from "./outlier-detection.ts";

/** One endpoint as the admin API's `/clusters` shows it. */
export interface EndpointSnapshot {
  address: string;
  port: number;
  weight: number;
  health: Endpoint["health"];
  /** Envoy's flags: `failed_active_hc`, `pending_active_hc`, `failed_outlier_check`, `pending_dynamic_removal`. */
  healthFlags: string[];
  activeRequests: number;
  /** Times the outlier detector ejected it. */
  ejections: number;
  stats: EndpointStats & { rq_active: number };
}

export interface ClusterSnapshot {
  name: string;
  lbPolicy: LbPolicy;
  circuitBreakers: CircuitBreakerLimits;
  /** Envoy's `cluster.<name>.*` stat names, without the prefix. */
  stats: Record<string, number>;
  endpoints: EndpointSnapshot[];
}

/** The counters a cluster keeps itself, all zero. */
export function createClusterCounters(): Record<string, number> {
  return {
    upstream_rq_total: 0,
    upstream_rq_2xx: 0,
    upstream_rq_3xx: 0,
    upstream_rq_4xx: 0,
    upstream_rq_5xx: 0,
    upstream_rq_timeout: 0,
    upstream_rq_rx_reset: 0,
    upstream_rq_cancelled: 0,
    upstream_cx_connect_fail: 0,
    upstream_cx_none_healthy: 0,
    upstream_rq_retry: 0,
    upstream_rq_retry_overflow: 0,
    membership_change: 0,
  };
}

/**
 * Counts one request outcome: the status class (`upstream_rq_5xx`, …) or the local failure.
 *
 * @example
 * ```ts
 * countOutcome(counters, 503); // counters.upstream_rq_5xx + 1
 * countOutcome(counters, "timeout"); // counters.upstream_rq_timeout + 1
 * ```
 */
export function countOutcome(counters: Record<string, number>, outcome: UpstreamOutcome): void {
  if (typeof outcome === "number") {
    // Constant names: a name built per request is a fresh string to hash on every lookup.
    const bucket = STATUS_CLASS_COUNTERS[(outcome / 100) | 0];
    if (bucket !== undefined) counters[bucket]++;
    return;
  }
  counters[LOCAL_OUTCOME_COUNTERS[outcome]]++;
}

/** By status class (index: status / 100); there is no 1xx counter, and nothing past 5xx. */
const STATUS_CLASS_COUNTERS: readonly (string | undefined)[] = [
  undefined,
  undefined,
  "upstream_rq_2xx",
  "upstream_rq_3xx",
  "upstream_rq_4xx",
  "upstream_rq_5xx",
];

const LOCAL_OUTCOME_COUNTERS: Record<Exclude<UpstreamOutcome, number>, string> = {
  timeout: "upstream_rq_timeout",
  reset: "upstream_rq_rx_reset",
  "connect-failure": "upstream_cx_connect_fail",
  cancelled: "upstream_rq_cancelled",
};

/** The parts of a cluster its stats come from. */
export interface ClusterParts {
  /** The cluster's own counters (`upstream_rq_total`, …). */
  counters: Readonly<Record<string, number>>;
  activeRequests: number;
  endpoints: readonly Endpoint[];
  lb: LoadBalancer;
  breaker: CircuitBreaker;
  outlierDetector: OutlierDetector | undefined;
  healthChecker: HealthChecker | undefined;
}

/**
 * Flattens a cluster's stats into Envoy's names: the cluster's counters, gauges computed now,
 * `circuit_breakers.default.*`, `outlier_detection.*` and `health_check.*`.
 *
 * @example
 * ```ts
 * collectClusterStats(parts)["outlier_detection.ejections_active"]; // 1
 * ```
 */
export function collectClusterStats(parts: ClusterParts): Record<string, number> {
  const { breaker } = parts;
  const live = parts.endpoints.filter((e) => !e.draining);
  const out: Record<string, number> = {
    ...parts.counters,
    upstream_rq_active: parts.activeRequests,
    upstream_rq_lb_healthy_panic: parts.lb.stats.upstream_rq_lb_healthy_panic,
    upstream_cx_overflow: breaker.stats.upstream_cx_overflow,
    upstream_rq_pending_overflow: breaker.stats.upstream_rq_pending_overflow,
    membership_total: live.length,
    membership_healthy: live.filter((e) => e.isAvailable).length,
    "circuit_breakers.default.cx_open": breaker.stats.cx_open,
    "circuit_breakers.default.rq_pending_open": breaker.stats.rq_pending_open,
    "circuit_breakers.default.rq_open": breaker.stats.rq_open,
    "circuit_breakers.default.rq_retry_open": breaker.stats.rq_retry_open,
  };
  for (const [k, v] of Object.entries(parts.outlierDetector?.stats ?? {})) out[`outlier_detection.${k}`] = v;
  for (const [k, v] of Object.entries(parts.healthChecker?.stats ?? {})) out[`health_check.${k}`] = v;
  return out;
}

/**
 * A plain, JSON-ready copy of one endpoint's state.
 *
 * @example
 * ```ts
 * snapshotEndpoint(endpoint, 0); // { address: "10.0.0.7", port: 8080, health: "healthy", … }
 * ```
 */
export function snapshotEndpoint(endpoint: Endpoint, ejections: number): EndpointSnapshot {
  return {
    address: endpoint.address,
    port: endpoint.port,
    weight: endpoint.weight,
    health: endpoint.health,
    healthFlags: endpoint.healthFlags,
    activeRequests: endpoint.activeRequests,
    ejections,
    stats: { ...endpoint.stats, rq_active: endpoint.activeRequests },
  };
}
