/**
 * Pins the retry budget: 20% of active requests in flight as retries, a 10-per-second floor
 * that refills with the clock, tokens spent only past the ratio, and idempotent release.
 */

import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.ts";
import { RETRY_BUDGET_DEFAULTS, RetryBudget } from "./retry-budget.ts";

function spendFloor(budget: RetryBudget): void {
  const held = Array.from({ length: 10 }, () => budget.tryAcquire(0));
  expect(held.every((r) => r !== undefined)).toBe(true);
  expect(budget.tryAcquire(0)).toBeUndefined();
  for (const release of held) release?.();
}

describe("RetryBudget", () => {
  it("defaults to Linkerd's 20% plus 10 per second", () => {
    expect(RETRY_BUDGET_DEFAULTS).toEqual({ percent: 20, minRetriesPerSecond: 10 });
  });

  it("refuses the 21st concurrent retry for 100 active requests once the per-second allowance is spent", () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({}, clock);
    spendFloor(budget);
    const held = Array.from({ length: 20 }, () => budget.tryAcquire(100));
    expect(held.every((r) => r !== undefined)).toBe(true);
    expect(budget.tryAcquire(100)).toBeUndefined();
    expect(budget.stats).toEqual({ retries_active: 20, retry_budget_overflow: 2 });
    held[0]?.();
    expect(budget.tryAcquire(100)).toBeDefined();
  });

  it("lets the per-second floor carry retries past the ratio, refilling with time", () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({}, clock);
    const held = Array.from({ length: 20 }, () => budget.tryAcquire(100));
    // The ratio admitted those 20 without touching the bucket; the next 10 spend it.
    expect(budget.tokens).toBe(10);
    for (let i = 0; i < 10; i++) expect(budget.tryAcquire(100)).toBeDefined();
    expect(budget.tryAcquire(100)).toBeUndefined();
    clock.advance(99);
    expect(budget.tryAcquire(100)).toBeUndefined();
    clock.advance(1); // 100 ms at 10/s = one token
    expect(budget.tryAcquire(100)).toBeDefined();
    expect(budget.tryAcquire(100)).toBeUndefined();
    clock.advance(60_000); // the bucket holds at most one second's worth
    expect(budget.tokens).toBe(10);
    expect(held).toHaveLength(20);
  });

  it("allows low-traffic clusters to retry at all (3 active requests: 20% is none)", () => {
    const budget = new RetryBudget({}, new ManualClock());
    expect(budget.tryAcquire(3)).toBeDefined();
  });

  it("releases each retry once", () => {
    const budget = new RetryBudget({ minRetriesPerSecond: 0 }, new ManualClock());
    const release = budget.tryAcquire(5);
    expect(budget.tryAcquire(5)).toBeUndefined();
    release?.();
    release?.();
    expect(budget.stats.retries_active).toBe(0);
    expect(budget.tryAcquire(5)).toBeDefined();
    expect(budget.tryAcquire(5)).toBeUndefined();
  });

  it("rejects negative settings", () => {
    expect(() => new RetryBudget({ percent: -1 }, new ManualClock())).toThrow(/percent must be non-negative, got -1/);
  });
});
