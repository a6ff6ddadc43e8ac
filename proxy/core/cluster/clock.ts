/**
 * Time and chance: the two things every cluster module takes from outside instead of reaching
 * for globals. Outlier sweeps, health-check intervals, DNS refreshes, token buckets and
 * backoffs read `Clock`; load balancers, jitter and ejection enforcement read `Random`. In
 * production the runtime adapter passes `systemClock` (or its own clock, e.g. one whose timers
 * do not keep the process alive) and `Math.random`; tests pass a `ManualClock` and
 * `seededRandom(n)` so every sweep, timeout and pick happens exactly when the test says.
 */

/** Monotonic milliseconds plus one-shot timers. */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences mean anything. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * The web-standard clock: `performance.now()` and the global timers, present on Node, Deno
 * and Bun alike.
 *
 * @example
 * ```ts
 * const detector = new OutlierDetector({}, { clock: systemClock });
 * ```
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires due timers in order of due time
 * (ties in scheduling order), including timers scheduled by those timers, and leaves `now()`
 * at the target. `advanceAsync` also lets promise callbacks run after each timer, for code
 * that awaits injected I/O (health-check probes, DNS lookups).
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * clock.setTimeout(() => console.log("fired"), 1_000);
 * clock.advance(999); // nothing
 * clock.advance(1); // "fired"
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: this.#nextId++, due: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Timers scheduled and not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  advance(ms: number): void {
    const target = this.#now + ms;
    for (let timer = this.#nextDue(target); timer !== undefined; timer = this.#nextDue(target)) this.#fire(timer);
    this.#now = target;
  }

  /** Like `advance`, draining pending promise callbacks before and after every timer. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (let timer = this.#nextDue(target); timer !== undefined; timer = this.#nextDue(target)) {
      this.#fire(timer);
      await settle();
    }
    this.#now = target;
  }

  #nextDue(target: number): Timer | undefined {
    let next: Timer | undefined;
    for (const timer of this.#timers) if (timer.due <= target && (next === undefined || timer.due < next.due)) next = timer;
    return next;
  }

  #fire(timer: Timer): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
    this.#now = timer.due;
    timer.fn();
  }
}

/** Lets every queued promise callback (and the ones they queue) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/**
 * A deterministic `Random` (mulberry32): the same seed gives the same sequence on every runtime.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * const lb = createLoadBalancer("random", { random });
 * ```
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
