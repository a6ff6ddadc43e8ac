import { describe, expect, it } from "vitest";
import { MetricType } from "../abi/enums.ts";
import { FilterTrapError } from "../abi/errors.ts";
import { Metrics } from "../abi/metrics.ts";
import { createClusterStats } from "../core/stats/cluster-stats.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../core/stats/prometheus.ts";
import { StatsRegistry } from "../core/stats/registry.ts";
import { adoptWasmMetrics } from "../core/stats/wasm-metrics.ts";
import { createAdminApp } from "./app.ts";
import { describeFilter } from "./describe-filter.ts";
import { checkReadiness, type ListenerReadiness } from "./readiness.ts";
import type { AdminOptions, ClusterStatus, FilterStatus } from "./types.ts";

function setup(overrides: Partial<AdminOptions> = {}) {
  const stats = new StatsRegistry();
  const backend = createClusterStats(stats, "backend");
  backend.upstream_rq_total.inc(3);
  backend.responses.record(503);
  const metrics = new Metrics();
  metrics.get(metrics.define(MetricType.COUNTER, "auth_denied"))!.value = 2;
  adoptWasmMetrics(stats, metrics);
  const listeners: ListenerReadiness[] = [{ name: "inbound", bound: true, address: "0.0.0.0:15006" }];
  const filters: FilterStatus[] = [
    { name: "auth", listener: "inbound", source: "file:filters/auth.wasm", digest: "ab12", state: "ready", lastError: null },
  ];
  const clusters: ClusterStatus[] = [
    {
      name: "backend",
      lbPolicy: "round_robin",
      endpoints: [
        { address: "10.0.0.1", port: 8080, health: "healthy", healthFlags: [], stats: { rq_total: 2, rq_active: 0 } },
        { address: "10.0.0.2", port: 8080, health: "ejected", healthFlags: ["failed_outlier_check"] },
      ],
    },
  ];
  const config = { admin: { address: "127.0.0.1", port: 9901 }, listeners: [{ name: "inbound", port: 15006 }] };
  const app = createAdminApp({
    stats,
    readiness: () => checkReadiness({ listeners, filters }),
    clusters: () => clusters,
    configDump: () => config,
    filters: async () => filters,
    ...overrides,
  });
  return { app, stats, listeners, filters, config };
}

describe("GET /ready", () => {
  it("is 200 when every listener is bound and every filter loaded", async () => {
    const { app } = setup();
    const res = await app.request("/ready");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ready\n");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("is 503 with every reason while a listener is unbound or a filter is not loaded", async () => {
    const { app, listeners, filters } = setup();
    listeners[0].bound = false;
    filters.push({
      name: "ratelimit",
      source: "registry:weir.dev/ratelimit@1",
      digest: null,
      state: "load-failed",
      lastError: "registry returned 404",
    });
    const res = await app.request("/ready");
    expect(res.status).toBe(503);
    expect(await res.text()).toBe(
      'not ready:\n  - listener "inbound" (0.0.0.0:15006) is not bound\n  - filter "ratelimit" failed to load: registry returned 404\n',
    );
    const json = await app.request("/ready?format=json");
    expect(json.status).toBe(503);
    expect(await json.json()).toEqual({
      ready: false,
      reasons: ['listener "inbound" (0.0.0.0:15006) is not bound', 'filter "ratelimit" failed to load: registry returned 404'],
    });
  });

  it("is 503 when the readiness callback throws, or says ready with reasons", async () => {
    const throwing = setup({
      readiness: () => {
        throw new Error("boom");
      },
    });
    const res = await throwing.app.request("/ready?format=json");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, reasons: ["readiness check failed: boom"] });

    const contradictory = setup({ readiness: () => ({ ready: true, reasons: ["still loading config"] }) });
    expect((await contradictory.app.request("/ready")).status).toBe(503);
  });

  it("answers HEAD for probes that only look at the status", async () => {
    const { app, listeners } = setup();
    expect((await app.request("/ready", { method: "HEAD" })).status).toBe(200);
    listeners[0].bound = false;
    const res = await app.request("/ready", { method: "HEAD" });
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("");
  });
});

describe("GET /stats", () => {
  it("returns every stat as JSON entries of name, type, labels and value", async () => {
    const { app } = setup();
    const res = await app.request("/stats");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { stats: { name: string; type: string; labels: Record<string, string>; value?: number }[] };
    expect(body.stats).toContainEqual({ name: "cluster.upstream_rq_total", type: "counter", labels: { cluster: "backend" }, value: 3 });
    expect(body.stats).toContainEqual({ name: "wasmcustom.auth_denied", type: "counter", labels: {}, value: 2 });
    const histogram = body.stats.find((s) => s.name === "cluster.upstream_rq_time");
    expect(histogram).toMatchObject({ type: "histogram", count: 0, quantiles: { p50: null } });
  });

  it("filters by regex and usedonly", async () => {
    const { app } = setup();
    const body = (await (await app.request("/stats?filter=%5Ecluster%5C.upstream_rq&usedonly")).json()) as { stats: { name: string }[] };
    expect(body.stats.map((s) => s.name).sort()).toEqual(["cluster.upstream_rq", "cluster.upstream_rq_total", "cluster.upstream_rq_xx"]);
  });

  it("is 400 for a filter that is not a regex, quoting it", async () => {
    const { app } = setup();
    const res = await app.request("/stats?filter=(");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^Cannot use filter "\(":/);
  });
});

describe("GET /stats/prometheus", () => {
  it("serves text format 0.0.4 with weir's names and the filters' metrics", async () => {
    const { app } = setup();
    const res = await app.request("/stats/prometheus");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(PROMETHEUS_CONTENT_TYPE);
    const text = await res.text();
    expect(text).toContain("# TYPE weir_cluster_upstream_rq_total counter\n");
    expect(text).toContain('weir_cluster_upstream_rq_total{cluster="backend"} 3\n');
    expect(text).toContain('weir_cluster_upstream_rq{cluster="backend",response_code="503"} 1\n');
    expect(text).toContain('weir_cluster_upstream_rq_time_bucket{cluster="backend",le="+Inf"} 0\n');
    expect(text).toContain("weir_wasmcustom_auth_denied 2\n");
    expect(await (await app.request("/stats?format=prometheus")).text()).toBe(text);
  });
});

describe("GET /clusters, /config_dump, /filters", () => {
  it("/clusters lists endpoints and their health", async () => {
    const { app } = setup();
    const body = (await (await app.request("/clusters")).json()) as { clusters: ClusterStatus[] };
    expect(body.clusters[0].name).toBe("backend");
    expect(body.clusters[0].endpoints.map((e) => [`${e.address}:${e.port}`, e.health, e.healthFlags])).toEqual([
      ["10.0.0.1:8080", "healthy", []],
      ["10.0.0.2:8080", "ejected", ["failed_outlier_check"]],
    ]);
    expect(body.clusters[0].endpoints[0].stats).toEqual({ rq_total: 2, rq_active: 0 });
  });

  it("/config_dump prints the config the callback returns, pretty", async () => {
    const { app, config } = setup();
    const res = await app.request("/config_dump");
    expect(await res.text()).toBe(`${JSON.stringify(config, null, 2)}\n`);
  });

  it("/filters lists source, digest, state and last error", async () => {
    const { app } = setup();
    expect(await (await app.request("/filters")).json()).toEqual({
      filters: [{ name: "auth", listener: "inbound", source: "file:filters/auth.wasm", digest: "ab12", state: "ready", lastError: null }],
    });
  });

  it("answer empty when the proxy gives no callback", async () => {
    const app = createAdminApp({ stats: new StatsRegistry(), readiness: () => ({ ready: true, reasons: [] }) });
    expect(await (await app.request("/clusters")).json()).toEqual({ clusters: [] });
    expect(await (await app.request("/filters")).json()).toEqual({ filters: [] });
    expect(await (await app.request("/config_dump")).json()).toBeNull();
  });

  it("is 500 naming the endpoint when a callback throws", async () => {
    const { app } = setup({
      clusters: () => {
        throw new Error("cluster manager not started");
      },
    });
    const res = await app.request("/clusters");
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "GET /clusters failed: cluster manager not started" });
  });
});

describe("/ and unknown paths", () => {
  it("/ lists the endpoints", async () => {
    const { app } = setup();
    const text = await (await app.request("/")).text();
    for (const path of ["/ready", "/stats", "/stats/prometheus", "/clusters", "/config_dump", "/filters"])
      expect(text).toContain(`GET ${path} `);
    const json = (await (await app.request("/?format=json")).json()) as { endpoints: { path: string }[] };
    expect(json.endpoints.map((e) => e.path)).toContain("/config_dump");
  });

  it("is 404 for an unknown path", async () => {
    const { app } = setup();
    const res = await app.request("/quitquitquit");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "No admin endpoint GET /quitquitquit; GET / lists them" });
  });

  it("is 405 with Allow for a known path and another method", async () => {
    const { app } = setup();
    const res = await app.request("/stats", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("describeFilter", () => {
  it("turns a host filter into the /filters entry", () => {
    const error = new FilterTrapError("auth", "on_request_headers", "fuel", "budget of 1000000 exhausted");
    const status = describeFilter(
      {
        name: "auth",
        digest: "ab12",
        state: "failed",
        policy: "fail-closed",
        lastError: error,
        counters: { streams: 4, failures: 1, reloads: 0 },
      },
      "file:filters/auth.wasm",
      { listener: "inbound" },
    );
    expect(status).toEqual({
      name: "auth",
      listener: "inbound",
      source: "file:filters/auth.wasm",
      digest: "ab12",
      state: "failed",
      failurePolicy: "fail-closed",
      lastError: "filter auth: on_request_headers: CPU budget exhausted: budget of 1000000 exhausted",
      counters: { streams: 4, failures: 1, reloads: 0 },
    });
    // A filter that failed after loading keeps the proxy ready: its failure policy answers for it.
    expect(checkReadiness({ listeners: [], filters: [status] })).toEqual({ ready: true, reasons: [] });
  });
});
