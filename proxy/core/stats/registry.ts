/**
 * The stats registry: every counter, gauge and histogram of one proxy, grouped into families
 * by name (`cluster.upstream_rq_total`) and told apart by labels (`{ cluster: "backend" }`).
 *
 * Names are Envoy's stat names with the variable part (cluster, listener, filter, response
 * code) moved into labels, as Envoy's default tag extractors do. Exposition turns them into
 * Prometheus names (`prometheus.ts`); `/stats` prints them as they are (`snapshot`).
 *
 * Registration is for setup time: it returns the stat object to keep, and registering the same
 * name and labels again returns the same object, so a config reload that rebuilds a cluster
 * keeps its counts. Values owned elsewhere (the host's filter counters and metrics) are read
 * at scrape time through `counterFrom`, `gaugeFrom` and `addCollector`.
 */

import { Counter, DEFAULT_BUCKETS, Gauge, Histogram, type StatType } from "./metric.ts";

/** Label names to values. Names should match `[a-zA-Z_][a-zA-Z0-9_]*` (exposition sanitizes others). */
export type Labels = Readonly<Record<string, string>>;

/** A counter or gauge value as read at scrape time. */
export interface ScalarSample {
  type: "counter" | "gauge";
  value: number;
}

/** A histogram as read at scrape time: per-bucket (not cumulative) counts, last slot `+Inf`. */
export interface HistogramSample {
  type: "histogram";
  bounds: readonly number[];
  counts: readonly number[];
  sum: number;
  count: number;
}

/** A stat a collector reports at scrape time. */
export type CollectedStat = (ScalarSample | HistogramSample) & { name: string; labels?: Labels; help?: string };

/** One series of a family, as `families()` returns it. */
export type SeriesView = (ScalarSample | HistogramSample) & { labels: Labels };

/** A family, as `families()` returns it: name, type, help and its series. */
export interface FamilyView {
  name: string;
  type: StatType;
  help: string;
  series: SeriesView[];
}

type Source = Counter | Gauge | Histogram | (() => number);

interface Series {
  labels: Labels;
  source: Source;
}

interface Family {
  name: string;
  type: StatType;
  help: string;
  bounds: readonly number[] | undefined;
  series: Map<string, Series>;
}

const NO_LABELS: Labels = Object.freeze({});

/** Identifies a label set regardless of key order. */
function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  keys.sort();
  let key = "";
  for (const k of keys) key += `${k}\u0000${labels[k]}\u0001`;
  return key;
}

/**
 * A proxy's stats.
 *
 * @example
 * ```ts
 * const registry = new StatsRegistry();
 * const rq = registry.counter("cluster.upstream_rq_total", { cluster: "backend" }, "Total requests");
 * rq.inc();
 * formatPrometheus(registry); // weir_cluster_upstream_rq_total{cluster="backend"} 1
 * ```
 */
export class StatsRegistry {
  #families = new Map<string, Family>();
  #collectors = new Set<() => Iterable<CollectedStat>>();

  /** The counter `name` with `labels`, created on first use. */
  counter(name: string, labels: Labels = NO_LABELS, help = ""): Counter {
    return this.#register(name, "counter", labels, help, undefined, () => new Counter()) as Counter;
  }

  /** The gauge `name` with `labels`, created on first use. */
  gauge(name: string, labels: Labels = NO_LABELS, help = ""): Gauge {
    return this.#register(name, "gauge", labels, help, undefined, () => new Gauge()) as Gauge;
  }

  /** The histogram `name` with `labels`, created on first use; every series of a family shares its bounds. */
  histogram(name: string, labels: Labels = NO_LABELS, options: { help?: string; buckets?: readonly number[] } = {}): Histogram {
    const bounds = options.buckets ?? DEFAULT_BUCKETS;
    return this.#register(name, "histogram", labels, options.help ?? "", bounds, () => new Histogram(bounds)) as Histogram;
  }

  /**
   * A counter whose value `read()` returns at scrape time (a count kept elsewhere, e.g. a
   * filter's `counters.streams`). Registering it again replaces `read`. Returns a remover.
   */
  counterFrom(name: string, labels: Labels, read: () => number, help = ""): () => void {
    return this.#registerRead(name, "counter", labels, read, help);
  }

  /** A gauge whose value `read()` returns at scrape time. Returns a remover. */
  gaugeFrom(name: string, labels: Labels, read: () => number, help = ""): () => void {
    return this.#registerRead(name, "gauge", labels, read, help);
  }

  /**
   * Adds a function that reports stats at scrape time (the host's filter metrics, per-filter
   * info). Its stats join the families of the same name; one whose type differs from the
   * family's is left out, as Prometheus allows one type per name. Returns a remover.
   */
  addCollector(collect: () => Iterable<CollectedStat>): () => void {
    this.#collectors.add(collect);
    return () => {
      this.#collectors.delete(collect);
    };
  }

  /** Forgets one series (a removed cluster's counter, say). True when it existed. */
  remove(name: string, labels: Labels = NO_LABELS): boolean {
    const family = this.#families.get(name);
    if (!family) return false;
    const removed = family.series.delete(labelKey(labels));
    if (family.series.size === 0) this.#families.delete(name);
    return removed;
  }

  /** Forgets every series whose labels include all of `labels` (e.g. `{ cluster: "old" }`). Returns how many. */
  removeMatching(labels: Labels): number {
    const wanted = Object.entries(labels);
    let n = 0;
    for (const [name, family] of this.#families) {
      for (const [key, series] of family.series) {
        if (wanted.every(([k, v]) => series.labels[k] === v)) {
          family.series.delete(key);
          n++;
        }
      }
      if (family.series.size === 0) this.#families.delete(name);
    }
    return n;
  }

  /** Every family with its current values (collectors run now), sorted by name. */
  families(): FamilyView[] {
    const views = new Map<string, FamilyView>();
    for (const family of this.#families.values()) {
      const series: SeriesView[] = [];
      for (const s of family.series.values()) series.push(readSeries(family.type, s));
      views.set(family.name, { name: family.name, type: family.type, help: family.help, series });
    }
    for (const collect of this.#collectors) {
      for (const stat of collect()) {
        let view = views.get(stat.name);
        if (!view) {
          view = { name: stat.name, type: stat.type, help: stat.help ?? "", series: [] };
          views.set(stat.name, view);
        } else if (view.type !== stat.type) {
          continue;
        }
        const { name: _name, help: _help, labels, ...sample } = stat;
        view.series.push({ ...sample, labels: labels ?? NO_LABELS });
      }
    }
    return [...views.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #register(
    name: string,
    type: StatType,
    labels: Labels,
    help: string,
    bounds: readonly number[] | undefined,
    create: () => Source,
  ): Source {
    const family = this.#family(name, type, help, bounds);
    const key = labelKey(labels);
    const existing = family.series.get(key);
    if (existing) {
      if (typeof existing.source === "function") {
        throw new TypeError(`Cannot register ${type} "${name}" ${JSON.stringify(labels)}: it is already read from a function`);
      }
      return existing.source;
    }
    const source = create();
    family.series.set(key, { labels: { ...labels }, source });
    return source;
  }

  #registerRead(name: string, type: "counter" | "gauge", labels: Labels, read: () => number, help: string): () => void {
    const family = this.#family(name, type, help, undefined);
    const key = labelKey(labels);
    const existing = family.series.get(key);
    if (existing && typeof existing.source !== "function") {
      throw new TypeError(`Cannot read ${type} "${name}" ${JSON.stringify(labels)} from a function: it is already registered as an object`);
    }
    const series: Series = { labels: { ...labels }, source: read };
    family.series.set(key, series);
    return () => {
      if (family.series.get(key) === series) family.series.delete(key);
    };
  }

  #family(name: string, type: StatType, help: string, bounds: readonly number[] | undefined): Family {
    let family = this.#families.get(name);
    if (!family) {
      family = { name, type, help, bounds, series: new Map() };
      this.#families.set(name, family);
      return family;
    }
    if (family.type !== type) throw new TypeError(`Cannot register ${type} "${name}": it is already registered as a ${family.type}`);
    if (bounds && family.bounds && !sameBounds(bounds, family.bounds)) {
      throw new TypeError(
        `Cannot register histogram "${name}" with bounds ${JSON.stringify(bounds)}: it already has ${JSON.stringify(family.bounds)}`,
      );
    }
    if (!family.help) family.help = help;
    return family;
  }
}

function readSeries(type: StatType, series: Series): SeriesView {
  const source = series.source;
  if (typeof source === "function") return { type: type as "counter" | "gauge", value: source(), labels: series.labels };
  if (source instanceof Histogram) {
    return {
      type: "histogram",
      bounds: source.bounds,
      counts: source.counts.slice(),
      sum: source.sum,
      count: source.count,
      labels: series.labels,
    };
  }
  return { type: type as "counter" | "gauge", value: source.value, labels: series.labels };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a === b || (a.length === b.length && a.every((v, i) => v === b[i]));
}
