/**
 * Metrics filters define (`proxy_define_metric` & co.). Ids follow cpp-host's scheme
 * (`(n * 4) | type`, `include/proxy-wasm/wasm.h`), so the type is recoverable from the id.
 * Semantics follow Envoy (`defineMetric`, `incrementMetric`, `recordMetric`, `getMetric`):
 * a counter's increment must be positive, `record` on a counter adds, gauges go both ways,
 * histograms cannot be read back.
 */

import { MetricType } from "./enums.ts";

/** Histogram bucket bounds, as Envoy's default `ConstSupportedBuckets` (ms-oriented). */
export const HISTOGRAM_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export interface Metric {
  id: number;
  type: MetricType;
  name: string;
  /** Counter or gauge value. */
  value: number;
  /** Histogram: cumulative-free per-bucket counts (last = +Inf), sum and count. */
  buckets?: number[];
  sum?: number;
  count?: number;
}

export class Metrics {
  #byId = new Map<number, Metric>();
  #byName = new Map<string, Metric>();
  #next = 1;

  define(type: MetricType, name: string): number {
    const key = `${type}\0${name}`;
    const existing = this.#byName.get(key);
    if (existing) return existing.id;
    const id = (this.#next++ * 4) | type;
    const metric: Metric = { id, type, name, value: 0 };
    if (type === MetricType.HISTOGRAM) {
      metric.buckets = new Array(HISTOGRAM_BUCKETS.length + 1).fill(0);
      metric.sum = 0;
      metric.count = 0;
    }
    this.#byId.set(id, metric);
    this.#byName.set(key, metric);
    return id;
  }

  get(id: number): Metric | undefined {
    return this.#byId.get(id);
  }

  /** Every metric, for exposition. */
  all(): Metric[] {
    return [...this.#byId.values()];
  }

  /** Looks a metric up by name (any type first found, or the given type). */
  find(name: string, type?: MetricType): Metric | undefined {
    if (type !== undefined) return this.#byName.get(`${type}\0${name}`);
    for (const t of [MetricType.COUNTER, MetricType.GAUGE, MetricType.HISTOGRAM]) {
      const m = this.#byName.get(`${t}\0${name}`);
      if (m) return m;
    }
    return undefined;
  }

  observe(metric: Metric, value: number): void {
    let i = 0;
    while (i < HISTOGRAM_BUCKETS.length && value > HISTOGRAM_BUCKETS[i]) i++;
    (metric.buckets as number[])[i]++;
    metric.sum = (metric.sum ?? 0) + value;
    metric.count = (metric.count ?? 0) + 1;
  }
}
