import { describe, expect, it } from "vitest";
import { ManualClock } from "../../core/cluster/clock.ts";
import { TimerLists } from "./timer-lists.ts";

function setup() {
  const native = new ManualClock(1_000);
  const timers = new TimerLists(native);
  const fired: string[] = [];
  const at = (name: string) => () => fired.push(`${name}@${native.now()}`);
  return { native, timers, fired, at };
}

describe("TimerLists", () => {
  it("fires each timer at its own due time, with one native timer per duration", () => {
    const { native, timers, fired, at } = setup();
    timers.setTimeout(at("a"), 100);
    native.advance(30);
    timers.setTimeout(at("b"), 100);
    timers.setTimeout(at("c"), 50);
    expect(native.pendingTimers).toBe(2); // one for 100 ms, one for 50 ms
    expect(timers.pending).toBe(3);
    native.advance(69);
    expect(fired).toEqual(["c@1080"]);
    native.advance(1);
    expect(fired).toEqual(["c@1080", "a@1100"]);
    native.advance(30);
    expect(fired).toEqual(["c@1080", "a@1100", "b@1130"]);
    expect(timers.pending).toBe(0);
    expect(native.pendingTimers).toBe(0);
  });

  it("keeps one native timer however many timers of a duration are set and cleared", () => {
    const { native, timers, fired, at } = setup();
    const keep = timers.setTimeout(at("first"), 15_000);
    for (let i = 0; i < 5_000; i++) {
      timers.clearTimeout(timers.setTimeout(at(`r${i}`), 15_000));
      native.advance(1);
    }
    expect(native.pendingTimers).toBe(1);
    expect(timers.pending).toBe(1);
    native.advance(10_000);
    expect(fired).toEqual(["first@16000"]);
    expect(native.pendingTimers).toBe(0);
    timers.clearTimeout(keep); // already fired: nothing happens
    expect(timers.pending).toBe(0);
  });

  it("never fires a cleared timer, and re-arms for the next live one", () => {
    const { native, timers, fired, at } = setup();
    const a = timers.setTimeout(at("a"), 100);
    native.advance(10);
    timers.setTimeout(at("b"), 100);
    native.advance(10);
    const c = timers.setTimeout(at("c"), 100);
    timers.clearTimeout(a);
    timers.clearTimeout(c);
    native.advance(200);
    expect(fired).toEqual(["b@1110"]);
  });

  it("gives the native timer back when the last timer of a duration is cleared", () => {
    const { native, timers, fired, at } = setup();
    const a = timers.setTimeout(at("a"), 100);
    const b = timers.setTimeout(at("b"), 100);
    timers.clearTimeout(b);
    expect(native.pendingTimers).toBe(1);
    timers.clearTimeout(a);
    expect(native.pendingTimers).toBe(0);
    timers.setTimeout(at("c"), 100);
    native.advance(100);
    expect(fired).toEqual(["c@1100"]);
  });

  it("fires timers set by a callback, and those due at the same time in the order they were set", () => {
    const { native, timers, fired, at } = setup();
    timers.setTimeout(() => {
      fired.push(`outer@${native.now()}`);
      timers.setTimeout(at("inner"), 100);
    }, 100);
    timers.setTimeout(at("same1"), 100);
    timers.setTimeout(at("same2"), 100);
    native.advance(100);
    expect(fired).toEqual(["outer@1100", "same1@1100", "same2@1100"]);
    native.advance(100);
    expect(fired.at(-1)).toBe("inner@1200");
    expect(native.pendingTimers).toBe(0);
  });

  it("keeps earlier timers on time when a callback sets one of the same duration", () => {
    const { native, timers, fired, at } = setup();
    timers.setTimeout(() => timers.setTimeout(at("late"), 100), 100);
    native.advance(40);
    timers.setTimeout(at("early"), 100); // due at 1140, before "late" at 1200
    native.advance(60);
    native.advance(40);
    expect(fired).toEqual(["early@1140"]);
    native.advance(60);
    expect(fired).toEqual(["early@1140", "late@1200"]);
  });

  it("copes with a callback that clears the rest of its list", () => {
    const { native, timers, fired, at } = setup();
    const handles: unknown[] = [];
    timers.setTimeout(() => {
      fired.push("clearer");
      for (const h of handles) timers.clearTimeout(h);
    }, 100);
    native.advance(10);
    for (let i = 0; i < 3; i++) handles.push(timers.setTimeout(at(`x${i}`), 100));
    native.advance(200);
    expect(fired).toEqual(["clearer"]);
    expect(timers.pending).toBe(0);
    expect(native.pendingTimers).toBe(0);
    timers.setTimeout(at("again"), 100);
    native.advance(100);
    expect(fired).toEqual(["clearer", "again@1310"]);
  });

  it("fires a front timer that outlived many cleared ones, and the one after it, on time", () => {
    const { native, timers, fired, at } = setup();
    timers.setTimeout(at("long-poll"), 15_000);
    for (let i = 0; i < 10_000; i++) timers.clearTimeout(timers.setTimeout(at(`r${i}`), 15_000));
    const last = timers.setTimeout(at("last"), 15_000);
    expect(timers.pending).toBe(2);
    native.advance(15_000);
    expect(fired).toEqual(["long-poll@16000", "last@16000"]);
    timers.clearTimeout(last);
    expect(native.pendingTimers).toBe(0);
  });

  it("stays on time while requests finish in order, the list never empty, far past its rebuild size", () => {
    const { native, timers, fired, at } = setup();
    let older = timers.setTimeout(at("r0"), 15_000);
    for (let i = 1; i <= 5_000; i++) {
      const newer = timers.setTimeout(at(`r${i}`), 15_000);
      timers.clearTimeout(older);
      older = newer;
      native.advance(1);
    }
    expect(timers.pending).toBe(1);
    expect(native.pendingTimers).toBe(1);
    native.advance(14_998);
    expect(fired).toEqual([]);
    native.advance(1);
    expect(fired).toEqual(["r5000@20999"]);
    expect(native.pendingTimers).toBe(0);
  });

  it("reports a throwing callback as uncaught and still runs the others", async () => {
    const { native, timers, fired, at } = setup();
    const uncaught: unknown[] = [];
    const onError = (err: unknown) => uncaught.push(err);
    process.on("uncaughtException", onError);
    try {
      timers.setTimeout(() => {
        throw new Error("boom");
      }, 100);
      timers.setTimeout(at("after"), 100);
      native.advance(100);
      expect(fired).toEqual(["after@1100"]);
      await new Promise((r) => setTimeout(r, 10));
      expect(uncaught.map((e) => (e as Error).message)).toEqual(["boom"]);
    } finally {
      process.off("uncaughtException", onError);
    }
  });

  it("treats a negative, zero or NaN duration as zero", () => {
    const { native, timers, fired, at } = setup();
    timers.setTimeout(at("neg"), -5);
    timers.setTimeout(at("zero"), 0);
    timers.setTimeout(at("nan"), Number.NaN);
    expect(native.pendingTimers).toBe(1);
    native.advance(0);
    expect(fired).toEqual(["neg@1000", "zero@1000", "nan@1000"]);
  });
});
