/**
 * Pins the hash ring: MurmurHash3 against its published vectors (so rings agree across
 * runtimes and releases), ring sizing, the size cap, and clockwise skipping of refused hosts.
 */

import { describe, expect, it } from "vitest";
import { Endpoint } from "./endpoint.ts";
import { HashRing, hash32 } from "./ring-hash.ts";

const host = (i: number, weight = 1) => new Endpoint({ address: `10.1.0.${i}`, port: 8080, weight });

describe("hash32 (MurmurHash3 x86 32)", () => {
  it("matches the reference vectors", () => {
    expect(hash32("")).toBe(0);
    expect(hash32("", 1)).toBe(0x514e28b7);
    expect(hash32("hello")).toBe(0x248bfa47);
    expect(hash32("The quick brown fox jumps over the lazy dog")).toBe(0x2e4ff723);
    expect(hash32("abc")).toBe(0xb3dd93fa);
  });
});

describe("HashRing", () => {
  it("places virtualNodesPerWeight × weight points per host", () => {
    expect(new HashRing([host(1), host(2, 3)]).size).toBe(4 * 1024);
    expect(new HashRing([host(1)], { virtualNodesPerWeight: 10 }).size).toBe(10);
  });

  it("shrinks every host's share proportionally past maximumRingSize, keeping one point per weight unit", () => {
    expect(new HashRing([host(1), host(2)], { maximumRingSize: 1000 }).size).toBe(1000);
    expect(new HashRing([host(1), host(2, 2)], { virtualNodesPerWeight: 8, maximumRingSize: 1 }).size).toBe(3);
  });

  it("walks clockwise past hosts the caller refuses, and gives up when it refuses all", () => {
    const hosts = [host(1), host(2), host(3)];
    const ring = new HashRing(hosts);
    for (let i = 0; i < 200; i++) {
      const h = hash32(`k${i}`);
      const first = ring.lookup(h);
      const second = ring.lookup(h, (e) => e !== first);
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
    }
    expect(ring.lookup(1, () => false)).toBeUndefined();
    expect(new HashRing([]).lookup(1)).toBeUndefined();
  });

  it("knows which host list and weights it was built for", () => {
    const hosts = [host(1), host(2)];
    const ring = new HashRing(hosts);
    expect(ring.matches(hosts.slice())).toBe(true);
    expect(ring.matches([hosts[1], hosts[0]])).toBe(false);
    hosts[0].weight = 2;
    expect(ring.matches(hosts)).toBe(false);
  });

  it("rejects nonsense sizes", () => {
    expect(() => new HashRing([host(1)], { virtualNodesPerWeight: 0 })).toThrow(/virtualNodesPerWeight must be a positive integer, got 0/);
  });
});
