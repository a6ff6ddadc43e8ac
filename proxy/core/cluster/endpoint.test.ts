/**
 * Pins an endpoint's identity, validation, health folding (flags are independent; draining
 * wins over unhealthy over ejected) and per-endpoint counters.
 */

import { describe, expect, it } from "vitest";
import { Endpoint, endpointKey } from "./endpoint.ts";

describe("Endpoint", () => {
  it("keys by address:port, bracketing IPv6", () => {
    expect(endpointKey({ address: "10.0.0.7", port: 8080 })).toBe("10.0.0.7:8080");
    expect(new Endpoint({ address: "::1", port: 80 }).key).toBe("[::1]:80");
  });

  it("rejects bad ports and weights, naming the value", () => {
    expect(() => new Endpoint({ address: "a", port: 0 })).toThrow(/port must be an integer from 1 to 65535, got 0/);
    expect(() => new Endpoint({ address: "a", port: 80, weight: 0 })).toThrow(/weight must be an integer from 1 to 128, got 0 for a:80/);
    expect(() => new Endpoint({ address: "a", port: 80, weight: 1.5 })).toThrow(RangeError);
    expect(() => new Endpoint({ address: "", port: 80 })).toThrow(TypeError);
  });

  it("folds independent flags into one health word", () => {
    const ep = new Endpoint({ address: "a", port: 80 });
    expect([ep.health, ep.isAvailable, ep.healthFlags]).toEqual(["healthy", true, []]);
    ep.ejected = true;
    expect([ep.health, ep.isAvailable]).toEqual(["ejected", false]);
    ep.failedActiveHealthCheck = true;
    expect(ep.health).toBe("unhealthy");
    ep.ejected = false; // un-ejecting does not make a host that fails its health check healthy
    expect([ep.health, ep.isAvailable]).toEqual(["unhealthy", false]);
    ep.draining = true;
    ep.ejected = true;
    expect(ep.health).toBe("draining");
    expect(ep.healthFlags).toEqual(["failed_active_hc", "failed_outlier_check", "pending_dynamic_removal"]);
  });

  it("counts requests by outcome", () => {
    const ep = new Endpoint({ address: "a", port: 80 });
    for (const outcome of [200, 404, 503, "timeout", "connect-failure", "reset", "cancelled"] as const) {
      ep.startRequest();
      ep.finishRequest(outcome);
    }
    expect(ep.activeRequests).toBe(0);
    expect(ep.stats).toEqual({ rq_total: 7, rq_success: 2, rq_error: 4, rq_timeout: 1, cx_connect_fail: 1 });
  });

  it("never lets active requests go negative", () => {
    const ep = new Endpoint({ address: "a", port: 80 });
    ep.finishRequest(200);
    expect(ep.activeRequests).toBe(0);
  });
});
