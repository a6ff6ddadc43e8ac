/**
 * Pins the manual clock the other cluster tests stand on (timers fire in due order, nested
 * timers within the window fire, cleared ones never do) and the seeded random's determinism.
 */

import { describe, expect, it } from "vitest";
import { ManualClock, seededRandom, systemClock } from "./clock.ts";

describe("ManualClock", () => {
  it("fires timers in due order and leaves now() at the target", () => {
    const clock = new ManualClock(100);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.advance(25);
    expect(fired).toEqual(["a@110", "b@120"]);
    expect(clock.now()).toBe(125);
    clock.advance(5);
    expect(fired).toEqual(["a@110", "b@120", "c@130"]);
  });

  it("fires timers scheduled by timers when they fall inside the window, ties in scheduling order", () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push("outer");
      clock.setTimeout(() => fired.push("inner"), 5);
    }, 5);
    clock.setTimeout(() => fired.push("tie"), 5);
    clock.advance(10);
    expect(fired).toEqual(["outer", "tie", "inner"]);
  });

  it("never fires a cleared timer", () => {
    const clock = new ManualClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 1);
    clock.clearTimeout(handle);
    clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it("advanceAsync lets promise callbacks run between timers", async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => clock.setTimeout(() => seen.push(clock.now()), 10));
    }, 10);
    await clock.advanceAsync(25);
    expect(seen).toEqual([20]);
  });
});

describe("seededRandom", () => {
  it("repeats its sequence for a seed and stays in [0, 1)", () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(8)()).not.toBe(xs[0]);
  });
});

describe("systemClock", () => {
  it("reads a monotonic clock and runs real timers", async () => {
    const start = systemClock.now();
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    expect(systemClock.now()).toBeGreaterThan(start);
  });
});
