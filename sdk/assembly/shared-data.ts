// Read-modify-write on shared data: read the value and its cas, compute the new value, write
// it only if nobody wrote in between, and retry on CAS_MISMATCH. The pattern of Kong's
// rate-limiting filter (10 attempts), packaged.

import { CasResult, getSharedData, setSharedData } from "./abi/shared-data";

/** Computes a key's new value from its current one (null: absent); return null to leave it alone. */
export type SharedDataUpdate = (current: ArrayBuffer | null) => ArrayBuffer | null;

/**
 * Applies `update` to `key` atomically with respect to every other filter with the same
 * vm_id, retrying up to `maxAttempts` times while another writer gets in between. Returns
 * true once written; false when `update` returned null, the host refused the write, or the
 * attempts ran out. Creating an absent key is unconditional (the ABI has no
 * "create if absent"), so two first writers can race once.
 *
 * AssemblyScript closures cannot capture locals: pass data to `update` through a global.
 *
 * @example
 * ```ts
 * const ok = updateSharedData("hits", (current: ArrayBuffer | null): ArrayBuffer | null => {
 *   const next = new ArrayBuffer(8);
 *   store<u64>(changetype<usize>(next), (current === null ? 0 : load<u64>(changetype<usize>(current))) + 1);
 *   return next;
 * });
 * ```
 */
export function updateSharedData(key: string, update: SharedDataUpdate, maxAttempts: i32 = 10): bool {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = getSharedData(key);
    const next = update(current === null ? null : current.value);
    if (next === null) return false;
    const result = setSharedData(key, next, current === null ? 0 : current.cas);
    if (result == CasResult.Ok) return true;
    if (result == CasResult.Refused) return false;
  }
  return false;
}

/** The string under `key`, or null. */
export function getSharedDataString(key: string): string | null {
  const current = getSharedData(key);
  return current === null ? null : current.text();
}

/** Stores `value` under `key` if its cas is still `cas` (0: unconditionally). */
export function setSharedDataString(key: string, value: string, cas: u32 = 0): CasResult {
  return setSharedData(key, String.UTF8.encode(value), cas);
}
