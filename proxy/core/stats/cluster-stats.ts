/**
 * An upstream cluster's stats, named as Envoy names them
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats)
 * with the cluster name as the `cluster` label instead of part of the name:
 * Envoy's `cluster.backend.upstream_rq_total` is weir's `cluster.upstream_rq_total{cluster="backend"}`.
 * Envoy's per-priority breaker gauges (`circuit_breakers.default.rq_open`) lose the priority
 * level: weir has one.
 */

import { ResponseCodeCounters } from "./labelled-counters.ts";
import type { Labels, StatsRegistry } from "./registry.ts";
import { buildStats, type StatSet, type StatSpec } from "./stat-set.ts";

export const CLUSTER_STATS = {
  counters: {
    upstream_cx_total: "Connections opened to the cluster's endpoints",
    upstream_cx_connect_fail: "Connection attempts that failed",
    upstream_cx_connect_timeout: "Connection attempts that timed out",
    upstream_cx_overflow: "Times the max_connections circuit breaker stopped a new connection",
    upstream_cx_none_healthy: "Times no connection was made because no endpoint was healthy",
    upstream_cx_protocol_error: "Connections closed for an upstream protocol error",
    upstream_rq_total: "Requests sent upstream (each attempt counts)",
    upstream_rq_pending_total: "Requests that waited for a pooled connection",
    upstream_rq_pending_overflow: "Requests failed by the max_pending_requests or max_requests circuit breaker",
    upstream_rq_pending_failure_eject: "Requests failed by a pool connection failure or termination",
    upstream_rq_cancelled: "Requests cancelled before they got a response",
    upstream_rq_timeout: "Requests that timed out waiting for the response (route or cluster timeout)",
    upstream_rq_per_try_timeout: "Attempts that hit the per-try timeout",
    upstream_rq_rx_reset: "Requests reset by the upstream",
    upstream_rq_tx_reset: "Requests reset by weir",
    upstream_rq_retry: "Retries (attempts after the first)",
    upstream_rq_retry_success: "Retries that succeeded",
    upstream_rq_retry_overflow: "Retries refused by the max_retries circuit breaker or the retry budget",
    upstream_rq_retry_limit_exceeded: "Requests that needed a retry but had no retries left",
    membership_change: "Changes of the cluster's endpoint set",
  },
  gauges: {
    upstream_cx_active: "Open connections",
    upstream_rq_active: "Requests in flight",
    upstream_rq_pending_active: "Requests waiting for a pooled connection",
    membership_healthy: "Endpoints currently healthy (not ejected, passing health checks)",
    membership_total: "Endpoints in the cluster",
  },
  histograms: {
    upstream_rq_time: { help: "Time from sending the request to the last byte of the response, ms" },
    upstream_cx_connect_ms: { help: "Connection establishment time, ms" },
  },
} as const satisfies StatSpec;

/** Outlier detection (passive health), Envoy's `cluster.<name>.outlier_detection.*`. */
export const OUTLIER_DETECTION_STATS = {
  counters: {
    ejections_enforced_total: "Ejections carried out (any reason)",
    ejections_overflow: "Ejections skipped because max_ejection_percent was reached",
    ejections_detected_consecutive_5xx: "Endpoints detected with consecutive 5xx (ejected or not)",
    ejections_enforced_consecutive_5xx: "Ejections for consecutive 5xx",
  },
  gauges: {
    ejections_active: "Endpoints currently ejected",
  },
} as const satisfies StatSpec;

/** Circuit breakers, Envoy's `cluster.<name>.circuit_breakers.<priority>.*` without the priority. */
export const CIRCUIT_BREAKER_STATS = {
  gauges: {
    cx_open: "1 while the max_connections breaker is tripped",
    rq_pending_open: "1 while the max_pending_requests breaker is tripped",
    rq_open: "1 while the max_requests breaker is tripped",
    rq_retry_open: "1 while the max_retries breaker is tripped",
    remaining_cx: "Connections left before the max_connections breaker trips",
    remaining_pending: "Pending requests left before the max_pending_requests breaker trips",
    remaining_rq: "Requests left before the max_requests breaker trips",
    remaining_retries: "Retries left before the max_retries breaker trips",
  },
} as const satisfies StatSpec;

/** Active health checking, Envoy's `cluster.<name>.health_check.*`. */
export const HEALTH_CHECK_STATS = {
  counters: {
    attempt: "Health checks sent",
    success: "Health checks that passed",
    failure: "Health checks that failed (bad status or timeout)",
    network_failure: "Health checks that failed to connect",
  },
  gauges: {
    healthy: "Endpoints currently passing health checks",
  },
} as const satisfies StatSpec;

export type ClusterStats = StatSet<typeof CLUSTER_STATS> & {
  readonly outlier_detection: StatSet<typeof OUTLIER_DETECTION_STATS>;
  readonly circuit_breakers: StatSet<typeof CIRCUIT_BREAKER_STATS>;
  readonly health_check: StatSet<typeof HEALTH_CHECK_STATS>;
  /** `cluster.upstream_rq{response_code}` and `cluster.upstream_rq_xx{response_code_class}`: call `record(status)` per response. */
  readonly responses: ResponseCodeCounters;
};

/**
 * The stats of cluster `name`, registered now; keep the object. Calling it again for the same
 * name returns objects holding the same counts (a config reload keeps them).
 *
 * @example
 * ```ts
 * const stats = createClusterStats(registry, "backend");
 * stats.upstream_rq_total.inc();
 * stats.upstream_rq_active.inc();
 * stats.responses.record(503);
 * stats.circuit_breakers.rq_open.set(1);
 * ```
 */
export function createClusterStats(registry: StatsRegistry, name: string, labels: Labels = {}): ClusterStats {
  const l = { cluster: name, ...labels };
  return Object.freeze({
    ...buildStats(registry, "cluster", l, CLUSTER_STATS),
    outlier_detection: buildStats(registry, "cluster.outlier_detection", l, OUTLIER_DETECTION_STATS),
    circuit_breakers: buildStats(registry, "cluster.circuit_breakers", l, CIRCUIT_BREAKER_STATS),
    health_check: buildStats(registry, "cluster.health_check", l, HEALTH_CHECK_STATS),
    responses: new ResponseCodeCounters(registry, "cluster.upstream_rq", l),
  });
}
