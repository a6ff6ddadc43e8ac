/**
 * Read-mostly views of the host's stores for assertions: shared data by key, metrics by name,
 * and the properties a filter set with `proxy_set_property`. They read the real host's state
 * on every call, so they are always current; values come back as text or, on request, bytes.
 */

import { type Metric, type Metrics, MetricType, parsePropertyPath, type SharedData } from "../../proxy/abi/index.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Shared data of one vm_id (`proxy_get_shared_data` / `proxy_set_shared_data`).
 *
 * @example
 * ```ts
 * host.sharedData.set("requests", "41"); // seed before the request
 * http.requestHeaders({ ":path": "/" }, { endOfStream: true });
 * expect(host.sharedData.get("requests")).toBe("42");
 * ```
 */
export class SharedDataView {
  readonly #store: SharedData;
  /** The vm_id scope this view reads (the filter's). */
  readonly vmId: string;

  constructor(store: SharedData, vmId: string) {
    this.#store = store;
    this.vmId = vmId;
  }

  /** The value of `key` decoded as UTF-8, or undefined when the filter never set it. */
  get(key: string): string | undefined {
    const bytes = this.bytes(key);
    return bytes === undefined ? undefined : decoder.decode(bytes);
  }

  /** The raw value of `key` (a copy: later writes do not change it). */
  bytes(key: string): Uint8Array | undefined {
    return this.#store.get(this.vmId, key)?.value.slice();
  }

  /** The compare-and-swap version of `key` (changes on every write). */
  cas(key: string): number | undefined {
    return this.#store.get(this.vmId, key)?.cas;
  }

  /** Writes `key` as the host would for another filter (bumps its CAS). */
  set(key: string, value: string | Uint8Array): void {
    const result = this.#store.set(this.vmId, key, typeof value === "string" ? encoder.encode(value) : value, 0);
    if (result !== "ok") throw new RangeError(`sharedData.set("${key}") refused by the host: ${result}`);
  }

  keys(): string[] {
    return this.#store.keys(this.vmId);
  }

  /** Every key with its value decoded as UTF-8. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this.keys().map((key) => [key, this.get(key) as string]));
  }
}

/** A histogram's observations. */
export interface HistogramSnapshot {
  count: number;
  sum: number;
  /** Counts per bucket of `HISTOGRAM_BUCKETS` (the last is +Inf). */
  buckets: number[];
}

/**
 * Metrics by name (`proxy_define_metric` & co.).
 *
 * @example
 * ```ts
 * expect(host.metrics.get("requests_total")).toBe(1);
 * ```
 */
export class MetricsView {
  readonly #metrics: Metrics;

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  /** A counter's or gauge's value, or undefined when no such metric was defined. */
  get(name: string): number | undefined {
    const metric = this.#metrics.find(name, MetricType.COUNTER) ?? this.#metrics.find(name, MetricType.GAUGE);
    return metric?.value;
  }

  /** A histogram's count, sum and buckets. */
  histogram(name: string): HistogramSnapshot | undefined {
    const metric = this.#metrics.find(name, MetricType.HISTOGRAM);
    if (metric === undefined) return undefined;
    return { count: metric.count ?? 0, sum: metric.sum ?? 0, buckets: [...(metric.buckets ?? [])] };
  }

  /** Every metric the filter defined, as the host keeps it. */
  all(): Metric[] {
    return this.#metrics.all();
  }

  /** Counters and gauges by name. */
  toObject(): Record<string, number> {
    return Object.fromEntries(this.all().flatMap((m) => (m.type === MetricType.HISTOGRAM ? [] : [[m.name, m.value]])));
  }
}

/**
 * Properties a filter set with `proxy_set_property` (on a stream, or on its root context).
 * Paths are written as the filter wrote them: dotted (`my.key`) or as segments.
 *
 * @example
 * ```ts
 * expect(http.properties.get("filter_state.decision")).toBe("allow");
 * ```
 */
export class PropertiesView {
  readonly #state: () => Map<string, Uint8Array>;

  constructor(state: () => Map<string, Uint8Array>) {
    this.#state = state;
  }

  /** The value at `path` decoded as UTF-8. */
  get(path: string | readonly string[]): string | undefined {
    const bytes = this.bytes(path);
    return bytes === undefined ? undefined : decoder.decode(bytes);
  }

  bytes(path: string | readonly string[]): Uint8Array | undefined {
    const segments = typeof path === "string" ? parsePropertyPath(path) : path;
    return this.#state().get(segments.join("\0"));
  }

  /** The paths set, dotted. */
  keys(): string[] {
    return [...this.#state().keys()].map((key) => key.split("\0").join("."));
  }

  toObject(): Record<string, string> {
    return Object.fromEntries([...this.#state()].map(([key, value]) => [key.split("\0").join("."), decoder.decode(value)]));
  }
}
