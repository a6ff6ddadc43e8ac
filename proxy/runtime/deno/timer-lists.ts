/**
 * Timers grouped by duration, the way Node's own timer lists work: one native timer per
 * distinct duration, armed for the oldest live entry of that duration.
 *
 * Why Deno needs it: its `setTimeout` and `clearTimeout` are ops into Rust, and a pair cost
 * 1.7 µs on Deno 2.9 (Node 0.37, Bun 0.13, same loop). The proxy sets and clears one route
 * timeout per request; behind sockets that pair cost about 8 µs of CPU per proxied request
 * (weir-deno under wrk -c32, interleaved: 141.8, 140.2, 136.0 µs with native timers, 132.2,
 * 132.2, 130.3 with these).
 *
 * How: entries of one duration fall due in the order they were made (the clock is monotonic),
 * so each duration is a FIFO. Cancelling marks an entry; the native timer is re-armed only when
 * it fires, for the next live entry. A queue that empties gives its native timer back, so an
 * idle proxy holds none and a lone timer costs what a native one does.
 */

import type { Clock } from "../../core/cluster/clock.ts";

interface Entry {
  readonly due: number;
  fn: (() => void) | undefined;
  readonly list: List;
}

interface List {
  readonly ms: number;
  entries: Entry[];
  /** Index of the first entry not yet fired or skipped. */
  head: number;
  live: number;
  /** Cancelled entries still in `entries` past `head`. */
  dead: number;
  timer: unknown;
  /** Its due entries are being run: the list is armed again after, for its new head. */
  firing: boolean;
}

/** Spent or cancelled entries kept before a list is rebuilt without them. */
const COMPACT_AT = 1024;

export class TimerLists implements Clock {
  readonly #native: Clock;
  readonly #lists = new Map<number, List>();

  /** `native`: the runtime's own clock, which arms one timer per list. */
  constructor(native: Clock) {
    this.#native = native;
  }

  now(): number {
    return this.#native.now();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const duration = Math.max(ms, 0) || 0; // NaN too is 0, as for a native timer
    let list = this.#lists.get(duration);
    if (list === undefined) {
      list = { ms: duration, entries: [], head: 0, live: 0, dead: 0, timer: undefined, firing: false };
      this.#lists.set(duration, list);
    }
    const entry: Entry = { due: this.#native.now() + duration, fn, list };
    list.entries.push(entry);
    list.live++;
    if (list.timer === undefined && !list.firing) this.#arm(list, duration);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    const entry = handle as Entry | undefined;
    if (entry?.fn === undefined || entry.list === undefined) return;
    entry.fn = undefined;
    const list = entry.list;
    list.live--;
    list.dead++;
    if (list.live === 0) {
      if (list.timer !== undefined) this.#native.clearTimeout(list.timer);
      this.#release(list);
      return;
    }
    this.#tidy(list);
  }

  /** Timers scheduled and neither fired nor cleared. */
  get pending(): number {
    let n = 0;
    for (const list of this.#lists.values()) n += list.live;
    return n;
  }

  #arm(list: List, ms: number): void {
    list.timer = this.#native.setTimeout(() => this.#fire(list), ms);
  }

  /**
   * Requests mostly finish in the order they started: drops cancelled entries off the front,
   * and rebuilds the list without the spent front and the cancelled entries once either has
   * grown large (a long-lived front entry keeps everything cleared after it).
   */
  #tidy(list: List): void {
    const entries = list.entries;
    while (list.head < entries.length && entries[list.head].fn === undefined) {
      list.head++;
      list.dead--;
    }
    if ((list.head > COMPACT_AT && list.head * 2 > entries.length) || (list.dead >= COMPACT_AT && list.dead > list.live)) {
      list.entries = entries.slice(list.head).filter((e) => e.fn !== undefined);
      list.head = 0;
      list.dead = 0;
    }
  }

  #fire(list: List): void {
    list.timer = undefined;
    list.firing = true;
    const now = this.#native.now();
    // Only what was due when the timer fired. Callbacks may add entries (due later), clear
    // others, compact the list or empty it: so `list.entries` is read afresh each time.
    while (list.head < list.entries.length) {
      const entry = list.entries[list.head];
      const fn = entry.fn;
      if (fn === undefined) {
        list.head++;
        list.dead--;
        continue;
      }
      if (entry.due > now) break;
      list.head++;
      entry.fn = undefined;
      list.live--;
      try {
        fn();
      } catch (err) {
        // As a native timer's callback would: reported as uncaught, the other timers still run.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    list.firing = false;
    if (this.#lists.get(list.ms) !== list) return; // emptied by a callback and given back
    this.#tidy(list);
    if (list.live === 0) this.#release(list);
    else this.#arm(list, Math.max(0, list.entries[list.head].due - now));
  }

  #release(list: List): void {
    list.timer = undefined;
    list.entries = [];
    list.head = 0;
    list.dead = 0;
    if (this.#lists.get(list.ms) === list) this.#lists.delete(list.ms);
  }
}
