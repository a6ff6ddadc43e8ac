/**
 * The registry as JSON, for the admin API's `/stats`: one entry per series, with the stat's
 * Envoy-style dotted name and its labels, and for histograms cumulative buckets plus estimated
 * quantiles (as Envoy's `/stats` prints P50…P99).
 */

import type { StatType } from "./metric.ts";
import type { HistogramSample, Labels, StatsRegistry } from "./registry.ts";

export interface StatEntryBase {
  name: string;
  type: StatType;
  labels: Labels;
}

export interface ScalarEntry extends StatEntryBase {
  type: "counter" | "gauge";
  value: number;
}

export interface HistogramEntry extends StatEntryBase {
  type: "histogram";
  count: number;
  sum: number;
  /** Cumulative: `count` is the observations `<= le`; the last bucket is `le: "+Inf"`. */
  buckets: { le: number | "+Inf"; count: number }[];
  /** Estimated from the buckets (linear within a bucket); null when nothing was recorded. */
  quantiles: { p50: number | null; p90: number | null; p99: number | null };
}

export type StatEntry = ScalarEntry | HistogramEntry;

/** What `/stats` returns. */
export interface StatsSnapshot {
  stats: StatEntry[];
}

export interface SnapshotOptions {
  /** Keep only stats whose name matches (Envoy's `/stats?filter=`). */
  filter?: RegExp;
  /** Leave out stats never written: zero counters and gauges, empty histograms (Envoy's `?usedonly`). */
  usedOnly?: boolean;
}

/**
 * Every stat of `registry` as plain JSON.
 *
 * @example
 * ```ts
 * snapshotStats(registry, { filter: /^cluster\./, usedOnly: true });
 * // { stats: [{ name: "cluster.upstream_rq_total", type: "counter", labels: { cluster: "backend" }, value: 3 }] }
 * ```
 */
export function snapshotStats(registry: StatsRegistry, options: SnapshotOptions = {}): StatsSnapshot {
  const stats: StatEntry[] = [];
  for (const family of registry.families()) {
    if (options.filter && !options.filter.test(family.name)) continue;
    for (const series of family.series) {
      if (series.type === "histogram") {
        if (options.usedOnly && series.count === 0) continue;
        stats.push({ name: family.name, type: "histogram", labels: series.labels, ...histogramSummary(series) });
      } else {
        if (options.usedOnly && series.value === 0) continue;
        stats.push({ name: family.name, type: series.type, labels: series.labels, value: series.value });
      }
    }
  }
  return { stats };
}

function histogramSummary(h: HistogramSample): Pick<HistogramEntry, "count" | "sum" | "buckets" | "quantiles"> {
  const buckets: HistogramEntry["buckets"] = [];
  let cumulative = 0;
  for (let i = 0; i < h.counts.length; i++) {
    cumulative += h.counts[i];
    buckets.push({ le: i < h.bounds.length ? h.bounds[i] : "+Inf", count: cumulative });
  }
  return {
    count: h.count,
    sum: h.sum,
    buckets,
    quantiles: { p50: quantile(h, 0.5), p90: quantile(h, 0.9), p99: quantile(h, 0.99) },
  };
}

/**
 * The q-quantile estimated the way Prometheus' `histogram_quantile` does: find the bucket
 * holding rank `q * count`, interpolate linearly inside it (the first bucket starts at 0); a
 * rank in the `+Inf` bucket answers the highest finite bound.
 */
export function quantile(h: Pick<HistogramSample, "bounds" | "counts">, q: number): number | null {
  let total = 0;
  for (const c of h.counts) total += c;
  if (total === 0) return null;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const before = cumulative;
    cumulative += h.counts[i];
    if (cumulative < rank || h.counts[i] === 0) continue;
    if (i >= h.bounds.length) return h.bounds[h.bounds.length - 1] ?? null;
    const lower = i === 0 ? 0 : h.bounds[i - 1];
    const upper = h.bounds[i];
    return lower + ((upper - lower) * (rank - before)) / h.counts[i];
  }
  return h.bounds[h.bounds.length - 1] ?? null;
}
