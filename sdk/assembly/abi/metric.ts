// Metrics: define a counter, gauge or histogram by name, then increment, record or read it
// by id. Each raw import sits right above its typed wrapper. Semantics follow Envoy: a
// counter's increment must be positive, gauges go both ways, histograms cannot be read.

import { MetricType, Status } from "./enums";
import { callFailed, quote } from "./failure";
import { KEY, RETURN_SCALAR } from "./memory";

// @ts-ignore: decorator
@external("env", "proxy_define_metric")
declare function proxy_define_metric(type: u32, name: usize, nameSize: usize, returnId: usize): u32;

/** Defines (or finds) the metric `name` of `type`; returns its id. Allowed in any callback (usually `onConfigure`), not during module start. */
export function defineMetric(type: MetricType, name: string): u32 {
  const ptr = KEY.encode(name);
  const status = proxy_define_metric(type, ptr, KEY.length, RETURN_SCALAR);
  if (status != Status.Ok) throw new Error(callFailed("proxy_define_metric", type.toString() + ", " + quote(name), status));
  return load<u32>(RETURN_SCALAR);
}

// @ts-ignore: decorator
@external("env", "proxy_increment_metric")
declare function proxy_increment_metric(id: u32, delta: i64): u32;

/** Adds `delta` to metric `id` (a counter needs delta > 0). */
export function incrementMetric(id: u32, delta: i64): void {
  const status = proxy_increment_metric(id, delta);
  if (status != Status.Ok) throw new Error(callFailed("proxy_increment_metric", id.toString() + ", " + delta.toString(), status));
}

// @ts-ignore: decorator
@external("env", "proxy_record_metric")
declare function proxy_record_metric(id: u32, value: u64): u32;

/** Records `value`: a gauge's new value, a histogram observation (a counter adds it). */
export function recordMetric(id: u32, value: u64): void {
  const status = proxy_record_metric(id, value);
  if (status != Status.Ok) throw new Error(callFailed("proxy_record_metric", id.toString() + ", " + value.toString(), status));
}

// @ts-ignore: decorator
@external("env", "proxy_get_metric")
declare function proxy_get_metric(id: u32, returnValue: usize): u32;

/** The current value of counter or gauge `id`. */
export function getMetric(id: u32): u64 {
  const status = proxy_get_metric(id, RETURN_SCALAR);
  if (status != Status.Ok) throw new Error(callFailed("proxy_get_metric", id.toString(), status));
  return load<u64>(RETURN_SCALAR);
}
