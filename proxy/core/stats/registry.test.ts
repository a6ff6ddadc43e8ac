import { describe, expect, it } from "vitest";
import { Counter, Histogram } from "./metric.ts";
import { StatsRegistry } from "./registry.ts";
import { quantile, snapshotStats } from "./snapshot.ts";

describe("StatsRegistry", () => {
  it("hands out the same object for the same name and labels, whatever the label order", () => {
    const registry = new StatsRegistry();
    const a = registry.counter("cluster.upstream_rq_total", { cluster: "backend", listener: "out" });
    const b = registry.counter("cluster.upstream_rq_total", { listener: "out", cluster: "backend" });
    expect(a).toBeInstanceOf(Counter);
    expect(b).toBe(a);
    expect(registry.counter("cluster.upstream_rq_total", { cluster: "other", listener: "out" })).not.toBe(a);
  });

  it("refuses one name with two types", () => {
    const registry = new StatsRegistry();
    registry.counter("x");
    expect(() => registry.gauge("x")).toThrow('Cannot register gauge "x": it is already registered as a counter');
  });

  it("refuses one histogram family with two sets of bounds", () => {
    const registry = new StatsRegistry();
    registry.histogram("h", { a: "1" }, { buckets: [1, 2] });
    expect(registry.histogram("h", { a: "2" }, { buckets: [1, 2] })).toBeInstanceOf(Histogram);
    expect(() => registry.histogram("h", { a: "3" }, { buckets: [1, 5] })).toThrow(/bounds \[1,5\].*\[1,2\]/);
  });

  it("rejects histogram bounds that do not increase", () => {
    expect(() => new Histogram([1, 1, 2])).toThrow(RangeError);
  });

  it("reads counterFrom and gaugeFrom at scrape time, and removes them", () => {
    const registry = new StatsRegistry();
    const owner = { streams: 1 };
    const remove = registry.counterFrom("filter.streams_total", { filter: "auth" }, () => owner.streams);
    owner.streams = 7;
    expect(snapshotStats(registry).stats).toEqual([
      { name: "filter.streams_total", type: "counter", labels: { filter: "auth" }, value: 7 },
    ]);
    remove();
    expect(snapshotStats(registry).stats).toEqual([]);
  });

  it("removes every series carrying a label", () => {
    const registry = new StatsRegistry();
    registry.counter("cluster.upstream_rq_total", { cluster: "old" });
    registry.gauge("cluster.upstream_rq_active", { cluster: "old" });
    registry.counter("cluster.upstream_rq_total", { cluster: "kept" });
    expect(registry.removeMatching({ cluster: "old" })).toBe(2);
    expect(snapshotStats(registry).stats.map((s) => s.labels.cluster)).toEqual(["kept"]);
  });

  it("merges collected stats into families of the same name and type", () => {
    const registry = new StatsRegistry();
    registry.counter("wasmcustom.hits", { vm: "a" }).inc();
    registry.addCollector(() => [
      { name: "wasmcustom.hits", type: "counter", labels: { vm: "b" }, value: 2 },
      { name: "wasmcustom.hits", type: "gauge", labels: { vm: "c" }, value: 3 },
    ]);
    const [family] = registry.families();
    expect(family.series.map((s) => [s.labels.vm, s.type === "histogram" ? null : s.value])).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
  });
});

describe("snapshotStats (/stats)", () => {
  function fixture(): StatsRegistry {
    const registry = new StatsRegistry();
    registry.counter("cluster.upstream_rq_total", { cluster: "backend" }).inc(3);
    registry.counter("cluster.upstream_rq_retry", { cluster: "backend" });
    registry.gauge("http.downstream_rq_active", { listener: "inbound" }).set(1);
    const h = registry.histogram("http.downstream_rq_time", { listener: "inbound" }, { buckets: [10, 100] });
    for (const v of [5, 5, 50, 500]) h.record(v);
    return registry;
  }

  it("lists each series with name, type, labels and value; histograms with cumulative buckets and quantiles", () => {
    expect(snapshotStats(fixture())).toEqual({
      stats: [
        { name: "cluster.upstream_rq_retry", type: "counter", labels: { cluster: "backend" }, value: 0 },
        { name: "cluster.upstream_rq_total", type: "counter", labels: { cluster: "backend" }, value: 3 },
        { name: "http.downstream_rq_active", type: "gauge", labels: { listener: "inbound" }, value: 1 },
        {
          name: "http.downstream_rq_time",
          type: "histogram",
          labels: { listener: "inbound" },
          count: 4,
          sum: 560,
          buckets: [
            { le: 10, count: 2 },
            { le: 100, count: 3 },
            { le: "+Inf", count: 4 },
          ],
          quantiles: { p50: 10, p90: 100, p99: 100 },
        },
      ],
    });
  });

  it("filters by name and leaves out unused stats on request", () => {
    const names = (s: { stats: { name: string }[] }) => s.stats.map((e) => e.name);
    expect(names(snapshotStats(fixture(), { filter: /^cluster\./ }))).toEqual(["cluster.upstream_rq_retry", "cluster.upstream_rq_total"]);
    expect(names(snapshotStats(fixture(), { usedOnly: true }))).not.toContain("cluster.upstream_rq_retry");
  });
});

describe("quantile", () => {
  it("interpolates inside the bucket holding the rank, as histogram_quantile does", () => {
    // 10 observations in (0, 10], 10 in (10, 20]: the median sits at the first bucket's top.
    expect(quantile({ bounds: [10, 20], counts: [10, 10, 0] }, 0.5)).toBe(10);
    expect(quantile({ bounds: [10, 20], counts: [10, 10, 0] }, 0.75)).toBe(15);
    expect(quantile({ bounds: [10, 20], counts: [0, 0, 5] }, 0.5)).toBe(20);
    expect(quantile({ bounds: [10, 20], counts: [0, 0, 0] }, 0.5)).toBeNull();
  });
});
