/**
 * Builds a component's stats from a table of names and help texts, so each catalog
 * (`cluster-stats.ts`, `http-stats.ts`, `filter-stats.ts`) is a regular list that doubles as
 * documentation. The object's keys are the stat names themselves (Envoy's snake_case), so one
 * search for `upstream_rq_retry` finds the increment sites, the catalog and the README row.
 */

import type { Counter, Gauge, Histogram } from "./metric.ts";
import type { Labels, StatsRegistry } from "./registry.ts";

/** Stat names (without the scope) to help texts; histograms may name their buckets. */
export interface StatSpec {
  counters?: Record<string, string>;
  gauges?: Record<string, string>;
  histograms?: Record<string, { help: string; buckets?: readonly number[] }>;
}

/** The objects `buildStats` hands out for a spec, keyed by stat name. */
export type StatSet<S extends StatSpec> = { readonly [K in keyof NonNullable<S["counters"]>]: Counter } & {
  readonly [K in keyof NonNullable<S["gauges"]>]: Gauge;
} & { readonly [K in keyof NonNullable<S["histograms"]>]: Histogram };

/**
 * Registers every stat of `spec` under `scope` (`cluster.` + name) with `labels`.
 *
 * @example
 * ```ts
 * const stats = buildStats(registry, "cluster", { cluster: "backend" }, { counters: { upstream_rq_total: "Requests" } });
 * stats.upstream_rq_total.inc();
 * ```
 */
export function buildStats<S extends StatSpec>(registry: StatsRegistry, scope: string, labels: Labels, spec: S): StatSet<S> {
  const set: Record<string, Counter | Gauge | Histogram> = {};
  for (const [name, help] of Object.entries(spec.counters ?? {})) set[name] = registry.counter(`${scope}.${name}`, labels, help);
  for (const [name, help] of Object.entries(spec.gauges ?? {})) set[name] = registry.gauge(`${scope}.${name}`, labels, help);
  for (const [name, { help, buckets }] of Object.entries(spec.histograms ?? {})) {
    set[name] = registry.histogram(`${scope}.${name}`, labels, { help, buckets });
  }
  return Object.freeze(set) as StatSet<S>;
}

/** Every stat name a spec defines under `scope`, for documentation and tests. */
export function statNames(scope: string, spec: StatSpec): string[] {
  return [...Object.keys(spec.counters ?? {}), ...Object.keys(spec.gauges ?? {}), ...Object.keys(spec.histograms ?? {})].map(
    (name) => `${scope}.${name}`,
  );
}
