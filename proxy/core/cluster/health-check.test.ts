/**
 * Pins active health checking: the first result decides a new endpoint's state, the
 * thresholds flip it exactly on the 3rd failure and the 2nd pass, timeouts abort and count as
 * failures, probes of one endpoint never overlap (slow or hung), jitter stays in its window,
 * and stop() leaves nothing scheduled.
 */

import { describe, expect, it } from "vitest";
import { ManualClock, seededRandom } from "./clock.ts";
import { Endpoint } from "./endpoint.ts";
import { HealthChecker, type HealthCheckOptions } from "./health-check.ts";

/** What the fake upstream does for one probe: answer a status (after `delay` ms), fail, or never answer. */
type Answer = number | "error" | "hang" | { status: number; delay: number };

function harness(answers: Answer[] | ((n: number) => Answer), options: Partial<HealthCheckOptions> = {}) {
  const clock = new ManualClock();
  const endpoint = new Endpoint({ address: "10.0.0.1", port: 8080 });
  const starts: number[] = [];
  const signals: AbortSignal[] = [];
  const requests: Array<{ path: string; timeoutMs: number }> = [];
  const results: Array<{ passed: boolean; changed: boolean }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const answerFor = (n: number): Answer => (typeof answers === "function" ? answers(n) : (answers[n] ?? 200));
  const checker = new HealthChecker(
    { path: "/healthz", ...options },
    {
      clock,
      random: seededRandom(1),
      onResult: (_, r) => results.push(r),
      probe: (_, { path, timeoutMs, signal }) => {
        const answer = answerFor(starts.length);
        starts.push(clock.now());
        signals.push(signal);
        requests.push({ path, timeoutMs });
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        const done = <T>(value: T) => {
          inFlight--;
          return value;
        };
        if (answer === "hang") return new Promise<number>(() => {});
        if (answer === "error") return Promise.reject(new Error("ECONNREFUSED")).finally(() => done(0));
        if (typeof answer === "number") return Promise.resolve(done(answer));
        return new Promise<number>((resolve) => clock.setTimeout(() => resolve(done(answer.status)), answer.delay));
      },
    },
  );
  return { clock, endpoint, checker, starts, signals, requests, results, maxInFlight: () => maxInFlight };
}

describe("HealthChecker", () => {
  it("starts an endpoint unhealthy and lets one first pass make it healthy", async () => {
    const h = harness([200]);
    h.checker.add(h.endpoint);
    expect([h.endpoint.failedActiveHealthCheck, h.endpoint.healthFlags]).toEqual([true, ["failed_active_hc", "pending_active_hc"]]);
    await h.clock.advanceAsync(0);
    expect([h.endpoint.failedActiveHealthCheck, h.endpoint.healthFlags]).toEqual([false, []]);
    expect(h.requests[0]).toEqual({ path: "/healthz", timeoutMs: 1_000 });
    expect(h.checker.stats).toMatchObject({ attempt: 1, success: 1, healthy: 1 });
  });

  it("keeps an endpoint whose first check fails out until 2 passes in a row", async () => {
    const h = harness([503, 200, 503, 200, 200]);
    h.checker.add(h.endpoint);
    await h.clock.advanceAsync(0);
    expect(h.endpoint.failedActiveHealthCheck).toBe(true);
    expect(h.endpoint.pendingActiveHealthCheck).toBe(false);
    await h.clock.advanceAsync(5_000); // pass 1
    await h.clock.advanceAsync(5_000); // fail: streak broken
    await h.clock.advanceAsync(5_000); // pass 1
    expect(h.endpoint.failedActiveHealthCheck).toBe(true);
    await h.clock.advanceAsync(5_000); // pass 2
    expect(h.endpoint.failedActiveHealthCheck).toBe(false);
    expect(h.starts).toEqual([0, 5_000, 10_000, 15_000, 20_000]);
  });

  it("marks a healthy endpoint unhealthy on exactly the 3rd consecutive failure, and healthy on the 2nd pass", async () => {
    const h = harness([200, 500, 500, 200, 500, 500, 500, 200, 200]);
    h.checker.add(h.endpoint);
    const states: boolean[] = [];
    await h.clock.advanceAsync(0);
    for (let i = 1; i < 9; i++) {
      await h.clock.advanceAsync(5_000);
      states.push(h.endpoint.failedActiveHealthCheck);
    }
    //                  500    500    200    500    500    500   200   200
    expect(states).toEqual([false, false, false, false, false, true, true, false]);
    expect(h.results.filter((r) => r.changed)).toHaveLength(3);
  });

  it("counts a timeout as a network failure and aborts the probe", async () => {
    const h = harness(["hang", 200], { startHealthy: true });
    h.checker.add(h.endpoint);
    await h.clock.advanceAsync(999);
    expect(h.checker.stats.failure).toBe(0);
    await h.clock.advanceAsync(1);
    expect(h.signals[0].aborted).toBe(true);
    expect(h.checker.stats).toMatchObject({ failure: 1, network_failure: 1 });
  });

  it("counts a rejected probe as a network failure", async () => {
    const h = harness(["error", "error", "error"], { startHealthy: true });
    h.checker.add(h.endpoint);
    await h.clock.advanceAsync(10_000);
    expect(h.endpoint.failedActiveHealthCheck).toBe(true);
    expect(h.checker.stats).toMatchObject({ attempt: 3, failure: 3, network_failure: 3 });
  });

  it("never overlaps probes: the next one starts an interval after a slow one settles", async () => {
    const h = harness(() => ({ status: 200, delay: 3_000 }), { intervalMs: 1_000, timeoutMs: 4_000 });
    h.checker.add(h.endpoint);
    await h.clock.advanceAsync(20_000);
    expect(h.starts).toEqual([0, 4_000, 8_000, 12_000, 16_000, 20_000]);
    expect(h.maxInFlight()).toBe(1);
  });

  it("does not send another probe while a timed-out one hangs, and counts the rounds as failures", async () => {
    const h = harness(["hang"], { startHealthy: true });
    h.checker.add(h.endpoint);
    await h.clock.advanceAsync(1_000 + 5_000 + 5_000);
    expect(h.starts).toHaveLength(1);
    expect(h.endpoint.failedActiveHealthCheck).toBe(true);
    expect(h.maxInFlight()).toBe(1);
  });

  it("passes only Envoy's default 200 unless told otherwise", async () => {
    const strict = harness([204]);
    strict.checker.add(strict.endpoint);
    await strict.clock.advanceAsync(0);
    expect(strict.endpoint.failedActiveHealthCheck).toBe(true);
    const lenient = harness([204], { expectedStatuses: [[200, 300]] });
    lenient.checker.add(lenient.endpoint);
    await lenient.clock.advanceAsync(0);
    expect(lenient.endpoint.failedActiveHealthCheck).toBe(false);
  });

  it("with failOnFirstBadStatus, still applies the threshold to timeouts", async () => {
    const h = harness([200, "hang"], { failOnFirstBadStatus: true });
    h.checker.add(h.endpoint);
    await h.clock.advanceAsync(0);
    await h.clock.advanceAsync(5_000 + 1_000);
    expect(h.checker.stats.network_failure).toBe(1);
    expect(h.endpoint.failedActiveHealthCheck).toBe(false);
  });

  it("turns unhealthy on the first bad status with failOnFirstBadStatus", async () => {
    const h = harness([200, 503], { failOnFirstBadStatus: true });
    h.checker.add(h.endpoint);
    await h.clock.advanceAsync(5_000);
    expect(h.endpoint.failedActiveHealthCheck).toBe(true);
  });

  it("adds jitter within [interval, interval + jitter)", async () => {
    const h = harness(() => 200, { jitterMs: 1_000 });
    h.checker.add(h.endpoint);
    await h.clock.advanceAsync(60_000);
    const gaps = h.starts.slice(1).map((t, i) => t - h.starts[i]);
    expect(gaps.length).toBeGreaterThan(8);
    for (const gap of gaps) expect(gap >= 5_000 && gap < 6_000).toBe(true);
    expect(new Set(gaps).size).toBeGreaterThan(1);
  });

  it("stops probing and leaves no timer behind on stop()", async () => {
    const h = harness(() => ({ status: 200, delay: 500 }));
    h.checker.add(h.endpoint);
    await h.clock.advanceAsync(100);
    h.checker.stop();
    expect(h.signals[0].aborted).toBe(true);
    await h.clock.advanceAsync(60_000);
    expect(h.starts).toHaveLength(1);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it("rejects a path without a leading slash and non-positive thresholds", () => {
    const deps = { clock: new ManualClock(), probe: async () => 200 };
    expect(() => new HealthChecker({ path: "healthz" }, deps)).toThrow(/must start with "\/", got "healthz"/);
    expect(() => new HealthChecker({ path: "/", healthyThreshold: 0 }, deps)).toThrow(/healthyThreshold must be positive/);
  });
});
