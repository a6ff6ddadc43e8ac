/**
 * weir's stats: a registry of counters, gauges and histograms with labels, the catalogs of
 * Envoy-named stats for listeners, clusters and filters, the host's filter metrics, and the
 * two ways out — JSON (`/stats`) and Prometheus text (`/stats/prometheus`).
 *
 * @example
 * ```ts
 * import { StatsRegistry, createClusterStats, formatPrometheus } from "./stats/index.ts";
 * const registry = new StatsRegistry();
 * const backend = createClusterStats(registry, "backend");
 * backend.upstream_rq_total.inc();
 * formatPrometheus(registry);
 * ```
 */

export {
  CIRCUIT_BREAKER_STATS,
  CLUSTER_STATS,
  type ClusterStats,
  createClusterStats,
  HEALTH_CHECK_STATS,
  OUTLIER_DETECTION_STATS,
} from "./cluster-stats.ts";
export { adoptEnvoyStats, type EnvoyStatsSource, fromEnvoyName, isEnvoyGauge } from "./envoy-names.ts";
export { type AdoptableFilter, createFilterStats, FILTER_STATS, type FilterStats, TRAP_KINDS } from "./filter-stats.ts";
export { createHttpStats, HTTP_STATS, type HttpStats } from "./http-stats.ts";
export { CounterVec, ResponseCodeCounters } from "./labelled-counters.ts";
export { Counter, DEFAULT_BUCKETS, FINE_BUCKETS, Gauge, Histogram, type StatType } from "./metric.ts";
export {
  escapeLabelValue,
  formatPrometheus,
  formatValue,
  PROMETHEUS_CONTENT_TYPE,
  PROMETHEUS_PREFIX,
  prometheusLabelName,
  prometheusName,
} from "./prometheus.ts";
export {
  type CollectedStat,
  type FamilyView,
  type HistogramSample,
  type Labels,
  type ScalarSample,
  type SeriesView,
  StatsRegistry,
} from "./registry.ts";
export {
  type HistogramEntry,
  quantile,
  type ScalarEntry,
  type SnapshotOptions,
  type StatEntry,
  type StatsSnapshot,
  snapshotStats,
} from "./snapshot.ts";
export { buildStats, type StatSet, type StatSpec, statNames } from "./stat-set.ts";
export { adoptWasmMetrics, collectWasmMetrics, type MetricSource, WASM_CUSTOM_PREFIX } from "./wasm-metrics.ts";
