/**
 * Pins outlier detection against Envoy's detector: ejection on exactly the 5th consecutive
 * 5xx, the max-ejection percent (and the one host that may always go), un-ejection on the
 * sweep after 30 s, 60 s for a second ejection, the multiplier's decay and cap, gateway and
 * local-origin counting, enforcement percentages, and the stats.
 */

import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.ts";
import { Endpoint, type UpstreamOutcome } from "./endpoint.ts";
import { type OutlierDetectionOptions, OutlierDetector } from "./outlier-detection.ts";

function setup(n: number, options: Partial<OutlierDetectionOptions> = {}, random = () => 0) {
  const clock = new ManualClock();
  const changes: string[] = [];
  const detector = new OutlierDetector(options, {
    clock,
    random,
    onChange: (e, ejected) => changes.push(`${e.key} ${ejected ? "ejected" : "returned"}`),
  });
  const hosts = Array.from({ length: n }, (_, i) => new Endpoint({ address: `10.0.0.${i + 1}`, port: 80 }));
  for (const h of hosts) detector.add(h);
  const fail = (host: Endpoint, times: number, outcome: UpstreamOutcome = 503) => {
    for (let i = 0; i < times; i++) detector.record(host, outcome);
  };
  return { clock, detector, hosts, fail, changes };
}

describe("OutlierDetector", () => {
  it("ejects on exactly the 5th consecutive 5xx", () => {
    const { detector, hosts, fail, changes } = setup(10);
    fail(hosts[0], 4, 500);
    expect(hosts[0].ejected).toBe(false);
    fail(hosts[0], 1, 500);
    expect(hosts[0].ejected).toBe(true);
    expect(changes).toEqual(["10.0.0.1:80 ejected"]);
    expect(detector.stats).toMatchObject({
      ejections_active: 1,
      ejections_total: 1,
      ejections_consecutive_5xx: 1,
      ejections_enforced_consecutive_5xx: 1,
    });
  });

  it("resets the count on any non-5xx response (4xx included)", () => {
    const { hosts, fail, detector } = setup(10);
    fail(hosts[0], 4);
    detector.record(hosts[0], 200);
    fail(hosts[0], 4);
    detector.record(hosts[0], 404);
    fail(hosts[0], 4);
    expect(hosts[0].ejected).toBe(false);
  });

  it("counts connect failures, resets and timeouts as 5xx, and ignores cancellations", () => {
    const { hosts, detector } = setup(10);
    for (const o of ["connect-failure", "reset", "cancelled", "timeout", "cancelled", "connect-failure"] as const)
      detector.record(hosts[0], o);
    expect(hosts[0].ejected).toBe(false);
    detector.record(hosts[0], "reset");
    expect(hosts[0].ejected).toBe(true);
  });

  it("ejects at most 10%: with 10 endpoints all failing, only one", () => {
    const { hosts, fail, detector } = setup(10);
    for (const h of hosts) fail(h, 5);
    expect(hosts.filter((h) => h.ejected)).toHaveLength(1);
    expect(detector.stats.ejections_active).toBe(1);
    expect(detector.stats.ejections_overflow).toBe(9);
  });

  it("ejects two of 20 at 10%", () => {
    const { hosts, fail } = setup(20);
    for (const h of hosts) fail(h, 5);
    expect(hosts.filter((h) => h.ejected)).toHaveLength(2);
  });

  it("may always eject one host, even when one is more than 10% (unlike current Envoy's default)", () => {
    const small = setup(3);
    for (const h of small.hosts) small.fail(h, 5);
    expect(small.hosts.filter((h) => h.ejected)).toHaveLength(1);
    const envoy = setup(3, { alwaysEjectOneHost: false });
    for (const h of envoy.hosts) envoy.fail(h, 5);
    expect(envoy.hosts.filter((h) => h.ejected)).toHaveLength(0);
    expect(envoy.detector.stats.ejections_overflow).toBe(3);
  });

  it("returns an ejected endpoint on the sweep 30 s later", () => {
    const { clock, hosts, fail, detector, changes } = setup(10);
    fail(hosts[0], 5);
    clock.advance(29_999);
    expect(hosts[0].ejected).toBe(true);
    clock.advance(1);
    expect(hosts[0].ejected).toBe(false);
    expect(detector.stats.ejections_active).toBe(0);
    expect(changes).toEqual(["10.0.0.1:80 ejected", "10.0.0.1:80 returned"]);
  });

  it("un-ejects on the interval sweep, so an ejection between sweeps lasts up to one interval more", () => {
    const { clock, hosts, fail } = setup(10);
    clock.advance(5_000);
    fail(hosts[0], 5); // ejected at 5 s; due back at 35 s; the sweep that sees it is at 40 s
    clock.advance(34_999);
    expect(hosts[0].ejected).toBe(true);
    clock.advance(1);
    expect(hosts[0].ejected).toBe(false);
  });

  it("keeps a host ejected for 60 s the second time", () => {
    const { clock, hosts, fail, detector } = setup(10);
    fail(hosts[0], 5);
    clock.advance(30_000);
    expect(hosts[0].ejected).toBe(false);
    fail(hosts[0], 5); // again at 30 s, before any sweep forgave the first ejection
    expect(detector.ejectionsOf(hosts[0])).toBe(2);
    clock.advance(59_999);
    expect(hosts[0].ejected).toBe(true);
    clock.advance(1);
    expect(hosts[0].ejected).toBe(false);
  });

  it("forgives one step of the multiplier per interval in service (Envoy's decay)", () => {
    const { clock, hosts, fail } = setup(10);
    fail(hosts[0], 5);
    clock.advance(30_000); // returned at 30 s
    clock.advance(15_000); // the 40 s sweep forgave it
    fail(hosts[0], 5); // ejected at 45 s for 30 s, not 60 s: back on the 80 s sweep
    clock.advance(25_000);
    expect(hosts[0].ejected).toBe(true);
    clock.advance(10_000);
    expect(hosts[0].ejected).toBe(false);
  });

  it("caps the ejection time at maxEjectionTime", () => {
    const { clock, hosts, fail } = setup(10, { intervalMs: 1_000, baseEjectionTimeMs: 10_000, maxEjectionTimeMs: 30_000 });
    const durations: number[] = [];
    for (let round = 0; round < 5; round++) {
      fail(hosts[0], 5);
      const start = clock.now();
      while (hosts[0].ejected) clock.advance(1_000);
      durations.push(clock.now() - start);
    }
    expect(durations).toEqual([10_000, 20_000, 30_000, 30_000, 30_000]);
  });

  it("does not re-eject or extend on outcomes of requests still in flight to an ejected host", () => {
    const { hosts, fail, detector } = setup(10);
    fail(hosts[0], 5);
    fail(hosts[0], 10);
    expect(detector.stats.ejections_total).toBe(1);
    expect(detector.ejectionsOf(hosts[0])).toBe(1);
  });

  it("detects consecutive gateway failures but, as in Envoy, does not enforce them by default", () => {
    const off = setup(10, { consecutive5xx: 100 });
    off.fail(off.hosts[0], 5, 502);
    expect(off.hosts[0].ejected).toBe(false);
    expect(off.detector.stats.ejections_detected_consecutive_gateway_failure).toBe(1);
    const on = setup(10, { consecutive5xx: 100, enforcingConsecutiveGatewayFailure: 100 });
    on.fail(on.hosts[0], 4, 504);
    on.fail(on.hosts[0], 1, 500); // a non-gateway 5xx breaks the gateway streak
    on.fail(on.hosts[0], 4, 503);
    expect(on.hosts[0].ejected).toBe(false);
    on.fail(on.hosts[0], 1, 503);
    expect(on.hosts[0].ejected).toBe(true);
    expect(on.detector.stats.ejections_enforced_consecutive_gateway_failure).toBe(1);
  });

  it("with split local/external errors, counts local failures on their own", () => {
    const { hosts, fail, detector } = setup(10, { splitExternalLocalOriginErrors: true });
    fail(hosts[0], 4, "connect-failure");
    detector.record(hosts[0], 503); // a response: the connection worked
    fail(hosts[0], 4, "timeout");
    expect(hosts[0].ejected).toBe(false);
    fail(hosts[0], 1, "reset");
    expect(hosts[0].ejected).toBe(true);
    expect(detector.stats.ejections_enforced_consecutive_local_origin_failure).toBe(1);
    fail(hosts[1], 5, "connect-failure");
    fail(hosts[1], 4, 503); // 5xx streak counts responses only
    expect(detector.stats.ejections_detected_consecutive_5xx).toBe(0);
  });

  it("enforces an ejection with the configured probability", () => {
    const unlucky = setup(10, { enforcingConsecutive5xx: 50 }, () => 0.6);
    unlucky.fail(unlucky.hosts[0], 5);
    expect(unlucky.hosts[0].ejected).toBe(false);
    expect(unlucky.detector.stats).toMatchObject({ ejections_detected_consecutive_5xx: 1, ejections_enforced_total: 0 });
    const lucky = setup(10, { enforcingConsecutive5xx: 50 }, () => 0.4);
    lucky.fail(lucky.hosts[0], 5);
    expect(lucky.hosts[0].ejected).toBe(true);
  });

  it("starts a fresh streak after a manual un-eject, and forgets removed endpoints", () => {
    const { hosts, fail, detector } = setup(10);
    fail(hosts[0], 5);
    detector.uneject(hosts[0]);
    fail(hosts[0], 4);
    expect(hosts[0].ejected).toBe(false);
    fail(hosts[0], 1);
    detector.remove(hosts[0]);
    expect(hosts[0].ejected).toBe(false);
    expect(detector.stats.ejections_active).toBe(0);
    fail(hosts[0], 5);
    expect(hosts[0].ejected).toBe(false);
  });

  it("stops its sweep timer on stop()", () => {
    const { clock, detector } = setup(2);
    expect(clock.pendingTimers).toBe(1);
    detector.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it("rejects a max ejection time below the base", () => {
    expect(() => new OutlierDetector({ baseEjectionTimeMs: 60_000, maxEjectionTimeMs: 30_000 }, { clock: new ManualClock() })).toThrow(
      /maxEjectionTimeMs \(30000\) cannot be smaller than baseEjectionTimeMs \(60000\)/,
    );
  });
});
