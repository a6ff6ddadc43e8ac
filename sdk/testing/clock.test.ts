/**
 * Pins the manual clock behind the test host's timers: nothing fires until `advance`, timers
 * fire in due order with the clock at their due time, intervals fire once per period spanned,
 * and the wall clock starts at a fixed instant.
 */

import { describe, expect, it } from "vitest";
import { DEFAULT_START_TIME, ManualClock } from "./clock.ts";

describe("ManualClock", () => {
  it("fires nothing until advanced, then timeouts and intervals in due order, each at its due time", () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setInterval(() => fired.push(`tick@${clock.monotonic()}`), 100);
    clock.setTimeout(() => fired.push(`timeout@${clock.monotonic()}`), 150);
    expect(fired).toEqual([]);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(151);
    expect(fired).toEqual(["tick@100", "timeout@150", "tick@200"]);
    expect(clock.monotonic()).toBe(250);
    expect(clock.pending).toBe(1);
  });

  it("stops a cleared timer or interval, also one cleared by another timer's callback", () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const interval = clock.setInterval(() => fired.push(clock.monotonic()), 10);
    clock.setTimeout(() => clock.clearInterval(interval), 25);
    const never = clock.setTimeout(() => fired.push(-1), 5);
    clock.clearTimeout(never);
    clock.advance(100);
    expect(fired).toEqual([10, 20]);
    expect(clock.pending).toBe(0);
  });

  it("starts the wall clock at 2025-01-01T00:00:00Z, or where told", () => {
    expect(new ManualClock().now()).toBe(DEFAULT_START_TIME);
    expect(new Date(DEFAULT_START_TIME).toISOString()).toBe("2025-01-01T00:00:00.000Z");
    const clock = new ManualClock(new Date("2030-06-01T12:00:00Z"));
    clock.advance(1500);
    expect(new Date(clock.now()).toISOString()).toBe("2030-06-01T12:00:01.500Z");
  });

  it("fires one pending timer on demand without moving time, and links the last timeout", () => {
    const clock = new ManualClock();
    let fired = 0;
    const id = clock.setTimeout(() => fired++, 1000);
    expect(clock.lastTimeout()).toEqual({ id, ms: 1000 });
    expect(clock.fire(id)).toBe(true);
    expect(clock.fire(id)).toBe(false);
    expect([fired, clock.monotonic(), clock.lastTimeout()]).toEqual([1, 0, undefined]);
  });

  it("hands the host a plain Timers object (createHost spreads it)", () => {
    const clock = new ManualClock();
    const timers = { ...clock.timers() };
    let fired = 0;
    timers.setTimeout(() => fired++, 10);
    clock.advance(10);
    expect([fired, timers.now(), timers.monotonic()]).toEqual([1, DEFAULT_START_TIME + 10, 10]);
  });

  it("refuses to go back in time", () => {
    expect(() => new ManualClock().advance(-1)).toThrow("advance(-1): the time to advance must be a finite number ≥ 0");
  });
});
