/**
 * The three kinds of stat, as Envoy has them: counters only go up, gauges go both ways,
 * histograms count observations into fixed buckets (milliseconds unless the name says otherwise).
 *
 * These objects are what the hot path touches. A component asks the registry for its stats once,
 * at setup, and keeps the objects; a request then costs a property increment (`counter.inc()` or
 * `counter.value++`), never a name lookup or string building.
 */

/**
 * Envoy's default histogram bounds (`ConstSupportedBuckets`), in ms — the same bounds the host
 * uses for filters' own histograms (`proxy/abi/metrics.ts`).
 */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
]);

/**
 * Bounds for sub-millisecond work such as one Wasm callback (tens of microseconds typically),
 * where Envoy's defaults would put everything in the first bucket.
 */
export const FINE_BUCKETS: readonly number[] = Object.freeze([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000]);

/**
 * A monotonic count.
 *
 * @example
 * ```ts
 * const rq = registry.counter("cluster.upstream_rq_total", { cluster: "backend" });
 * rq.inc(); // on each request
 * ```
 */
export class Counter {
  /** The count; incrementing it directly is fine (and what `inc` does). */
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * A value that goes up and down (active requests, healthy hosts, a breaker's state).
 *
 * @example
 * ```ts
 * const active = registry.gauge("cluster.upstream_rq_active", { cluster: "backend" });
 * active.inc(); // request starts
 * active.dec(); // request ends
 * ```
 */
export class Gauge {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

/**
 * Observations counted into fixed buckets. `counts[i]` holds the observations `<= bounds[i]`
 * and above the previous bound (not cumulative); the last slot is `+Inf`. Exposition makes the
 * counts cumulative, as Prometheus wants.
 *
 * @example
 * ```ts
 * const time = registry.histogram("cluster.upstream_rq_time", { cluster: "backend" });
 * time.record(12.5); // ms
 * ```
 */
export class Histogram {
  readonly bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[] = DEFAULT_BUCKETS) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i] > bounds[i - 1])) throw new RangeError(`Histogram bounds must increase strictly: ${JSON.stringify(bounds)}`);
    }
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  record(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    // Linear: most observations are small, so this usually stops within the first few bounds.
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

export type StatType = "counter" | "gauge" | "histogram";
