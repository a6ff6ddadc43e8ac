/**
 * Load balancers: given a cluster's endpoints, choose one for the next request. Four policies,
 * as Envoy names them (arch_overview/upstream/load_balancing/load_balancers.rst):
 *
 * - `round_robin`: smooth weighted round robin (NGINX's algorithm): weights 3:1 give exactly
 *   3:1 in every window of 4 picks, interleaved rather than bursty. Like Envoy, each new host
 *   set starts at a random offset so a fleet of sidecars does not hit the same host first.
 * - `least_request`: with equal weights, power of two choices (Mitzenmacher): sample two
 *   distinct hosts and take the one with fewer active requests, so the most loaded host is never
 *   chosen. With unequal weights, Envoy's variant: weighted round robin over
 *   `weight / (active + 1)^activeRequestBias`.
 * - `random`: weighted random.
 * - `ring_hash`: consistent hashing on a caller-supplied key (see `ring-hash.ts`).
 *
 * Every policy chooses among available endpoints (not failed by active health checking, not
 * ejected, not draining). When fewer than `panicThreshold` percent (default 50, Envoy's
 * `healthy_panic_threshold`) of the non-draining endpoints are available, the balancer panics
 * and spreads load over all of them instead, so a cluster-wide health blip degrades into some
 * errors instead of a full outage. Draining endpoints are never chosen. `choose` returns
 * undefined only when there is nothing to choose from (no endpoints, or the threshold is 0 and
 * none is available): the caller answers 503 with flag UH.
 */

import type { Random } from "./clock.ts";
import type { Endpoint } from "./endpoint.ts";
import { HashRing, hash32, type RingHashOptions } from "./ring-hash.ts";

export type LbPolicy = "round_robin" | "least_request" | "random" | "ring_hash";

export interface LoadBalancerOptions {
  /** Uniform [0, 1); `Math.random` in production, seeded in tests. */
  random?: Random;
  /** Percent of available endpoints under which the balancer uses all of them; 0 disables panic. Default 50 (Envoy). */
  panicThreshold?: number;
  /** `least_request`: hosts sampled per pick when weights are equal. Default 2 (Envoy's `choice_count`). */
  choiceCount?: number;
  /** `least_request` with unequal weights: exponent on active requests. Default 1.0 (Envoy). */
  activeRequestBias?: number;
  /** `ring_hash` sizing. */
  ringHash?: RingHashOptions;
}

export interface LoadBalancer {
  readonly policy: LbPolicy;
  /** Picks an endpoint for the next request; `hashKey` is used by `ring_hash` only. */
  choose(endpoints: readonly Endpoint[], hashKey?: string): Endpoint | undefined;
  /** Envoy's `upstream_rq_lb_healthy_panic`: picks made in panic mode. */
  readonly stats: { upstream_rq_lb_healthy_panic: number };
}

/** The hosts a pick may use. `candidates` are all non-draining endpoints; `hosts` the usable subset. */
export interface HostSelection {
  candidates: Endpoint[];
  hosts: Endpoint[];
  panic: boolean;
}

/**
 * Applies availability and the panic threshold.
 *
 * @example
 * ```ts
 * selectHosts([up, down, down], 50); // { hosts: [up, down, down], panic: true, … }  (33% < 50%)
 * selectHosts([up, up, down], 50); // { hosts: [up, up], panic: false, … }
 * ```
 */
export function selectHosts(endpoints: readonly Endpoint[], panicThreshold = 50): HostSelection {
  const candidates = endpoints.filter((e) => !e.draining);
  const hosts = candidates.filter((e) => e.isAvailable);
  if (candidates.length > 0 && (100 * hosts.length) / candidates.length < panicThreshold) {
    return { candidates, hosts: candidates, panic: true };
  }
  return { candidates, hosts, panic: false };
}

/**
 * Creates a load balancer. Each balancer keeps per-cluster state (round-robin positions, the
 * hash ring), so use one per cluster.
 *
 * @example
 * ```ts
 * const lb = createLoadBalancer("least_request", { random: Math.random });
 * const endpoint = lb.choose(cluster.endpoints); // undefined → 503 UH
 * ```
 */
export function createLoadBalancer(policy: LbPolicy, options: LoadBalancerOptions = {}): LoadBalancer {
  const random = options.random ?? Math.random;
  const panicThreshold = options.panicThreshold ?? 50;
  if (!(panicThreshold >= 0 && panicThreshold <= 100))
    throw new RangeError(`panicThreshold must be a percent from 0 to 100, got ${panicThreshold}`);
  let pick: (selection: HostSelection, hashKey: string | undefined) => Endpoint | undefined;
  switch (policy) {
    case "round_robin": {
      const rr = new SmoothWeightedRoundRobin(random);
      pick = ({ hosts }) => rr.next(hosts, (h) => h.weight);
      break;
    }
    case "least_request":
      pick = leastRequest(random, options.choiceCount ?? 2, options.activeRequestBias ?? 1);
      break;
    case "random":
      pick = ({ hosts }) => weightedRandom(hosts, random);
      break;
    case "ring_hash":
      pick = ringHash(random, options.ringHash ?? {});
      break;
    default:
      throw new RangeError(
        `unknown load balancing policy ${JSON.stringify(policy)}; expected round_robin, least_request, random or ring_hash`,
      );
  }
  const stats = { upstream_rq_lb_healthy_panic: 0 };
  return {
    policy,
    stats,
    choose(endpoints, hashKey) {
      const selection = selectHosts(endpoints, panicThreshold);
      if (selection.hosts.length === 0) return undefined;
      if (selection.panic) stats.upstream_rq_lb_healthy_panic++;
      return pick(selection, hashKey);
    },
  };
}

/** NGINX's smooth weighted round robin; state resets (at a random offset) when the host list changes. */
class SmoothWeightedRoundRobin {
  #hosts: readonly Endpoint[] = [];
  #current = new Map<Endpoint, number>();
  readonly #random: Random;

  constructor(random: Random) {
    this.#random = random;
  }

  next(hosts: readonly Endpoint[], weightOf: (host: Endpoint) => number): Endpoint {
    if (!sameList(hosts, this.#hosts)) {
      this.#hosts = hosts.slice();
      this.#current = new Map();
      const skip = Math.floor(this.#random() * hosts.length);
      for (let i = 0; i < skip; i++) this.#step(hosts, weightOf);
    }
    return this.#step(hosts, weightOf);
  }

  #step(hosts: readonly Endpoint[], weightOf: (host: Endpoint) => number): Endpoint {
    let total = 0;
    let best = hosts[0];
    let bestWeight = Number.NEGATIVE_INFINITY;
    for (const host of hosts) {
      const weight = weightOf(host);
      const current = (this.#current.get(host) ?? 0) + weight;
      this.#current.set(host, current);
      total += weight;
      if (current > bestWeight) {
        best = host;
        bestWeight = current;
      }
    }
    this.#current.set(best, bestWeight - total);
    return best;
  }
}

function leastRequest(random: Random, choiceCount: number, bias: number): (s: HostSelection) => Endpoint {
  if (!Number.isInteger(choiceCount) || choiceCount < 2)
    throw new RangeError(`choiceCount must be an integer of at least 2, got ${choiceCount}`);
  const weighted = new SmoothWeightedRoundRobin(random);
  return ({ hosts }) => {
    if (hosts.length === 1) return hosts[0];
    if (hosts.some((h) => h.weight !== hosts[0].weight)) {
      return weighted.next(hosts, (h) => h.weight / (h.activeRequests + 1) ** bias);
    }
    // Power of `choiceCount` choices over distinct hosts; ties keep the first sampled (Envoy).
    const sampled = new Set<number>();
    let best: Endpoint | undefined;
    while (sampled.size < Math.min(choiceCount, hosts.length)) {
      const index = Math.floor(random() * hosts.length);
      if (sampled.has(index)) continue;
      sampled.add(index);
      if (best === undefined || hosts[index].activeRequests < best.activeRequests) best = hosts[index];
    }
    return best as Endpoint;
  };
}

function weightedRandom(hosts: readonly Endpoint[], random: Random): Endpoint {
  let total = 0;
  for (const host of hosts) total += host.weight;
  let point = random() * total;
  for (const host of hosts) {
    point -= host.weight;
    if (point < 0) return host;
  }
  return hosts[hosts.length - 1];
}

function ringHash(random: Random, options: RingHashOptions): (s: HostSelection, key: string | undefined) => Endpoint | undefined {
  let ring = new HashRing([], options);
  return ({ candidates, panic }, key) => {
    if (!ring.matches(candidates)) ring = new HashRing(candidates, options);
    // No key (the caller found no header/cookie/IP to hash): a random point, as Envoy does.
    const hash = key === undefined ? Math.floor(random() * 2 ** 32) : hash32(key);
    return ring.lookup(hash, panic ? undefined : (h) => h.isAvailable);
  };
}

function sameList(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
