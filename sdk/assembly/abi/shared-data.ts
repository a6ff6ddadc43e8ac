// Shared data: a key-value store with compare-and-swap, shared by every filter with the same
// vm_id (cpp-host `src/shared_data.cc`). Each raw import sits right above its typed wrapper.

import { Status } from "./enums";
import { callFailed, quote } from "./failure";
import { KEY, RETURN_DATA, RETURN_SCALAR, RETURN_SIZE, takeBytes, takeBytesInto } from "./memory";

/** A shared-data value and the cas that identifies this version of it. */
export class SharedValue {
  constructor(public value: ArrayBuffer, public cas: u32) {}

  /** The value decoded as UTF-8. */
  text(): string {
    return String.UTF8.decode(this.value);
  }
}

/** What a conditional write did. */
export enum CasResult {
  /** Stored. */
  Ok = 0,
  /** Someone wrote the key since `cas` was read: read again and retry. */
  Mismatch = 1,
  /** The host refused the write (weir: the vm_id scope is full or the value too large). */
  Refused = 2,
}

// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
declare function proxy_get_shared_data(key: usize, keySize: usize, returnValue: usize, returnSize: usize, returnCas: usize): u32;

/** The value under `key` and its cas, or null when the key was never set. Allowed in any callback (not during module start). */
export function getSharedData(key: string): SharedValue | null {
  return getSharedDataAt(KEY.encode(key), KEY.length);
}

/**
 * `getSharedData` for a key already UTF-8 encoded at `key` (`keyLength` bytes): for filters
 * that build their keys in a buffer and would otherwise make a string per request.
 */
export function getSharedDataAt(key: usize, keyLength: usize): SharedValue | null {
  if (!fetchSharedData(key, keyLength)) return null;
  const cas = load<u32>(RETURN_SCALAR);
  return new SharedValue(takeBytes(), cas);
}

/** Asks for `key`: true when set, its value then waiting in the return slots and its cas in RETURN_SCALAR. */
function fetchSharedData(key: usize, keyLength: usize): bool {
  const status = proxy_get_shared_data(key, keyLength, RETURN_DATA, RETURN_SIZE, RETURN_SCALAR);
  if (status == Status.Ok) return true;
  if (status == Status.NotFound) return false;
  throw new Error(callFailed("proxy_get_shared_data", quote(String.UTF8.decodeUnsafe(key, keyLength)), status));
}

/**
 * `getSharedDataAt` into a `SharedValue` the caller keeps: its `value` buffer is reused when the
 * stored value has the same length, so a filter that reads the same keys on every request (a
 * token bucket, a counter) allocates nothing. Returns false, leaving `into` as it was, when the
 * key was never set. `into.value` may be a new buffer afterwards: read it from `into` again.
 */
export function readSharedDataAt(key: usize, keyLength: usize, into: SharedValue): bool {
  if (!fetchSharedData(key, keyLength)) return false;
  into.cas = load<u32>(RETURN_SCALAR);
  into.value = takeBytesInto(into.value);
  return true;
}

// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
declare function proxy_set_shared_data(key: usize, keySize: usize, value: usize, valueSize: usize, cas: u32): u32;

/**
 * Stores `value` under `key` if its cas is still `cas` (0: unconditionally). `null` stores an
 * empty value (the ABI has no delete; NGINX removes the key, Envoy keeps it empty). Allowed
 * in any callback (not during module start).
 */
export function setSharedData(key: string, value: ArrayBuffer | null, cas: u32 = 0): CasResult {
  return setSharedDataAt(KEY.encode(key), KEY.length, value, cas);
}

/** `setSharedData` for a key already UTF-8 encoded at `key` (`keyLength` bytes). */
export function setSharedDataAt(key: usize, keyLength: usize, value: ArrayBuffer | null, cas: u32 = 0): CasResult {
  const data = value === null ? <usize>0 : changetype<usize>(value);
  const size = value === null ? <usize>0 : <usize>value.byteLength;
  const status = proxy_set_shared_data(key, keyLength, data, size, cas);
  if (status == Status.Ok) return CasResult.Ok;
  if (status == Status.CasMismatch) return CasResult.Mismatch;
  if (status == Status.InternalFailure) return CasResult.Refused;
  const what = quote(String.UTF8.decodeUnsafe(key, keyLength)) + ", " + size.toString() + " bytes, cas " + cas.toString();
  throw new Error(callFailed("proxy_set_shared_data", what, status));
}
