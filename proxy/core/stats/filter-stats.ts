/**
 * A Wasm filter's stats. Envoy has no per-filter stats of this kind (its Wasm stats are
 * VM-wide: `wasm.envoy.wasm.runtime.v8.active`), so these are weir's own and follow the
 * Prometheus convention that a counter's name ends in `_total`. Labels: `filter` (its name
 * in the config), plus what the caller adds (the listener, when names repeat across listeners).
 *
 * Counts the host already keeps (`Filter.counters.streams`, `.reloads`) are read at scrape
 * time, not counted twice; `adopt` the filter again after a hot swap and the counts carry on
 * from the old version's, so they never go backwards.
 */

import type { TrapKind } from "../../abi/errors.ts";
import type { Filter } from "../../abi/filter.ts";
import { type Counter, FINE_BUCKETS } from "./metric.ts";
import type { Labels, StatsRegistry } from "./registry.ts";
import { buildStats, type StatSet, type StatSpec } from "./stat-set.ts";

export const FILTER_STATS = {
  counters: {
    calls_total: "Callbacks run in the filter's VM",
    local_replies_total: "Local replies the filter sent (proxy_send_local_response)",
  },
  histograms: {
    call_time: { help: "Time of one callback in the filter's VM, ms", buckets: FINE_BUCKETS },
  },
} as const satisfies StatSpec;

/** Every way a VM can fail (`FilterTrapError.kind`); each has its series from setup. */
export const TRAP_KINDS: readonly TrapKind[] = ["trap", "fuel", "memory", "proc_exit", "host"];

/** What `adopt` reads from a loaded filter. */
export type AdoptableFilter = Pick<Filter, "digest" | "state" | "counters">;

export type FilterStats = StatSet<typeof FILTER_STATS> & {
  /** `filter.traps_total{kind}` by `FilterTrapError.kind`. */
  readonly traps: Readonly<Record<TrapKind, Counter>>;
  /** One callback ran for `ms` milliseconds. */
  recordCall(ms: number): void;
  /** The VM failed (call from `Filter.onFailure`). */
  recordTrap(error: { kind: TrapKind }): void;
  /**
   * Reads `filter.streams_total`, `filter.reloads_total`, `filter.ready` and
   * `filter.info{digest}` from this loaded filter from now on; call again with the new
   * version after a hot swap.
   */
  adopt(filter: AdoptableFilter): void;
};

/**
 * The stats of filter `name`, registered now; keep the object.
 *
 * @example
 * ```ts
 * const stats = createFilterStats(registry, "auth", { listener: "inbound" });
 * stats.adopt(filter);
 * filter.onFailure = (error) => stats.recordTrap(error);
 * stats.recordCall(0.042);
 * ```
 */
export function createFilterStats(registry: StatsRegistry, name: string, labels: Labels = {}): FilterStats {
  const l = { filter: name, ...labels };
  const set = buildStats(registry, "filter", l, FILTER_STATS);
  const traps = {} as Record<TrapKind, Counter>;
  for (const kind of TRAP_KINDS) {
    traps[kind] = registry.counter(
      "filter.traps_total",
      { ...l, kind },
      "VM failures by kind: trap, fuel (CPU budget), memory, proc_exit, host",
    );
  }
  let current: AdoptableFilter | undefined;
  let baseStreams = 0;
  let baseReloads = 0;
  let removeInfo: (() => void) | undefined;
  registry.counterFrom("filter.streams_total", l, () => baseStreams + (current?.counters.streams ?? 0), "Streams the filter handled");
  registry.counterFrom(
    "filter.reloads_total",
    l,
    () => baseReloads + (current?.counters.reloads ?? 0),
    "Fresh VMs started after a failure",
  );
  registry.gaugeFrom(
    "filter.ready",
    l,
    () => (current?.state === "ready" ? 1 : 0),
    "1 while the filter's VM is ready, 0 when failed, closed or not loaded",
  );

  return Object.freeze({
    ...set,
    traps: Object.freeze(traps),
    recordCall(ms: number): void {
      set.calls_total.value++;
      set.call_time.record(ms);
    },
    recordTrap(error: { kind: TrapKind }): void {
      (traps[error.kind] ?? traps.host).value++;
    },
    adopt(filter: AdoptableFilter): void {
      if (current && current !== filter) {
        baseStreams += current.counters.streams;
        baseReloads += current.counters.reloads;
      }
      current = filter;
      removeInfo?.();
      removeInfo = registry.gaugeFrom("filter.info", { ...l, digest: filter.digest }, () => 1, "1 for the loaded version of each filter");
    },
  });
}
