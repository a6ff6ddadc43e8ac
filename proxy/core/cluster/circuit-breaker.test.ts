/**
 * Pins the circuit breakers: Envoy's defaults, overflow exactly at the limit, release making
 * room again (once per unit, however often it is called), and Envoy's stat names.
 */

import { describe, expect, it } from "vitest";
import { CIRCUIT_BREAKER_DEFAULTS, CircuitBreaker } from "./circuit-breaker.ts";

describe("CircuitBreaker", () => {
  it("defaults to Envoy's 1024 / 1024 / 1024 / 3", () => {
    expect(new CircuitBreaker().limits).toEqual({ maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 });
    expect(CIRCUIT_BREAKER_DEFAULTS.maxRetries).toBe(3);
  });

  it("admits up to the limit, overflows at it, and makes room on release", () => {
    const breaker = new CircuitBreaker({ maxRequests: 3 });
    const releases = [breaker.tryAcquire("requests"), breaker.tryAcquire("requests"), breaker.tryAcquire("requests")];
    expect(releases.every((r) => typeof r === "function")).toBe(true);
    expect(breaker.stats.rq_open).toBe(1);
    expect(breaker.tryAcquire("requests")).toBeUndefined();
    expect(breaker.stats.upstream_rq_pending_overflow).toBe(1);
    releases[0]?.();
    expect(breaker.stats.rq_open).toBe(0);
    expect(breaker.remaining("requests")).toBe(1);
    expect(breaker.tryAcquire("requests")).toBeDefined();
    expect(breaker.tryAcquire("requests")).toBeUndefined();
    expect(breaker.stats.upstream_rq_pending_overflow).toBe(2);
  });

  it("releases a unit once, however often its release is called", () => {
    const breaker = new CircuitBreaker({ maxConnections: 2 });
    const first = breaker.tryAcquire("connections");
    breaker.tryAcquire("connections");
    first?.();
    first?.();
    first?.();
    expect(breaker.active("connections")).toBe(1);
    expect(breaker.tryAcquire("connections")).toBeDefined();
    expect(breaker.tryAcquire("connections")).toBeUndefined();
  });

  it("overflows the default 3 concurrent retries on the 4th", () => {
    const breaker = new CircuitBreaker();
    for (let i = 0; i < 3; i++) expect(breaker.tryAcquire("retries")).toBeDefined();
    expect(breaker.stats.rq_retry_open).toBe(1);
    expect(breaker.tryAcquire("retries")).toBeUndefined();
    expect(breaker.stats.upstream_rq_retry_overflow).toBe(1);
  });

  it("keeps each resource's count, gauge and overflow counter apart, named as in Envoy", () => {
    const breaker = new CircuitBreaker({ maxConnections: 1, maxPendingRequests: 1, maxRequests: 5 });
    breaker.tryAcquire("connections");
    breaker.tryAcquire("connections");
    breaker.tryAcquire("pendingRequests");
    breaker.tryAcquire("pendingRequests");
    expect(breaker.active("requests")).toBe(0);
    expect(breaker.stats).toEqual({
      cx_open: 1,
      rq_pending_open: 1,
      rq_open: 0,
      rq_retry_open: 0,
      upstream_cx_overflow: 1,
      upstream_rq_pending_overflow: 1,
      upstream_rq_retry_overflow: 0,
    });
  });

  it("treats a limit of 0 as closed and Infinity as unlimited", () => {
    expect(new CircuitBreaker({ maxRequests: 0 }).tryAcquire("requests")).toBeUndefined();
    const open = new CircuitBreaker({ maxRequests: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 5000; i++) expect(open.tryAcquire("requests")).toBeDefined();
  });

  it("rejects negative or fractional limits, naming the field", () => {
    expect(() => new CircuitBreaker({ maxRetries: -1 })).toThrow(/maxRetries must be a non-negative integer or Infinity, got -1/);
    expect(() => new CircuitBreaker({ maxRequests: 2.5 })).toThrow(RangeError);
  });
});
