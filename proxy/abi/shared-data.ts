/**
 * Shared data: a key-value store with compare-and-swap, scoped by `vm_id` and shared by every
 * filter with that vm_id in the process (cpp-host `src/shared_data.cc`). `cas` values come
 * from one counter that skips 0; `set` with a non-zero `cas` that differs from the stored one
 * fails with CAS_MISMATCH. Like Envoy, an empty value is stored (not a delete).
 *
 * Unlike Envoy, the store is bounded, because proxy-wasm has no delete or TTL and users of
 * time-bucketed keys leak memory (higress PR #686): past the limits a write is refused.
 */

export interface SharedDataEntry {
  value: Uint8Array;
  cas: number;
  /** The store made `value` (by `write`) and may overwrite it in place. */
  owned?: boolean;
}

export interface SharedDataLimits {
  /** Most keys per vm_id (default 100 000). */
  maxKeys: number;
  /** Largest value in bytes (default 1 MiB). */
  maxValueBytes: number;
}

export type SetResult = "ok" | "cas_mismatch" | "too_large" | "full";

export class SharedData {
  #scopes = new Map<string, Map<string, SharedDataEntry>>();
  #nextCas = 1;
  readonly limits: SharedDataLimits;

  constructor(limits: Partial<SharedDataLimits> = {}) {
    this.limits = { maxKeys: 100_000, maxValueBytes: 1024 * 1024, ...limits };
  }

  #scope(vmId: string): Map<string, SharedDataEntry> {
    let scope = this.#scopes.get(vmId);
    if (scope === undefined) {
      scope = new Map();
      this.#scopes.set(vmId, scope);
    }
    return scope;
  }

  get(vmId: string, key: string): SharedDataEntry | undefined {
    return this.#scopes.get(vmId)?.get(key);
  }

  /** Stores `value` itself (the caller hands it over). */
  set(vmId: string, key: string, value: Uint8Array, cas: number): SetResult {
    return this.#store(vmId, key, value, cas, false);
  }

  /**
   * Stores a copy of `bytes` (a view into guest memory, valid only now). An entry of the same
   * size that the store made is overwritten in place: a filter updating a counter or a token
   * bucket allocates nothing, where a fresh copy above 64 bytes is an off-heap buffer for V8
   * (about 0.7 µs on Node 20).
   */
  write(vmId: string, key: string, bytes: Uint8Array, cas: number): SetResult {
    return this.#store(vmId, key, bytes, cas, true);
  }

  #store(vmId: string, key: string, value: Uint8Array, cas: number, copy: boolean): SetResult {
    const scope = this.#scope(vmId);
    const entry = scope.get(key);
    if (cas !== 0 && entry !== undefined && entry.cas !== cas) return "cas_mismatch";
    if (value.byteLength > this.limits.maxValueBytes) return "too_large";
    if (entry === undefined && scope.size >= this.limits.maxKeys) return "full";
    const next = this.#nextCas++;
    if (this.#nextCas > 0xffffffff) this.#nextCas = 1;
    if (entry === undefined) scope.set(key, { value: copy ? value.slice() : value, cas: next, owned: copy });
    else {
      if (copy && entry.owned && entry.value.byteLength === value.byteLength) entry.value.set(value);
      else {
        entry.value = copy ? value.slice() : value;
        entry.owned = copy;
      }
      entry.cas = next;
    }
    return "ok";
  }

  /** Keys of one vm_id scope (for the admin API and tests). */
  keys(vmId: string): string[] {
    return [...(this.#scopes.get(vmId)?.keys() ?? [])];
  }
}
