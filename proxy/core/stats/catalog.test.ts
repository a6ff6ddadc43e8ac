import { describe, expect, it } from "vitest";
import { CLUSTER_STATS, createClusterStats } from "./cluster-stats.ts";
import { createFilterStats } from "./filter-stats.ts";
import { createHttpStats } from "./http-stats.ts";
import { StatsRegistry } from "./registry.ts";
import { snapshotStats } from "./snapshot.ts";
import { statNames } from "./stat-set.ts";

const value = (registry: StatsRegistry, name: string, labels: Record<string, string>) =>
  snapshotStats(registry).stats.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels));

describe("cluster stats", () => {
  it("use Envoy's names with the cluster as a label", () => {
    const registry = new StatsRegistry();
    const stats = createClusterStats(registry, "backend");
    stats.upstream_rq_total.inc();
    stats.upstream_rq_retry.value++;
    stats.circuit_breakers.rq_open.set(1);
    stats.outlier_detection.ejections_active.inc();
    expect(value(registry, "cluster.upstream_rq_total", { cluster: "backend" })).toMatchObject({ type: "counter", value: 1 });
    expect(value(registry, "cluster.upstream_rq_retry", { cluster: "backend" })).toMatchObject({ value: 1 });
    expect(value(registry, "cluster.circuit_breakers.rq_open", { cluster: "backend" })).toMatchObject({ type: "gauge", value: 1 });
    expect(value(registry, "cluster.outlier_detection.ejections_active", { cluster: "backend" })).toMatchObject({ value: 1 });
    expect(statNames("cluster", CLUSTER_STATS)).toContain("cluster.upstream_cx_active");
  });

  it("keep their counts when a config reload creates them again", () => {
    const registry = new StatsRegistry();
    createClusterStats(registry, "backend").upstream_rq_total.inc(5);
    const again = createClusterStats(registry, "backend");
    again.upstream_rq_total.inc();
    expect(again.upstream_rq_total.value).toBe(6);
  });

  it("count responses per code and per class", () => {
    const registry = new StatsRegistry();
    const stats = createClusterStats(registry, "backend");
    for (const status of [200, 204, 503, 503, 0, 999]) stats.responses.record(status);
    expect(value(registry, "cluster.upstream_rq", { cluster: "backend", response_code: "503" })).toMatchObject({ value: 2 });
    expect(value(registry, "cluster.upstream_rq", { cluster: "backend", response_code: "200" })).toMatchObject({ value: 1 });
    expect(value(registry, "cluster.upstream_rq_xx", { cluster: "backend", response_code_class: "2xx" })).toMatchObject({ value: 2 });
    expect(value(registry, "cluster.upstream_rq_xx", { cluster: "backend", response_code_class: "5xx" })).toMatchObject({ value: 2 });
    // The class counters exist before any response; out-of-range codes count nowhere.
    expect(value(registry, "cluster.upstream_rq_xx", { cluster: "backend", response_code_class: "1xx" })).toMatchObject({ value: 0 });
    expect(snapshotStats(registry, { filter: /^cluster\.upstream_rq$/ }).stats).toHaveLength(3);
  });
});

describe("http stats", () => {
  it("count requests by response flag, one counter per flag", () => {
    const registry = new StatsRegistry();
    const stats = createHttpStats(registry, "inbound");
    stats.response_flags.get("UO").inc();
    stats.response_flags.get("UO").inc();
    expect(stats.response_flags.get("UO").value).toBe(2);
    expect(value(registry, "http.downstream_rq_response_flags_total", { listener: "inbound", response_flag: "UO" })).toMatchObject({
      value: 2,
    });
  });
});

describe("filter stats", () => {
  it("read the host's counts and carry them over a hot swap so they never go back", () => {
    const registry = new StatsRegistry();
    const stats = createFilterStats(registry, "auth", { listener: "inbound" });
    const l = { filter: "auth", listener: "inbound" };
    const v1 = { digest: "aaa", state: "ready" as const, counters: { streams: 10, failures: 0, reloads: 1 } };
    stats.adopt(v1);
    expect(value(registry, "filter.streams_total", l)).toMatchObject({ value: 10 });
    expect(value(registry, "filter.ready", l)).toMatchObject({ value: 1 });

    const v2 = { digest: "bbb", state: "failed" as const, counters: { streams: 2, failures: 1, reloads: 0 } };
    stats.adopt(v2);
    expect(value(registry, "filter.streams_total", l)).toMatchObject({ value: 12 });
    expect(value(registry, "filter.reloads_total", l)).toMatchObject({ value: 1 });
    expect(value(registry, "filter.ready", l)).toMatchObject({ value: 0 });
    // Only the serving version has an info series.
    expect(snapshotStats(registry, { filter: /^filter\.info$/ }).stats.map((s) => s.labels.digest)).toEqual(["bbb"]);
  });

  it("count traps by kind and time calls", () => {
    const registry = new StatsRegistry();
    const stats = createFilterStats(registry, "auth");
    stats.recordTrap({ kind: "fuel" });
    stats.recordTrap({ kind: "fuel" });
    stats.recordCall(0.02);
    expect(stats.traps.fuel.value).toBe(2);
    expect(stats.traps.trap.value).toBe(0);
    expect(stats.calls_total.value).toBe(1);
    expect(stats.call_time.counts[1]).toBe(1); // (0.01, 0.025]
  });
});
