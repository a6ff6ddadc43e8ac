// Time: the root's tick timer, the host clock, and finishing a root that delayed its end.
// Each raw import sits right above its typed wrapper.

import { Status } from "./enums";
import { callFailed } from "./failure";
import { RETURN_SCALAR } from "./memory";

// @ts-ignore: decorator
@external("env", "proxy_set_tick_period_milliseconds")
declare function proxy_set_tick_period_milliseconds(periodMs: u32): u32;

/**
 * Calls the root's `onTick` every `periodMs` milliseconds (0 stops it). One timer per root
 * context; from a stream it sets its root's timer. Not allowed during module start: call it
 * from `onVmStart`, `onConfigure` or later.
 */
export function setTickPeriod(periodMs: u32): void {
  const status = proxy_set_tick_period_milliseconds(periodMs);
  if (status != Status.Ok) throw new Error(callFailed("proxy_set_tick_period_milliseconds", periodMs.toString(), status));
}

// @ts-ignore: decorator
@external("env", "proxy_get_current_time_nanoseconds")
declare function proxy_get_current_time_nanoseconds(returnTime: usize): u32;

/** Wall-clock time in nanoseconds since the Unix epoch. */
export function currentTimeNanos(): u64 {
  const status = proxy_get_current_time_nanoseconds(RETURN_SCALAR);
  if (status != Status.Ok) throw new Error(callFailed("proxy_get_current_time_nanoseconds", "", status));
  return load<u64>(RETURN_SCALAR);
}

// @ts-ignore: decorator
@external("env", "proxy_done")
declare function proxy_done(): u32;

/** Tells the host a root whose `onDone` returned false has finished (then `onDelete` follows). */
export function done(): void {
  const status = proxy_done();
  if (status != Status.Ok) throw new Error(callFailed("proxy_done", "", status));
}
