/**
 * The consistent-hash ring behind the `ring_hash` load balancer (Ketama-style, as Envoy's
 * `RING_HASH` and Pingora's `pingora-ketama`). Each endpoint is placed on a 32-bit ring at
 * `virtualNodesPerWeight × weight` points, each point the hash of `"<address:port>_<i>"`; a
 * request's hash key (a header, cookie or source IP, extracted by the caller) maps to the
 * first point clockwise.
 *
 * Minimal remapping is the point of the exercise, and two choices protect it:
 * - A host's points depend only on its own key and weight, never on the other hosts (Envoy
 *   scales every host's share to a minimum ring size, so removing one host adds points to the
 *   others and moves keys between hosts that stayed; here only the removed host's keys move).
 * - The ring is built over every endpoint that is not draining and rebuilt only when that
 *   membership or a weight changes. Unavailable hosts (failed health check, ejected) are
 *   skipped at lookup by walking clockwise, so an ejection moves exactly the ejected host's
 *   keys, and they come back when it returns, with no rebuild on every health flap.
 */

import type { Endpoint } from "./endpoint.ts";

/** Ring sizing. */
export interface RingHashOptions {
  /** Points per unit of weight; 1024 gives each host's share a spread of about 3%. */
  virtualNodesPerWeight?: number;
  /** Upper bound on points; beyond it every host gets proportionally fewer (at least one per weight unit). */
  maximumRingSize?: number;
}

export const RING_HASH_DEFAULTS = { virtualNodesPerWeight: 1024, maximumRingSize: 1_048_576 } as const;

const encoder = new TextEncoder();

/**
 * MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of `key`: fast, well mixed, same on every runtime.
 *
 * @example
 * ```ts
 * hash32("user-42"); // an integer in [0, 2^32)
 * ```
 */
export function hash32(key: string, seed = 0): number {
  const data = encoder.encode(key);
  let h = seed >>> 0;
  const blocks = data.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = data.length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[blocks + 2] << 16;
    if (tail >= 2) k ^= data[blocks + 1] << 8;
    k ^= data[blocks];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= data.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * An immutable ring over a fixed list of endpoints.
 *
 * @example
 * ```ts
 * const ring = new HashRing(endpoints);
 * const ep = ring.lookup(hash32("session-abc"), (e) => e.isAvailable);
 * ```
 */
export class HashRing {
  readonly hosts: readonly Endpoint[];
  readonly #weights: number[];
  readonly #points: Uint32Array;
  readonly #owners: Uint32Array;

  constructor(hosts: readonly Endpoint[], options: RingHashOptions = {}) {
    const perWeight = options.virtualNodesPerWeight ?? RING_HASH_DEFAULTS.virtualNodesPerWeight;
    const maxSize = options.maximumRingSize ?? RING_HASH_DEFAULTS.maximumRingSize;
    if (!Number.isInteger(perWeight) || perWeight < 1)
      throw new RangeError(`virtualNodesPerWeight must be a positive integer, got ${perWeight}`);
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`maximumRingSize must be a positive integer, got ${maxSize}`);
    this.hosts = hosts.slice();
    this.#weights = hosts.map((h) => h.weight);
    const totalWeight = this.#weights.reduce((a, b) => a + b, 0);
    const vnodes = Math.max(1, Math.min(perWeight, Math.floor(maxSize / Math.max(1, totalWeight))));
    const entries: Array<[point: number, owner: number]> = [];
    hosts.forEach((host, owner) => {
      const count = vnodes * host.weight;
      for (let i = 0; i < count; i++) entries.push([hash32(`${host.key}_${i}`), owner]);
    });
    // Ties (rare) are broken by owner index so the ring does not depend on sort stability.
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.#points = Uint32Array.from(entries, (e) => e[0]);
    this.#owners = Uint32Array.from(entries, (e) => e[1]);
  }

  /** Points on the ring. */
  get size(): number {
    return this.#points.length;
  }

  /** Was this ring built for exactly these hosts, with the same weights? */
  matches(hosts: readonly Endpoint[]): boolean {
    if (hosts.length !== this.hosts.length) return false;
    for (let i = 0; i < hosts.length; i++) if (hosts[i] !== this.hosts[i] || hosts[i].weight !== this.#weights[i]) return false;
    return true;
  }

  /** The first host clockwise from `hash` that `accept` takes; undefined when it takes none. */
  lookup(hash: number, accept: (host: Endpoint) => boolean = () => true): Endpoint | undefined {
    const n = this.#points.length;
    if (n === 0) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#points[mid] < hash) lo = mid + 1;
      else hi = mid;
    }
    const first = this.#owners[lo % n];
    if (accept(this.hosts[first])) return this.hosts[first];
    // Walk clockwise past hosts `accept` refuses; each distinct host is asked once.
    const tried = new Set<number>([first]);
    for (let step = 1; step < n && tried.size < this.hosts.length; step++) {
      const owner = this.#owners[(lo + step) % n];
      if (tried.has(owner)) continue;
      const host = this.hosts[owner];
      if (accept(host)) return host;
      tried.add(owner);
    }
    return undefined;
  }
}
