/**
 * Stats kept elsewhere as a flat map of Envoy names (`{ upstream_rq_total: 3, upstream_rq_5xx: 1,
 * "circuit_breakers.default.rq_open": 0 }`, as `proxy/core/cluster` reports them), turned into
 * registry stats at scrape time with Envoy's default tag extraction: the status code and class
 * become labels, the breaker priority `default` drops out, and the type follows Envoy's naming
 * (`*_active`, `membership_*`, breaker and `*_healthy` stats are gauges; the rest counters).
 *
 * Use either this or the `create*Stats` objects for a given cluster or listener, not both: the
 * two would report the same series.
 */

import { CIRCUIT_BREAKER_STATS, CLUSTER_STATS, HEALTH_CHECK_STATS, OUTLIER_DETECTION_STATS } from "./cluster-stats.ts";
import { HTTP_STATS } from "./http-stats.ts";
import type { CollectedStat, Labels, StatsRegistry } from "./registry.ts";
import type { StatSpec } from "./stat-set.ts";

/** Help texts of the catalogs, by full stat name, so adopted stats read as documented ones. */
let helpTexts: Map<string, string> | undefined;
function helpFor(name: string): string | undefined {
  if (!helpTexts) {
    helpTexts = new Map([
      ["cluster.upstream_rq", "Responses by status code"],
      ["cluster.upstream_rq_xx", "Responses by status class"],
      ["http.downstream_rq", "Responses by status code"],
      ["http.downstream_rq_xx", "Responses by status class"],
    ]);
    const add = (scope: string, spec: StatSpec) => {
      for (const table of [spec.counters, spec.gauges])
        for (const [k, v] of Object.entries(table ?? {})) helpTexts?.set(`${scope}.${k}`, v);
    };
    add("cluster", CLUSTER_STATS);
    add("cluster.outlier_detection", OUTLIER_DETECTION_STATS);
    add("cluster.circuit_breakers", CIRCUIT_BREAKER_STATS);
    add("cluster.health_check", HEALTH_CHECK_STATS);
    add("http", HTTP_STATS);
  }
  return helpTexts.get(name);
}

const CODE = /^((?:up|down)stream_rq)_([1-5]\d\d)$/;
const CLASS = /^((?:up|down)stream_rq)_([1-5])xx$/;
const BREAKER = /^circuit_breakers\.([a-z]+)\.(.+)$/;

/** Whether an Envoy stat name (without its scope) is a gauge. */
export function isEnvoyGauge(name: string): boolean {
  return (
    name.endsWith("_active") ||
    (name.startsWith("membership_") && name !== "membership_change") ||
    name.startsWith("circuit_breakers.") ||
    name === "health_check.healthy"
  );
}

/**
 * Envoy's tag extraction for one name under `scope`.
 *
 * @example
 * ```ts
 * fromEnvoyName("cluster", "upstream_rq_503"); // { name: "cluster.upstream_rq", labels: { response_code: "503" } }
 * fromEnvoyName("cluster", "circuit_breakers.default.rq_open"); // { name: "cluster.circuit_breakers.rq_open", labels: {} }
 * ```
 */
export function fromEnvoyName(scope: string, name: string): { name: string; labels: Labels } {
  let m = CODE.exec(name);
  if (m) return { name: `${scope}.${m[1]}`, labels: { response_code: m[2] } };
  m = CLASS.exec(name);
  if (m) return { name: `${scope}.${m[1]}_xx`, labels: { response_code_class: `${m[2]}xx` } };
  m = BREAKER.exec(name);
  if (m) return { name: `${scope}.circuit_breakers.${m[2]}`, labels: m[1] === "default" ? {} : { priority: m[1] } };
  return { name: `${scope}.${name}`, labels: {} };
}

/** Flat Envoy-named values of one component, with the labels that identify it (`{ cluster: "backend" }`). */
export type EnvoyStatsSource = () => Iterable<readonly [Labels, Readonly<Record<string, number>>]>;

/**
 * Reads flat Envoy-named stats on every scrape. Returns a remover.
 *
 * @example
 * ```ts
 * adoptEnvoyStats(registry, "cluster", () => clusters.map((c) => [{ cluster: c.name }, c.stats()]));
 * // upstream_rq_5xx: 2 → weir_cluster_upstream_rq_xx{cluster="backend",response_code_class="5xx"} 2
 * ```
 */
export function adoptEnvoyStats(registry: StatsRegistry, scope: string, source: EnvoyStatsSource): () => void {
  const names = new Map<string, { name: string; labels: Labels; type: "counter" | "gauge"; help: string | undefined }>();
  const resolve = (key: string) => {
    let r = names.get(key);
    if (!r) {
      const { name, labels } = fromEnvoyName(scope, key);
      r = { name, labels, type: isEnvoyGauge(key) ? "gauge" : "counter", help: helpFor(name) };
      names.set(key, r);
    }
    return r;
  };
  return registry.addCollector(() => {
    const out: CollectedStat[] = [];
    for (const [labels, values] of source()) {
      for (const key in values) {
        const { name, labels: extracted, type, help } = resolve(key);
        out.push({ name, type, help, value: values[key], labels: { ...labels, ...extracted } });
      }
    }
    return out;
  });
}
