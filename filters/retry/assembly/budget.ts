// The retry budget, kept in shared data so every instance of the filter with the same vm_id
// and budget scope — other worker VMs, other listeners — draws on one budget. The rule is the
// one weir's clusters apply to route-level retries (proxy/core/cluster/retry-budget.ts), with
// Linkerd's numbers:
//
// - ratio: a retry may start while the retries in flight stay within `percent` (20) of the
//   active requests — 10 active requests allow 2 concurrent retries;
// - floor: beyond the ratio, a bucket of `minRetriesPerSecond` (10) tokens, refilled
//   continuously at that rate, lets quiet scopes retry at all.
//
// Three keys, each updated by compare-and-swap (`updateSharedData`):
//
// | key                          | value (little-endian)                                 |
// |------------------------------|-------------------------------------------------------|
// | `weir.retry.<scope>.active`  | i64 requests between request headers and done         |
// | `weir.retry.<scope>.retries` | i64 retries asked for whose response has not come yet |
// | `weir.retry.<scope>.tokens`  | i64 milli-tokens, then i64 ms of the last refill      |
//
// Active requests are counted locally and added to the shared count in batches — on the
// root's tick (every `SYNC_PERIOD_MS`), before every retry decision, and when the plugin
// ends — because two compare-and-swaps per request would be most of the filter's cost. A
// decision therefore sees this instance's requests exactly and other instances' as of their
// last tick. Retries and tokens, touched only on the retry path, are shared at once.
//
// The counts live as long as the shared-data store: a VM that dies mid-request leaves its
// synced requests counted (as any proxy-wasm shared counter would).

import { currentTimeNanos, getSharedData, updateSharedData } from "../../../sdk/assembly";

/** What paid for a retry, so releasing it undoes the right thing. */
export enum Grant {
  None = 0,
  /** Within the ratio of active requests. */
  Ratio = 1,
  /** A token from the per-second bucket. */
  Token = 2,
}

// AssemblyScript closures cannot capture locals: the update functions read these.
let delta: i64 = 0;
let ratioLimit: i64 = 0;
let nowMs: i64 = 0;
let perSecond: i64 = 0;

function readI64(value: ArrayBuffer | null, offset: i32 = 0): i64 {
  return value === null || value.byteLength < offset + 8 ? 0 : load<i64>(changetype<usize>(value) + offset);
}

function i64Value(value: i64): ArrayBuffer {
  const out = new ArrayBuffer(8);
  store<i64>(changetype<usize>(out), value);
  return out;
}

/** Adds `delta`, never going below zero. */
function addDelta(current: ArrayBuffer | null): ArrayBuffer | null {
  const next = readI64(current) + delta;
  return i64Value(next < 0 ? 0 : next);
}

/** One more retry in flight, if 100·(retries+1) ≤ percent·active (`ratioLimit`); null refuses. */
function admitByRatio(current: ArrayBuffer | null): ArrayBuffer | null {
  const retries = readI64(current);
  return 100 * (retries + 1) > ratioLimit ? null : i64Value(retries + 1);
}

/** The bucket refilled up to now (absent: full); then `delta` milli-tokens taken (refused below zero) or given back. */
function shiftTokens(current: ArrayBuffer | null): ArrayBuffer | null {
  const capacity = perSecond * 1000;
  let milli = current === null ? capacity : readI64(current, 0);
  const last = current === null ? nowMs : readI64(current, 8);
  const elapsed = nowMs > last ? nowMs - last : 0;
  // elapsed ms · perSecond tokens/s = elapsed·perSecond milli-tokens.
  milli = elapsed * perSecond >= capacity - milli ? capacity : milli + elapsed * perSecond;
  milli += delta;
  if (milli < 0) return null;
  if (milli > capacity) milli = capacity;
  const out = new ArrayBuffer(16);
  store<i64>(changetype<usize>(out), milli);
  store<i64>(changetype<usize>(out), nowMs > last ? nowMs : last, 8);
  return out;
}

/** How often (ms) a root adds its requests to the shared active count. */
export const SYNC_PERIOD_MS: u32 = 100;

/** The budget of one scope. */
export class RetryBudget {
  readonly activeKey: string;
  readonly retriesKey: string;
  readonly tokensKey: string;

  /** Replaced by a budget of another scope (a reconfiguration): streams that still count here sync as they end. */
  retired: bool = false;

  constructor(readonly scope: string, public percent: i64, public minRetriesPerSecond: i64) {
    const prefix = "weir.retry." + scope + ".";
    this.activeKey = prefix + "active";
    this.retriesKey = prefix + "retries";
    this.tokensKey = prefix + "tokens";
  }

  /** Requests started minus requests ended here since the shared count last heard of them. */
  private unsynced: i64 = 0;

  /** A request started (its request headers arrived). */
  @inline requestStarted(): void {
    this.unsynced++;
  }

  /** A request ended. */
  @inline requestEnded(): void {
    this.unsynced--;
    if (this.retired) this.sync();
  }

  /** Adds this instance's requests started or ended since the last sync to the shared count. */
  sync(): void {
    if (this.unsynced == 0) return;
    delta = this.unsynced;
    if (updateSharedData(this.activeKey, addDelta)) this.unsynced = 0;
  }

  /** Asks for one retry; `Grant.None` when the budget is spent. */
  acquire(): Grant {
    this.sync();
    const active = getSharedData(this.activeKey);
    ratioLimit = this.percent * (active === null ? 0 : readI64(active.value));
    if (updateSharedData(this.retriesKey, admitByRatio)) return Grant.Ratio;
    if (this.minRetriesPerSecond == 0) return Grant.None;
    if (!this.moveTokens(-1000)) return Grant.None;
    delta = 1;
    updateSharedData(this.retriesKey, addDelta);
    return Grant.Token;
  }

  /** The retry asked for with `grant` was answered (or the stream ended); `refund` gives its token back (the host refused it). */
  release(grant: Grant, refund: bool): void {
    if (grant == Grant.None) return;
    delta = -1;
    updateSharedData(this.retriesKey, addDelta);
    if (refund && grant == Grant.Token) this.moveTokens(1000);
  }

  private moveTokens(milli: i64): bool {
    delta = milli;
    perSecond = this.minRetriesPerSecond;
    nowMs = <i64>(currentTimeNanos() / 1_000_000);
    return updateSharedData(this.tokensKey, shiftTokens);
  }
}
