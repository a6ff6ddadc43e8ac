/**
 * A manual clock for the host's `Timers`: nothing fires on its own. Ticks and http-call
 * timeouts happen only when a test advances time, so a test reads like a timeline and never
 * sleeps. The wall clock starts at a fixed instant (2025-01-01T00:00:00Z unless told), so a
 * filter that formats dates gives the same output on every run.
 */

import type { Timers } from "../../proxy/abi/index.ts";

/** 2025-01-01T00:00:00Z, where every test host's wall clock starts unless told otherwise. */
export const DEFAULT_START_TIME = Date.UTC(2025, 0, 1);

interface Timer {
  id: number;
  fn: () => void;
  /** Time (ms on the monotonic clock) it fires next. */
  due: number;
  /** Repeat period for intervals; undefined for a one-shot timeout. */
  every: number | undefined;
  ms: number;
}

/**
 * Implements the host's `Timers` with time that moves only through {@linkcode ManualClock.advance}.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * let fired = 0;
 * clock.setInterval(() => fired++, 100);
 * clock.advance(250);
 * fired; // 2
 * ```
 */
export class ManualClock implements Timers {
  #elapsed = 0;
  #start: number;
  #nextId = 1;
  #timers = new Map<number, Timer>();
  #lastTimeout: Timer | undefined;

  constructor(startTime: number | Date = DEFAULT_START_TIME) {
    this.#start = typeof startTime === "number" ? startTime : startTime.getTime();
  }

  /** Wall clock in ms since the epoch. */
  now(): number {
    return this.#start + this.#elapsed;
  }

  /** Milliseconds advanced since the clock was created. */
  monotonic(): number {
    return this.#elapsed;
  }

  setTimeout(fn: () => void, ms: number): number {
    const timer = this.#add(fn, ms, undefined);
    this.#lastTimeout = timer;
    return timer.id;
  }

  setInterval(fn: () => void, ms: number): number {
    return this.#add(fn, ms, Math.max(1, ms)).id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  clearInterval(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /**
   * The clock as a plain `Timers` object for `createHost` (which spreads its `timers` option,
   * so it must get own properties, not prototype methods).
   */
  timers(): Timers {
    return {
      setTimeout: (fn, ms) => this.setTimeout(fn, ms),
      clearTimeout: (handle) => this.clearTimeout(handle),
      setInterval: (fn, ms) => this.setInterval(fn, ms),
      clearInterval: (handle) => this.clearInterval(handle),
      now: () => this.now(),
      monotonic: () => this.monotonic(),
    };
  }

  /** The most recent `setTimeout` if it is still pending (the kit links http calls to their timeout with it). */
  lastTimeout(): { id: number; ms: number } | undefined {
    const last = this.#lastTimeout;
    return last && this.#timers.has(last.id) ? { id: last.id, ms: last.ms } : undefined;
  }

  /** Runs pending timer `id` now, without moving the clock. Returns false if it is not pending. */
  fire(id: number): boolean {
    const timer = this.#timers.get(id);
    if (timer === undefined) return false;
    this.#run(timer);
    return true;
  }

  /** Number of pending timers and intervals. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that comes due on the way, in order, each
   * with the clock set to its due time (an interval fires once per period it spans).
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance(${ms}): the time to advance must be a finite number ≥ 0`);
    const end = this.#elapsed + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.#timers.values()) if (timer.due <= end && (next === undefined || timer.due < next.due)) next = timer;
      if (next === undefined) break;
      this.#elapsed = Math.max(this.#elapsed, next.due);
      this.#run(next);
    }
    this.#elapsed = end;
  }

  #add(fn: () => void, ms: number, every: number | undefined): Timer {
    const delay = Math.max(0, Number(ms) || 0);
    const timer: Timer = { id: this.#nextId++, fn, due: this.#elapsed + delay, every, ms: delay };
    this.#timers.set(timer.id, timer);
    return timer;
  }

  #run(timer: Timer): void {
    if (timer.every === undefined) this.#timers.delete(timer.id);
    else timer.due += timer.every;
    timer.fn();
  }
}
