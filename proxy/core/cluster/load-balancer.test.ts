/**
 * Pins the load balancers: weighted round robin's exact ratios, P2C never choosing the more
 * loaded of its two samples, weighted random, ring hash's stickiness and minimal remapping,
 * and the panic threshold shared by all of them.
 */

import { describe, expect, it } from "vitest";
import { seededRandom } from "./clock.ts";
import { Endpoint } from "./endpoint.ts";
import { createLoadBalancer, type LbPolicy, selectHosts } from "./load-balancer.ts";

function endpoints(n: number, weights: number[] = []): Endpoint[] {
  return Array.from({ length: n }, (_, i) => new Endpoint({ address: `10.0.0.${i + 1}`, port: 80, weight: weights[i] ?? 1 }));
}

function tally(picks: Array<Endpoint | undefined>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of picks) counts.set(p?.key ?? "none", (counts.get(p?.key ?? "none") ?? 0) + 1);
  return counts;
}

const ALL: LbPolicy[] = ["round_robin", "least_request", "random", "ring_hash"];

describe("round_robin", () => {
  it("gives weights 3:1 exactly 300:100 over 400 picks", () => {
    const [a, b] = endpoints(2, [3, 1]);
    const lb = createLoadBalancer("round_robin", { random: seededRandom(1) });
    const counts = tally(Array.from({ length: 400 }, () => lb.choose([a, b])));
    expect(counts.get(a.key)).toBe(300);
    expect(counts.get(b.key)).toBe(100);
  });

  it("interleaves equal weights instead of bursting", () => {
    const hosts = endpoints(3);
    const lb = createLoadBalancer("round_robin", { random: seededRandom(2) });
    const picks = Array.from({ length: 30 }, () => lb.choose(hosts));
    for (let i = 1; i < picks.length; i++) expect(picks[i]).not.toBe(picks[i - 1]);
    expect([...tally(picks).values()]).toEqual([10, 10, 10]);
  });

  it("starts each host set at a random offset, so sidecars do not all hit the same host first", () => {
    const hosts = endpoints(4);
    const firsts = new Set(
      Array.from({ length: 20 }, (_, seed) => createLoadBalancer("round_robin", { random: seededRandom(seed) }).choose(hosts)),
    );
    expect(firsts.size).toBeGreaterThan(1);
  });

  it("skips endpoints that are ejected or failed health checks", () => {
    const hosts = endpoints(4);
    hosts[1].ejected = true;
    const lb = createLoadBalancer("round_robin", { random: seededRandom(3) });
    const counts = tally(Array.from({ length: 300 }, () => lb.choose(hosts)));
    expect(counts.has(hosts[1].key)).toBe(false);
    expect([...counts.values()]).toEqual([100, 100, 100]);
  });
});

describe("least_request", () => {
  it("picks the less loaded of its two samples (two hosts: always the idle one)", () => {
    const [busy, idle] = endpoints(2);
    busy.activeRequests = 5;
    const lb = createLoadBalancer("least_request", { random: seededRandom(4) });
    for (let i = 0; i < 100; i++) expect(lb.choose([busy, idle])).toBe(idle);
  });

  it("never picks the most loaded host, and prefers the least loaded", () => {
    const hosts = endpoints(3);
    hosts[0].activeRequests = 0;
    hosts[1].activeRequests = 3;
    hosts[2].activeRequests = 9;
    const lb = createLoadBalancer("least_request", { random: seededRandom(5) });
    const counts = tally(Array.from({ length: 3000 }, () => lb.choose(hosts)));
    expect(counts.has(hosts[2].key)).toBe(false);
    // The idle host wins every sample it is in: 2 of the 3 possible pairs.
    expect(counts.get(hosts[0].key)).toBeGreaterThan(1800);
    expect(counts.get(hosts[0].key)).toBeLessThan(2200);
  });

  it("spreads evenly when loads are equal", () => {
    const hosts = endpoints(4);
    const lb = createLoadBalancer("least_request", { random: seededRandom(6) });
    const counts = tally(Array.from({ length: 4000 }, () => lb.choose(hosts)));
    for (const n of counts.values()) expect(n).toBeGreaterThan(850);
  });

  it("with unequal weights, balances weight / (active + 1)", () => {
    const [heavy, light] = endpoints(2, [3, 1]);
    const lb = createLoadBalancer("least_request", { random: seededRandom(7) });
    const idle = tally(Array.from({ length: 400 }, () => lb.choose([heavy, light])));
    expect(idle.get(heavy.key)).toBe(300);
    heavy.activeRequests = 5; // effective weight 3/6 = 0.5 against 1
    const loaded = tally(Array.from({ length: 300 }, () => lb.choose([heavy, light])));
    expect(loaded.get(light.key)).toBe(200);
    expect(loaded.get(heavy.key)).toBe(100);
  });
});

describe("random", () => {
  it("honours weights", () => {
    const [a, b] = endpoints(2, [3, 1]);
    const lb = createLoadBalancer("random", { random: seededRandom(8) });
    const share = (tally(Array.from({ length: 10_000 }, () => lb.choose([a, b]))).get(a.key) ?? 0) / 10_000;
    expect(share).toBeGreaterThan(0.73);
    expect(share).toBeLessThan(0.77);
  });
});

describe("ring_hash", () => {
  const keys = Array.from({ length: 4000 }, (_, i) => `user-${i}`);

  it("sends the same key to the same endpoint, and spreads keys evenly", () => {
    const hosts = endpoints(4);
    const lb = createLoadBalancer("ring_hash");
    for (const key of keys.slice(0, 50)) expect(lb.choose(hosts, key)).toBe(lb.choose(hosts, key));
    const counts = tally(keys.map((k) => lb.choose(hosts, k)));
    for (const n of counts.values()) expect(n / keys.length).toBeGreaterThan(0.2);
    for (const n of counts.values()) expect(n / keys.length).toBeLessThan(0.3);
  });

  it("keeps at least 70% of keys in place when one of 4 endpoints leaves, and moves only the leaver's", () => {
    const hosts = endpoints(4);
    const lb = createLoadBalancer("ring_hash");
    const before = new Map(keys.map((k) => [k, lb.choose(hosts, k)]));
    const remaining = hosts.filter((h) => h !== hosts[2]);
    let kept = 0;
    for (const key of keys) {
      const now = lb.choose(remaining, key);
      if (now === before.get(key)) kept++;
      else expect(before.get(key)).toBe(hosts[2]);
    }
    expect(kept / keys.length).toBeGreaterThanOrEqual(0.7);
  });

  it("moves an ejected endpoint's keys to the others and back when it returns", () => {
    const hosts = endpoints(4);
    const lb = createLoadBalancer("ring_hash");
    const before = keys.map((k) => lb.choose(hosts, k));
    hosts[1].ejected = true;
    const during = keys.map((k) => lb.choose(hosts, k));
    during.forEach((ep, i) => {
      expect(ep).not.toBe(hosts[1]);
      if (before[i] !== hosts[1]) expect(ep).toBe(before[i]);
    });
    hosts[1].ejected = false;
    expect(keys.map((k) => lb.choose(hosts, k))).toEqual(before);
  });

  it("gives a weight-2 endpoint about twice the keys", () => {
    const [a, b] = endpoints(2, [2, 1]);
    const lb = createLoadBalancer("ring_hash");
    const share = (tally(keys.map((k) => lb.choose([a, b], k))).get(a.key) ?? 0) / keys.length;
    expect(share).toBeGreaterThan(0.62);
    expect(share).toBeLessThan(0.71);
  });

  it("spreads requests without a hash key at random", () => {
    const hosts = endpoints(4);
    const lb = createLoadBalancer("ring_hash", { random: seededRandom(9) });
    expect(tally(Array.from({ length: 400 }, () => lb.choose(hosts))).size).toBe(4);
  });
});

describe("panic threshold (every policy)", () => {
  for (const policy of ALL) {
    describe(policy, () => {
      it("balances over all endpoints when fewer than 50% are available", () => {
        const hosts = endpoints(4);
        hosts[0].ejected = true;
        hosts[1].failedActiveHealthCheck = true;
        hosts[2].ejected = true; // 1 of 4 available = 25%
        const lb = createLoadBalancer(policy, { random: seededRandom(10) });
        const counts = tally(Array.from({ length: 800 }, (_, i) => lb.choose(hosts, `k${i}`)));
        expect(counts.size).toBe(4);
        expect(lb.stats.upstream_rq_lb_healthy_panic).toBe(800);
      });

      it("uses only available endpoints at exactly 50%", () => {
        const hosts = endpoints(4);
        hosts[0].ejected = true;
        hosts[1].ejected = true;
        const lb = createLoadBalancer(policy, { random: seededRandom(11) });
        const counts = tally(Array.from({ length: 400 }, (_, i) => lb.choose(hosts, `k${i}`)));
        expect([...counts.keys()].sort()).toEqual([hosts[2].key, hosts[3].key]);
        expect(lb.stats.upstream_rq_lb_healthy_panic).toBe(0);
      });

      it("never picks a draining endpoint, even in panic", () => {
        const hosts = endpoints(3);
        hosts[0].draining = true;
        hosts[1].ejected = true;
        hosts[2].ejected = true;
        const lb = createLoadBalancer(policy, { random: seededRandom(12) });
        const counts = tally(Array.from({ length: 200 }, (_, i) => lb.choose(hosts, `k${i}`)));
        expect(counts.has(hosts[0].key)).toBe(false);
      });

      it("returns undefined with no endpoints, or with none available and panic disabled", () => {
        const lb = createLoadBalancer(policy, { random: seededRandom(13), panicThreshold: 0 });
        expect(lb.choose([])).toBeUndefined();
        const hosts = endpoints(2);
        for (const h of hosts) h.ejected = true;
        expect(lb.choose(hosts, "k")).toBeUndefined();
        hosts[0].draining = true;
        hosts[1].draining = true;
        expect(createLoadBalancer(policy).choose(hosts, "k")).toBeUndefined();
      });
    });
  }

  it("selectHosts reports the candidates, the usable hosts and whether it panicked", () => {
    const hosts = endpoints(3);
    hosts[2].ejected = true;
    expect(selectHosts(hosts)).toEqual({ candidates: hosts, hosts: hosts.slice(0, 2), panic: false });
    hosts[1].ejected = true;
    expect(selectHosts(hosts)).toEqual({ candidates: hosts, hosts, panic: true });
  });

  it("rejects unknown policies and thresholds outside 0–100", () => {
    expect(() => createLoadBalancer("maglev" as LbPolicy)).toThrow(/unknown load balancing policy "maglev"/);
    expect(() => createLoadBalancer("random", { panicThreshold: 150 })).toThrow(/got 150/);
  });
});
