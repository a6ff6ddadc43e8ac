// Counters, gauges and histograms the host exports (Envoy prefixes them `wasmcustom.`).
// Tags go into the name the way the C++ SDK does it — `<tag>.<value>.` per tag, then the
// name: `method.GET.code.200.requests` — so Envoy's stats tag extraction can take them out
// again. A `MetricFamily` builds and caches those names.

import { MetricType } from "./abi/enums";
import { defineMetric, getMetric, incrementMetric, recordMetric } from "./abi/metric";

/**
 * A counter: only goes up.
 *
 * @example
 * ```ts
 * const requests = Counter.define("requests");  // in onConfigure, kept in a field
 * requests.increment();
 * ```
 */
export class Counter {
  constructor(readonly id: u32) {}

  /** Defines (or finds) counter `name`. */
  static define(name: string): Counter {
    return new Counter(defineMetric(MetricType.Counter, name));
  }

  /** A family of counters named after `tagNames`' values. */
  static family(name: string, tagNames: string[]): MetricFamily<Counter> {
    return new MetricFamily<Counter>(MetricType.Counter, name, tagNames);
  }

  /** Adds `delta` (> 0). */
  increment(delta: i64 = 1): void {
    incrementMetric(this.id, delta);
  }

  /** The current count. */
  value(): u64 {
    return getMetric(this.id);
  }
}

/** A gauge: a value that goes up and down. */
export class Gauge {
  constructor(readonly id: u32) {}

  /** Defines (or finds) gauge `name`. */
  static define(name: string): Gauge {
    return new Gauge(defineMetric(MetricType.Gauge, name));
  }

  /** A family of gauges named after `tagNames`' values. */
  static family(name: string, tagNames: string[]): MetricFamily<Gauge> {
    return new MetricFamily<Gauge>(MetricType.Gauge, name, tagNames);
  }

  /** Sets the value. */
  set(value: u64): void {
    recordMetric(this.id, value);
  }

  /** Adds `delta` (may be negative). */
  add(delta: i64): void {
    incrementMetric(this.id, delta);
  }

  /** The current value. */
  value(): u64 {
    return getMetric(this.id);
  }
}

/** A histogram: a distribution of recorded values (cannot be read back). */
export class Histogram {
  constructor(readonly id: u32) {}

  /** Defines (or finds) histogram `name`. */
  static define(name: string): Histogram {
    return new Histogram(defineMetric(MetricType.Histogram, name));
  }

  /** A family of histograms named after `tagNames`' values. */
  static family(name: string, tagNames: string[]): MetricFamily<Histogram> {
    return new MetricFamily<Histogram>(MetricType.Histogram, name, tagNames);
  }

  /** Records one observation. */
  record(value: u64): void {
    recordMetric(this.id, value);
  }
}

/** `<tag>.<value>.` for each tag, then `name` (the C++ SDK's `prefixWithFields`). */
export function taggedMetricName(name: string, tagNames: string[], tagValues: string[]): string {
  if (tagNames.length != tagValues.length) {
    throw new Error("metric " + name + " has " + tagNames.length.toString() + " tags, got " + tagValues.length.toString() + " values");
  }
  let full = "";
  for (let i = 0; i < tagNames.length; i++) full += tagNames[i] + "." + tagValues[i] + ".";
  return full + name;
}

/**
 * Metrics that share a name and differ by tag values, each defined on first use and cached.
 *
 * @example
 * ```ts
 * const responses = Counter.family("responses", ["code"]);
 * responses.with(["200"]).increment(); // counter "code.200.responses"
 * ```
 */
export class MetricFamily<T> {
  private cache: Map<string, T> = new Map();

  constructor(readonly type: MetricType, readonly name: string, readonly tagNames: string[]) {}

  /** The metric for these tag values (in `tagNames` order). */
  with(tagValues: string[]): T {
    const full = taggedMetricName(this.name, this.tagNames, tagValues);
    if (this.cache.has(full)) return this.cache.get(full);
    const metric = instantiate<T>(defineMetric(this.type, full));
    this.cache.set(full, metric);
    return metric;
  }
}
