/**
 * The metrics filters define (`proxy_define_metric`), read from the host at scrape time and
 * exposed under Envoy's `wasmcustom.` namespace: a filter's counter `auth_denied` is the stat
 * `wasmcustom.auth_denied`, exposed as `weir_wasmcustom_auth_denied`. Envoy registers
 * `wasmcustom` as a custom stat namespace and strips it, with the `envoy_` prefix, from its
 * Prometheus output (source/extensions/common/wasm/stats_handler.h); weir keeps both so a
 * filter's metric cannot shadow one of weir's own.
 */

import { MetricType } from "../../abi/enums.ts";
import { HISTOGRAM_BUCKETS, type Metric } from "../../abi/metrics.ts";
import type { CollectedStat, Labels, StatsRegistry } from "./registry.ts";

/** The namespace Envoy gives stats that Wasm filters define. */
export const WASM_CUSTOM_PREFIX = "wasmcustom.";

/** Where the metrics come from: the host's `state.metrics`, or anything with `all()`. */
export interface MetricSource {
  all(): Metric[];
}

/**
 * Adds the host's filter metrics to `registry`, read on every scrape. Returns a remover.
 *
 * @example
 * ```ts
 * adoptWasmMetrics(registry, host.state.metrics);
 * // a filter's counter "auth_denied" → weir_wasmcustom_auth_denied 3
 * ```
 */
export function adoptWasmMetrics(registry: StatsRegistry, source: MetricSource, labels: Labels = {}): () => void {
  return registry.addCollector(() => collectWasmMetrics(source, labels));
}

/** The host's metrics as collected stats. */
export function collectWasmMetrics(source: MetricSource, labels: Labels = {}): CollectedStat[] {
  const out: CollectedStat[] = [];
  for (const metric of source.all()) {
    const name = WASM_CUSTOM_PREFIX + metric.name;
    const help = "Defined by a Wasm filter";
    if (metric.type === MetricType.HISTOGRAM) {
      out.push({
        name,
        help,
        labels,
        type: "histogram",
        bounds: HISTOGRAM_BUCKETS,
        counts: metric.buckets ?? new Array(HISTOGRAM_BUCKETS.length + 1).fill(0),
        sum: metric.sum ?? 0,
        count: metric.count ?? 0,
      });
    } else {
      out.push({ name, help, labels, type: metric.type === MetricType.COUNTER ? "counter" : "gauge", value: metric.value });
    }
  }
  return out;
}
