/**
 * Pins the cluster as the router will use it: pick/report bookkeeping, UH before UO, outlier
 * ejection through reports and return on the clock, endpoint updates that keep state and
 * drain, health checking at startup and its un-ejection, retry admission, and the admin
 * snapshot.
 */

import { describe, expect, it } from "vitest";
import { ManualClock, seededRandom } from "./clock.ts";
import { Cluster, type ClusterOptions } from "./cluster.ts";
import type { Endpoint, EndpointSpec } from "./endpoint.ts";

const specs = (n: number): EndpointSpec[] => Array.from({ length: n }, (_, i) => ({ address: `10.0.0.${i + 1}`, port: 8080 }));

function make(options: Partial<ClusterOptions> = {}) {
  const clock = new ManualClock();
  const cluster = new Cluster({ name: "backend", endpoints: specs(3), ...options }, { clock, random: seededRandom(1) });
  return { clock, cluster };
}

function pickOk(cluster: Cluster, hashKey?: string): Endpoint {
  const result = cluster.pick(hashKey);
  if (result.endpoint === undefined) throw new Error(`expected an endpoint, got ${result.error.message}`);
  return result.endpoint;
}

describe("Cluster", () => {
  it("picks, counts in-flight requests, and releases them on report", () => {
    const { cluster } = make();
    const picked = [pickOk(cluster), pickOk(cluster), pickOk(cluster)];
    expect(new Set(picked).size).toBe(3);
    expect(cluster.activeRequests).toBe(3);
    expect(picked[0].activeRequests).toBe(1);
    expect(cluster.stats).toMatchObject({ upstream_rq_total: 3, upstream_rq_active: 3, "circuit_breakers.default.rq_open": 0 });
    expect(cluster.report(picked[0], 200)).toBe(true);
    expect(cluster.report(picked[1], 503)).toBe(true);
    expect(cluster.report(picked[2], "timeout")).toBe(true);
    expect(cluster.activeRequests).toBe(0);
    expect(cluster.stats).toMatchObject({ upstream_rq_active: 0, upstream_rq_2xx: 1, upstream_rq_5xx: 1, upstream_rq_timeout: 1 });
  });

  it("ignores a report with no pick outstanding, so a double report changes nothing", () => {
    const { cluster } = make();
    const ep = pickOk(cluster);
    cluster.report(ep, 503);
    expect(cluster.report(ep, 503)).toBe(false);
    expect(ep.stats.rq_error).toBe(1);
    expect(cluster.stats.upstream_rq_5xx).toBe(1);
  });

  it("answers UH when there is no endpoint to choose", () => {
    const { cluster } = make({ endpoints: [] });
    expect(cluster.pick().error).toEqual({
      flag: "UH",
      status: 503,
      details: "no_healthy_upstream",
      message: 'cluster "backend": no healthy upstream (no endpoints)',
    });
    expect(cluster.stats.upstream_cx_none_healthy).toBe(1);
  });

  it("answers UO at the requests limit and recovers when a request reports", () => {
    const { cluster } = make({ circuitBreakers: { maxRequests: 2 } });
    const a = pickOk(cluster);
    pickOk(cluster);
    const third = cluster.pick();
    expect(third.error).toMatchObject({ flag: "UO", status: 503, details: "upstream_overflow" });
    expect(cluster.stats.upstream_rq_pending_overflow).toBe(1);
    expect(cluster.activeRequests).toBe(2);
    cluster.report(a, 200);
    expect(cluster.pick().endpoint).toBeDefined();
  });

  it("checks for a healthy upstream before the breaker, as Envoy's router does", () => {
    const { cluster } = make({ endpoints: [], circuitBreakers: { maxRequests: 0 } });
    expect(cluster.pick().error?.flag).toBe("UH");
  });

  it("ejects an endpoint after 5 consecutive 5xx reports, routes around it, and takes it back after 30 s", () => {
    const { cluster, clock } = make({ endpoints: specs(10) });
    const bad = cluster.endpoints[0];
    while (!bad.ejected) {
      const ep = pickOk(cluster);
      cluster.report(ep, ep === bad ? 503 : 200);
    }
    expect(bad.stats.rq_error).toBe(5);
    for (let i = 0; i < 100; i++) {
      const ep = pickOk(cluster);
      expect(ep).not.toBe(bad);
      cluster.report(ep, 200);
    }
    expect(cluster.stats["outlier_detection.ejections_active"]).toBe(1);
    clock.advance(30_000);
    expect(bad.ejected).toBe(false);
    expect(cluster.snapshot().endpoints[0]).toMatchObject({ health: "healthy", ejections: 1 });
  });

  it("keeps the state of endpoints that stay, adds new ones and drops idle removed ones", () => {
    const { cluster } = make();
    const [a, b] = cluster.endpoints;
    const ep = pickOk(cluster);
    cluster.report(ep, 200);
    a.ejected = true;
    cluster.updateEndpoints([...specs(2), { address: "10.0.0.9", port: 8080, weight: 2 }]);
    expect(cluster.endpoints.map((e) => e.key)).toEqual(["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.9:8080"]);
    expect(cluster.endpoints[0]).toBe(a);
    expect(cluster.endpoints[1]).toBe(b);
    expect(a.ejected).toBe(true);
    expect(cluster.endpoints.reduce((n, e) => n + e.stats.rq_total, 0)).toBe(1);
    expect(cluster.endpoints[2].weight).toBe(2);
    expect(cluster.stats.membership_change).toBe(1);
    cluster.updateEndpoints([...specs(2), { address: "10.0.0.9", port: 8080, weight: 2 }]);
    expect(cluster.stats.membership_change).toBe(1);
  });

  it("drains a removed endpoint: never picked again, shown until its last request reports, then dropped", () => {
    const { cluster } = make({ endpoints: specs(2), lbPolicy: "ring_hash" });
    const leaving = cluster.endpoints[1];
    let key = 0;
    while (cluster.pick(`k${key}`).endpoint !== leaving) key++;
    for (const e of cluster.endpoints) if (e !== leaving) while (e.activeRequests > 0) cluster.report(e, 200);
    cluster.updateEndpoints(specs(1));
    expect(leaving.draining).toBe(true);
    expect(cluster.snapshot().endpoints.map((e) => [e.address, e.health, e.healthFlags])).toEqual([
      ["10.0.0.1", "healthy", []],
      ["10.0.0.2", "draining", ["pending_dynamic_removal"]],
    ]);
    for (let i = 0; i < 50; i++) expect(cluster.pick(`k${key}-${i}`).endpoint).not.toBe(leaving);
    cluster.report(leaving, 200);
    expect(cluster.endpoints.map((e) => e.key)).toEqual(["10.0.0.1:8080"]);
    expect(cluster.stats.membership_total).toBe(1);
  });

  it("brings a draining endpoint back when it reappears", () => {
    const { cluster } = make({ endpoints: specs(2) });
    const ep = cluster.endpoints[1];
    while (pickOk(cluster) !== ep);
    cluster.updateEndpoints(specs(1));
    cluster.updateEndpoints(specs(2));
    expect(cluster.endpoints[1]).toBe(ep);
    expect(ep.draining).toBe(false);
  });

  it("rejects an invalid endpoint list without changing anything", () => {
    const { cluster } = make();
    let error: unknown;
    try {
      cluster.updateEndpoints([
        { address: "10.0.0.5", port: 8080 },
        { address: "10.0.0.6", port: 70_000 },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/cluster "backend": cannot use endpoint .*70000.*port must be an integer/);
    expect((error as Error).cause).toBeInstanceOf(RangeError);
    expect(cluster.endpoints).toHaveLength(3);
  });

  it("with health checking, starts cold, then sends traffic only to endpoints that passed", async () => {
    const statuses: Record<string, number> = { "10.0.0.1": 200, "10.0.0.2": 503 };
    const { cluster, clock } = make({
      endpoints: specs(2),
      healthCheck: { path: "/ready", probe: async (ep) => statuses[ep.address] },
    });
    expect(cluster.warm).toBe(false);
    await clock.advanceAsync(0);
    expect(cluster.warm).toBe(true);
    for (let i = 0; i < 20; i++) expect(pickOk(cluster).address).toBe("10.0.0.1");
    expect(cluster.stats).toMatchObject({ "health_check.healthy": 1, membership_healthy: 1, upstream_rq_lb_healthy_panic: 0 });
  });

  it("un-ejects an endpoint whose active health check passes", async () => {
    const { cluster, clock } = make({ endpoints: specs(2), healthCheck: { path: "/ready", probe: async () => 200, startHealthy: true } });
    const ep = cluster.endpoints[0];
    for (let i = 0; i < 5; i++) {
      while (pickOk(cluster) !== ep);
      cluster.report(ep, 503);
    }
    expect(ep.ejected).toBe(true);
    await clock.advanceAsync(5_000);
    expect(ep.ejected).toBe(false);
  });

  it("admits retries through the budget by default (10/s floor with no traffic)", () => {
    const { cluster } = make();
    const admitted = Array.from({ length: 11 }, () => cluster.tryRetry());
    expect(admitted.filter(Boolean)).toHaveLength(10);
    expect(cluster.stats).toMatchObject({ upstream_rq_retry: 10, upstream_rq_retry_overflow: 1 });
  });

  it("falls back to the max-retries breaker (3) without a budget", () => {
    const { cluster } = make({ retryBudget: false });
    const admitted = Array.from({ length: 4 }, () => cluster.tryRetry());
    expect(admitted.filter(Boolean)).toHaveLength(3);
    admitted[0]?.();
    expect(cluster.tryRetry()).toBeDefined();
    expect(cluster.stats["circuit_breakers.default.rq_retry_open"]).toBe(1);
  });

  it("snapshots every endpoint with health, load and counters for /clusters", () => {
    const { cluster } = make({ endpoints: specs(1) });
    const ep = pickOk(cluster);
    pickOk(cluster);
    cluster.report(ep, 200);
    expect(cluster.snapshot()).toMatchObject({
      name: "backend",
      lbPolicy: "round_robin",
      circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
      endpoints: [
        {
          address: "10.0.0.1",
          port: 8080,
          weight: 1,
          health: "healthy",
          healthFlags: [],
          activeRequests: 1,
          ejections: 0,
          stats: { rq_total: 2, rq_success: 1, rq_error: 0, rq_active: 1, rq_timeout: 0, cx_connect_fail: 0 },
        },
      ],
    });
    expect(JSON.parse(JSON.stringify(cluster.snapshot())).stats["outlier_detection.ejections_active"]).toBe(0);
  });

  it("leaves no timer behind on close()", async () => {
    const { cluster, clock } = make({ healthCheck: { path: "/", probe: async () => 200 } });
    await clock.advanceAsync(0);
    cluster.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
