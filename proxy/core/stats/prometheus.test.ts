import { describe, expect, it } from "vitest";
import { MetricType } from "../../abi/enums.ts";
import { HISTOGRAM_BUCKETS, Metrics } from "../../abi/metrics.ts";
import { createClusterStats } from "./cluster-stats.ts";
import { createFilterStats } from "./filter-stats.ts";
import { createHttpStats } from "./http-stats.ts";
import { escapeLabelValue, formatPrometheus, formatValue, prometheusLabelName, prometheusName } from "./prometheus.ts";
import { StatsRegistry } from "./registry.ts";
import { adoptWasmMetrics } from "./wasm-metrics.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface ParsedFamily {
  type: string;
  help?: string;
  samples: Sample[];
}

/**
 * A strict reader of text format 0.0.4: every line must be a HELP, TYPE, comment or sample;
 * a sample must follow its family's TYPE; label values are unescaped; no series repeats.
 */
function parsePrometheus(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  const seen = new Set<string>();
  let current: string | undefined;
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      const family = families.get(name) ?? { type: "", samples: [] };
      families.set(name, family);
      if (kind === "TYPE") {
        expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(rest);
        expect(family.type, `second TYPE for ${name}`).toBe("");
        family.type = rest;
        current = name;
      } else {
        family.help = rest.replace(/\\(n|\\)/g, (_, c) => (c === "n" ? "\n" : "\\"));
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const [, name, labelText = "", valueText] = m as RegExpExecArray;
    const labels: Record<string, string> = {};
    if (labelText) {
      const body = labelText.slice(1, -1);
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
      let pos = 0;
      while (pos < body.length) {
        re.lastIndex = pos;
        const lm = re.exec(body);
        expect(lm, `bad labels in: ${line}`).not.toBeNull();
        const [, k, v] = lm as RegExpExecArray;
        labels[k] = v.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
        pos = re.lastIndex;
      }
    }
    const value = valueText === "+Inf" ? Number.POSITIVE_INFINITY : valueText === "-Inf" ? Number.NEGATIVE_INFINITY : Number(valueText);
    expect(Number.isNaN(value) && valueText !== "NaN", `bad value in: ${line}`).toBe(false);
    expect(current, `sample before any TYPE: ${line}`).toBeDefined();
    const family = families.get(current as string) as ParsedFamily;
    const allowed = family.type === "histogram" ? [`${current}_bucket`, `${current}_sum`, `${current}_count`] : [current];
    expect(allowed, `sample ${name} outside its family ${current}`).toContain(name);
    const key = `${name}${JSON.stringify(labels)}`;
    expect(seen.has(key), `repeated series ${key}`).toBe(false);
    seen.add(key);
    family.samples.push({ name, labels, value });
  }
  return families;
}

describe("prometheus names", () => {
  it("prefixes weir_ and turns dots and other characters into underscores, without adding _total", () => {
    expect(prometheusName("cluster.upstream_rq_total")).toBe("weir_cluster_upstream_rq_total");
    expect(prometheusName("cluster.upstream_rq_retry")).toBe("weir_cluster_upstream_rq_retry");
    expect(prometheusName("wasmcustom.my-filter/hits")).toBe("weir_wasmcustom_my_filter_hits");
  });

  it("sanitizes label names", () => {
    expect(prometheusLabelName("cluster")).toBe("cluster");
    expect(prometheusLabelName("route.name")).toBe("route_name");
    expect(prometheusLabelName("5xx")).toBe("_5xx");
  });

  it("escapes backslash, double quote and newline in label values", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it("formats special floats as Prometheus does", () => {
    expect([formatValue(1), formatValue(0.5), formatValue(Number.NaN), formatValue(Infinity), formatValue(-Infinity)]).toEqual([
      "1",
      "0.5",
      "NaN",
      "+Inf",
      "-Inf",
    ]);
  });
});

describe("formatPrometheus", () => {
  it("prints a fixed registry exactly", () => {
    const registry = new StatsRegistry();
    registry.counter("cluster.upstream_rq_total", { cluster: "backend" }, "Requests sent upstream").inc(3);
    registry.counter("cluster.upstream_rq_total", { cluster: "auth" }).inc();
    registry.gauge("cluster.upstream_rq_active", { cluster: "backend" }, "Requests in flight").set(2);
    const h = registry.histogram("http.downstream_rq_time", { listener: "inbound" }, { help: "Request time, ms", buckets: [1, 10, 100] });
    for (const v of [0.5, 1, 7, 50, 500]) h.record(v);
    registry.counter("server.no_labels").inc(5);

    expect(formatPrometheus(registry)).toBe(
      [
        "# HELP weir_cluster_upstream_rq_active Requests in flight",
        "# TYPE weir_cluster_upstream_rq_active gauge",
        'weir_cluster_upstream_rq_active{cluster="backend"} 2',
        "# HELP weir_cluster_upstream_rq_total Requests sent upstream",
        "# TYPE weir_cluster_upstream_rq_total counter",
        'weir_cluster_upstream_rq_total{cluster="backend"} 3',
        'weir_cluster_upstream_rq_total{cluster="auth"} 1',
        "# HELP weir_http_downstream_rq_time Request time, ms",
        "# TYPE weir_http_downstream_rq_time histogram",
        'weir_http_downstream_rq_time_bucket{listener="inbound",le="1"} 2',
        'weir_http_downstream_rq_time_bucket{listener="inbound",le="10"} 3',
        'weir_http_downstream_rq_time_bucket{listener="inbound",le="100"} 4',
        'weir_http_downstream_rq_time_bucket{listener="inbound",le="+Inf"} 5',
        'weir_http_downstream_rq_time_sum{listener="inbound"} 558.5',
        'weir_http_downstream_rq_time_count{listener="inbound"} 5',
        "# TYPE weir_server_no_labels counter",
        "weir_server_no_labels 5",
        "",
      ].join("\n"),
    );
  });

  it("makes histogram buckets cumulative, ending with +Inf equal to _count", () => {
    const registry = new StatsRegistry();
    const h = registry.histogram("cluster.upstream_rq_time", { cluster: "a" });
    const values = [0.1, 0.7, 3, 3, 40, 40, 40, 999, 7_200_000];
    for (const v of values) h.record(v);
    const family = parsePrometheus(formatPrometheus(registry)).get("weir_cluster_upstream_rq_time") as ParsedFamily;
    const buckets = family.samples.filter((s) => s.name.endsWith("_bucket"));
    expect(buckets.at(-1)?.labels.le).toBe("+Inf");
    for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
    // Each bucket holds exactly the observations <= le.
    for (const b of buckets) {
      const le = b.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(b.labels.le);
      expect(b.value, `le=${b.labels.le}`).toBe(values.filter((v) => v <= le).length);
    }
    expect(family.samples.find((s) => s.name.endsWith("_count"))?.value).toBe(values.length);
    expect(family.samples.find((s) => s.name.endsWith("_sum"))?.value).toBeCloseTo(values.reduce((a, b) => a + b));
  });

  it("escapes label values and help so the output still parses", () => {
    const registry = new StatsRegistry();
    const nasty = 'back\\slash "quoted"\nnewline';
    registry.counter("filter.calls_total", { filter: nasty }, "help with \\ and\nnewline").inc();
    const text = formatPrometheus(registry);
    expect(text).toContain('filter="back\\\\slash \\"quoted\\"\\nnewline"');
    const family = parsePrometheus(text).get("weir_filter_calls_total") as ParsedFamily;
    expect(family.samples[0].labels.filter).toBe(nasty);
    expect(family.help).toBe("help with \\ and\nnewline");
  });

  it("keeps one family when two stat names sanitize alike, and says so in a comment", () => {
    const registry = new StatsRegistry();
    registry.counter("a.b").inc();
    registry.counter("a_b").inc(2);
    const text = formatPrometheus(registry);
    expect(text).toContain('# weir: left out "a_b": its exposed name weir_a_b is taken by "a.b"');
    expect(parsePrometheus(text).get("weir_a_b")?.samples).toEqual([{ name: "weir_a_b", labels: {}, value: 1 }]);
  });

  it("prints nothing for an empty registry", () => {
    expect(formatPrometheus(new StatsRegistry())).toBe("");
  });
});

describe("filter metrics (proxy_define_metric)", () => {
  function hostMetrics(): Metrics {
    const metrics = new Metrics();
    metrics.get(metrics.define(MetricType.COUNTER, "auth_denied"))!.value = 4;
    metrics.get(metrics.define(MetricType.GAUGE, "ratelimit.tokens"))!.value = 17;
    const latency = metrics.get(metrics.define(MetricType.HISTOGRAM, "lookup_ms"))!;
    for (const v of [0.2, 3, 3, 70_000_000]) metrics.observe(latency, v);
    return metrics;
  }

  it("appear under weir_wasmcustom_ with their type, read at scrape time", () => {
    const registry = new StatsRegistry();
    const metrics = hostMetrics();
    adoptWasmMetrics(registry, metrics);
    let families = parsePrometheus(formatPrometheus(registry));
    expect(families.get("weir_wasmcustom_auth_denied")).toMatchObject({ type: "counter", samples: [{ value: 4 }] });
    expect(families.get("weir_wasmcustom_ratelimit_tokens")).toMatchObject({ type: "gauge", samples: [{ value: 17 }] });
    const hist = families.get("weir_wasmcustom_lookup_ms") as ParsedFamily;
    expect(hist.type).toBe("histogram");
    const buckets = hist.samples.filter((s) => s.name.endsWith("_bucket"));
    expect(buckets).toHaveLength(HISTOGRAM_BUCKETS.length + 1);
    expect(buckets.find((b) => b.labels.le === "0.5")?.value).toBe(1);
    expect(buckets.find((b) => b.labels.le === "5")?.value).toBe(3);
    expect(buckets.find((b) => b.labels.le === "3600000")?.value).toBe(3);
    expect(buckets.at(-1)).toMatchObject({ labels: { le: "+Inf" }, value: 4 });

    // A later increment by the filter shows on the next scrape, with no re-registration.
    metrics.find("auth_denied")!.value++;
    families = parsePrometheus(formatPrometheus(registry));
    expect(families.get("weir_wasmcustom_auth_denied")?.samples[0].value).toBe(5);
  });

  it("keep the first type when a filter defines one name twice with different types", () => {
    const registry = new StatsRegistry();
    const metrics = new Metrics();
    metrics.define(MetricType.COUNTER, "dup");
    metrics.define(MetricType.GAUGE, "dup");
    adoptWasmMetrics(registry, metrics);
    const family = parsePrometheus(formatPrometheus(registry)).get("weir_wasmcustom_dup");
    expect(family).toMatchObject({ type: "counter", samples: [{ value: 0 }] });
  });

  it("stop appearing once removed", () => {
    const registry = new StatsRegistry();
    const remove = adoptWasmMetrics(registry, hostMetrics());
    remove();
    expect(formatPrometheus(registry)).toBe("");
  });
});

describe("the whole catalog", () => {
  it("exposes every listener, cluster and filter stat as a well-formed family", () => {
    const registry = new StatsRegistry();
    const http = createHttpStats(registry, "inbound");
    const cluster = createClusterStats(registry, "backend");
    const filter = createFilterStats(registry, "auth");
    filter.adopt({ digest: "ab12", state: "ready", counters: { streams: 3, failures: 0, reloads: 0 } });
    http.responses.record(503);
    http.response_flags.get("UO").inc();
    cluster.responses.record(200);
    cluster.upstream_rq_time.record(12);
    filter.recordCall(0.03);
    adoptWasmMetrics(registry, new Metrics());
    const families = parsePrometheus(formatPrometheus(registry));
    for (const name of [
      "weir_http_downstream_rq_total",
      "weir_http_downstream_rq",
      "weir_http_downstream_rq_xx",
      "weir_http_downstream_rq_response_flags_total",
      "weir_cluster_upstream_rq_total",
      "weir_cluster_upstream_rq",
      "weir_cluster_upstream_rq_xx",
      "weir_cluster_upstream_rq_retry",
      "weir_cluster_upstream_cx_active",
      "weir_cluster_upstream_rq_time",
      "weir_cluster_circuit_breakers_rq_open",
      "weir_cluster_outlier_detection_ejections_active",
      "weir_filter_calls_total",
      "weir_filter_traps_total",
      "weir_filter_call_time",
      "weir_filter_streams_total",
      "weir_filter_info",
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    expect(families.get("weir_http_downstream_rq")?.samples).toEqual([
      { name: "weir_http_downstream_rq", labels: { listener: "inbound", response_code: "503" }, value: 1 },
    ]);
    expect(families.get("weir_filter_info")?.samples[0].labels).toEqual({ filter: "auth", digest: "ab12" });
  });
});
