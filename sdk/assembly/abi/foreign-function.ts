// Foreign functions: host functions reached by name through `proxy_call_foreign_function`
// (Envoy: `compress`, `set_envoy_filter_state`, …; weir: `weir.retry`,
// `weir.verify_signature`). An unknown name is NOT_FOUND → null.

import { Status } from "./enums";
import { callFailed, quote } from "./failure";
import { KEY, RETURN_DATA, RETURN_SIZE, takeBytes } from "./memory";

// @ts-ignore: decorator
@external("env", "proxy_call_foreign_function")
declare function proxy_call_foreign_function(
  name: usize,
  nameSize: usize,
  args: usize,
  argsSize: usize,
  returnResults: usize,
  returnResultsSize: usize,
): u32;

/** What a foreign function answered: its status and, when OK, its result bytes. */
export class ForeignResult {
  constructor(public status: Status, public result: ArrayBuffer | null) {}
}

/** Calls foreign function `name` with `size` bytes at `args`; returns the raw outcome. */
export function callForeignFunctionRaw(name: string, args: usize, size: usize): ForeignResult {
  const ptr = KEY.encode(name);
  const status = proxy_call_foreign_function(ptr, KEY.length, args, size, RETURN_DATA, RETURN_SIZE);
  return new ForeignResult(<Status>status, status == Status.Ok ? takeBytes() : null);
}

/**
 * Calls foreign function `name` with `args`; returns its result, or null when the host has
 * no such function (NOT_FOUND). Any other failure stops the filter. Allowed in any callback;
 * functions that act on a stream (like `weir.retry`) need that stream current.
 */
export function callForeignFunction(name: string, args: ArrayBuffer | null = null): ArrayBuffer | null {
  const data = args === null ? 0 : changetype<usize>(args);
  const size = args === null ? 0 : <usize>args.byteLength;
  const outcome = callForeignFunctionRaw(name, data, size);
  if (outcome.status == Status.Ok || outcome.status == Status.NotFound) return outcome.result;
  throw new Error(callFailed("proxy_call_foreign_function", quote(name) + ", " + size.toString() + " bytes", outcome.status));
}
