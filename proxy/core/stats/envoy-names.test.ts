import { describe, expect, it } from "vitest";
import { adoptEnvoyStats, fromEnvoyName, isEnvoyGauge } from "./envoy-names.ts";
import { formatPrometheus } from "./prometheus.ts";
import { StatsRegistry } from "./registry.ts";

describe("Envoy-named flat stats", () => {
  it("extract the status code, the class and the breaker priority as Envoy's tag extractors do", () => {
    expect(fromEnvoyName("cluster", "upstream_rq_503")).toEqual({ name: "cluster.upstream_rq", labels: { response_code: "503" } });
    expect(fromEnvoyName("cluster", "upstream_rq_5xx")).toEqual({ name: "cluster.upstream_rq_xx", labels: { response_code_class: "5xx" } });
    expect(fromEnvoyName("http", "downstream_rq_2xx")).toEqual({ name: "http.downstream_rq_xx", labels: { response_code_class: "2xx" } });
    expect(fromEnvoyName("cluster", "circuit_breakers.default.rq_open")).toEqual({ name: "cluster.circuit_breakers.rq_open", labels: {} });
    expect(fromEnvoyName("cluster", "circuit_breakers.high.rq_open")).toEqual({
      name: "cluster.circuit_breakers.rq_open",
      labels: { priority: "high" },
    });
    expect(fromEnvoyName("cluster", "upstream_rq_total")).toEqual({ name: "cluster.upstream_rq_total", labels: {} });
    expect(fromEnvoyName("cluster", "upstream_rq_time")).toEqual({ name: "cluster.upstream_rq_time", labels: {} });
  });

  it("know Envoy's gauges from its counters", () => {
    for (const g of [
      "upstream_rq_active",
      "membership_healthy",
      "circuit_breakers.default.cx_open",
      "outlier_detection.ejections_active",
    ]) {
      expect(isEnvoyGauge(g), g).toBe(true);
    }
    for (const c of [
      "upstream_rq_total",
      "membership_change",
      "upstream_rq_pending_overflow",
      "outlier_detection.ejections_enforced_total",
    ]) {
      expect(isEnvoyGauge(c), c).toBe(false);
    }
  });

  it("are read on every scrape with the component's labels and the catalog's help", () => {
    const registry = new StatsRegistry();
    const backend: Record<string, number> = {
      upstream_rq_total: 3,
      upstream_rq_5xx: 1,
      upstream_rq_active: 2,
      "circuit_breakers.default.rq_open": 1,
    };
    adoptEnvoyStats(registry, "cluster", () => [[{ cluster: "backend" }, backend]]);
    backend.upstream_rq_total++;
    const text = formatPrometheus(registry);
    expect(text).toContain(
      "# HELP weir_cluster_upstream_rq_total Requests sent upstream (each attempt counts)\n# TYPE weir_cluster_upstream_rq_total counter\n" +
        'weir_cluster_upstream_rq_total{cluster="backend"} 4\n',
    );
    expect(text).toContain(
      '# TYPE weir_cluster_upstream_rq_xx counter\nweir_cluster_upstream_rq_xx{cluster="backend",response_code_class="5xx"} 1\n',
    );
    expect(text).toContain('# TYPE weir_cluster_upstream_rq_active gauge\nweir_cluster_upstream_rq_active{cluster="backend"} 2\n');
    expect(text).toContain('weir_cluster_circuit_breakers_rq_open{cluster="backend"} 1\n');
  });
});
