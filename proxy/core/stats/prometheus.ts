/**
 * Prometheus text exposition, format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 *
 * A stat's Prometheus name is `weir_` plus its name with every character outside
 * `[a-zA-Z0-9_:]` turned into `_` (`cluster.upstream_rq_total` → `weir_cluster_upstream_rq_total`),
 * and nothing else: no `_total` is appended, so Envoy's names read the same after swapping the
 * `envoy_` prefix (Envoy emits `envoy_cluster_upstream_rq_retry`, weir `weir_cluster_upstream_rq_retry`).
 * The full mapping is in `proxy/admin/README.md`.
 */

import type { FamilyView, Labels, SeriesView, StatsRegistry } from "./registry.ts";

/** The `Content-Type` of `/stats/prometheus`. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Prefix of every exposed name. */
export const PROMETHEUS_PREFIX = "weir_";

/** `cluster.upstream_rq_total` → `weir_cluster_upstream_rq_total`. */
export function prometheusName(statName: string): string {
  return PROMETHEUS_PREFIX + statName.replace(/[^a-zA-Z0-9_:]/g, "_");
}

/** A valid label name: invalid characters become `_`, a leading digit gets a `_` in front. */
export function prometheusLabelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(clean) || clean === "" ? `_${clean}` : clean;
}

/** Label values escape `\`, `"` and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** HELP text escapes `\` and newline. */
function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/** Go's float formatting as Prometheus parses it: `NaN`, `+Inf`, `-Inf`, else the shortest decimal. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

const labelTextCache = new WeakMap<Labels, string>();

/** `{a="1",b="2"}` or "" — cached per labels object, which registered series keep for life. */
function labelText(labels: Labels): string {
  let text = labelTextCache.get(labels);
  if (text !== undefined) return text;
  text = "";
  for (const name in labels) {
    if (text) text += ",";
    text += `${prometheusLabelName(name)}="${escapeLabelValue(labels[name])}"`;
  }
  text = text ? `{${text}}` : "";
  labelTextCache.set(labels, text);
  return text;
}

/**
 * The whole registry as Prometheus text: for each family `# HELP` (when it has help) and
 * `# TYPE`, then its series; histograms as cumulative `_bucket{le=…}` lines ending in `+Inf`,
 * then `_sum` and `_count`. Families are sorted by name.
 *
 * @example
 * ```ts
 * registry.counter("cluster.upstream_rq_total", { cluster: "backend" }, "Total requests").inc();
 * formatPrometheus(registry);
 * // # HELP weir_cluster_upstream_rq_total Total requests
 * // # TYPE weir_cluster_upstream_rq_total counter
 * // weir_cluster_upstream_rq_total{cluster="backend"} 1
 * ```
 */
export function formatPrometheus(registry: StatsRegistry): string {
  const lines = new Lines();
  const taken = new Map<string, string>();
  for (const family of registry.families()) {
    if (family.series.length === 0) continue;
    const name = prometheusName(family.name);
    const owner = taken.get(name);
    if (owner !== undefined) {
      // Two stat names that sanitize alike ("a.b", "a_b") cannot share one Prometheus family.
      lines.push(`# weir: left out ${JSON.stringify(family.name)}: its exposed name ${name} is taken by ${JSON.stringify(owner)}`);
      continue;
    }
    taken.set(name, family.name);
    writeFamily(lines, name, family);
  }
  return lines.text;
}

function writeFamily(lines: Lines, name: string, family: FamilyView): void {
  if (family.help) lines.push(`# HELP ${name} ${escapeHelp(family.help)}`);
  lines.push(`# TYPE ${name} ${family.type}`);
  const seen = new Set<string>();
  for (const series of family.series) {
    const labels = labelText(series.labels);
    if (seen.has(labels)) continue; // a collector repeating a series: keep the first
    seen.add(labels);
    writeSeries(lines, name, labels, series);
  }
}

/** Grows the exposition as one string (measured no slower than joining an array of thousands of lines). */
class Lines {
  text = "";
  push(line: string): void {
    this.text += `${line}\n`;
  }
}

const leCache = new WeakMap<readonly number[], string[]>();

/** The `le` label values of a set of bounds, `+Inf` last — formatted once per bounds array. */
function leValues(bounds: readonly number[]): string[] {
  let values = leCache.get(bounds);
  if (!values) {
    values = [...bounds.map(formatValue), "+Inf"];
    leCache.set(bounds, values);
  }
  return values;
}

function writeSeries(lines: Lines, name: string, labels: string, series: SeriesView): void {
  if (series.type !== "histogram") {
    lines.push(`${name}${labels} ${formatValue(series.value)}`);
    return;
  }
  // `labels` is `{…}` or ""; `le` goes last inside the braces.
  const prefix = `${name}_bucket{${labels ? `${labels.slice(1, -1)},` : ""}le="`;
  const le = leValues(series.bounds);
  let cumulative = 0;
  for (let i = 0; i < series.counts.length; i++) {
    cumulative += series.counts[i];
    lines.push(`${prefix}${le[i]}"} ${cumulative}`);
  }
  lines.push(`${name}_sum${labels} ${formatValue(series.sum)}`);
  lines.push(`${name}_count${labels} ${series.count}`);
}
