/**
 * Pins DNS refresh: answers become endpoints on the refresh interval, an unchanged answer
 * touches nothing, failures, timeouts and empty answers keep the last good endpoints, lookups
 * never overlap, and stop() ends it all. The last test drives a real Cluster.
 */

import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.ts";
import { Cluster } from "./cluster.ts";
import { DnsRefresher, type DnsRefreshOptions } from "./dns.ts";
import type { EndpointSpec } from "./endpoint.ts";

type Answer = string[] | Error | "hang";

function harness(answers: Answer[], options: Partial<DnsRefreshOptions> = {}) {
  const clock = new ManualClock();
  const updates: string[][] = [];
  const errors: Error[] = [];
  const lookups: number[] = [];
  let last: Answer = [];
  const dns = new DnsRefresher(
    { host: "backend.default.svc", port: 8080, ...options },
    {
      clock,
      resolve: async (host) => {
        expect(host).toBe("backend.default.svc");
        lookups.push(clock.now());
        const answer = answers.length > 0 ? (answers.shift() as Answer) : last;
        last = answer;
        if (answer === "hang") return new Promise<string[]>(() => {});
        if (answer instanceof Error) throw answer;
        return answer;
      },
      target: { updateEndpoints: (specs: readonly EndpointSpec[]) => updates.push(specs.map((s) => `${s.address}:${s.port}`)) },
      onError: (e) => errors.push(e),
    },
  );
  return { clock, dns, updates, errors, lookups };
}

describe("DnsRefresher", () => {
  it("applies the first answer, deduplicated and sorted, before start() resolves", async () => {
    const h = harness([["10.0.0.2", "10.0.0.1", "10.0.0.2"]]);
    await h.dns.start();
    expect(h.updates).toEqual([["10.0.0.1:8080", "10.0.0.2:8080"]]);
    expect(h.dns.addresses).toEqual(["10.0.0.1", "10.0.0.2"]);
  });

  it("re-resolves every 5 s and updates only when the answer changes", async () => {
    const h = harness([["10.0.0.1"], ["10.0.0.1"], ["10.0.0.3", "10.0.0.1"]]);
    await h.dns.start();
    await h.clock.advanceAsync(4_999);
    expect(h.lookups).toEqual([0]);
    await h.clock.advanceAsync(1);
    await h.clock.advanceAsync(5_000);
    expect(h.lookups).toEqual([0, 5_000, 10_000]);
    expect(h.updates).toEqual([["10.0.0.1:8080"], ["10.0.0.1:8080", "10.0.0.3:8080"]]);
    expect(h.dns.stats).toMatchObject({ update_attempt: 3, update_success: 3, update_no_rebuild: 1 });
  });

  it("keeps the last good answer when a lookup fails, reporting the host and the cause", async () => {
    const cause = new Error("SERVFAIL");
    const h = harness([["10.0.0.1"], cause, ["10.0.0.2"]], { failureRefreshMs: 1_000 });
    await h.dns.start();
    await h.clock.advanceAsync(5_000);
    expect(h.updates).toEqual([["10.0.0.1:8080"]]);
    expect(h.dns.addresses).toEqual(["10.0.0.1"]);
    expect(h.errors[0].message).toBe('cannot resolve "backend.default.svc" (keeping 1 known addresses): SERVFAIL');
    expect(h.errors[0].cause).toBe(cause);
    await h.clock.advanceAsync(1_000); // failureRefreshMs after a failure
    expect(h.updates).toEqual([["10.0.0.1:8080"], ["10.0.0.2:8080"]]);
  });

  it("keeps the last good answer when the name resolves to nothing", async () => {
    const h = harness([["10.0.0.1"], []]);
    await h.dns.start();
    await h.clock.advanceAsync(5_000);
    expect(h.updates).toHaveLength(1);
    expect(h.dns.stats.update_empty).toBe(1);
  });

  it("fails a lookup that hangs past the timeout, and never runs two at once", async () => {
    const h = harness(["hang", ["10.0.0.1"]], { timeoutMs: 2_000, refreshMs: 1_000 });
    const first = h.dns.refresh();
    expect(h.dns.refresh()).toBe(first); // joins the running lookup
    await h.clock.advanceAsync(1_999);
    expect(h.lookups).toEqual([0]);
    await h.clock.advanceAsync(1);
    expect(await first).toBe(false);
    expect(h.errors[0].message).toMatch(/timed out after 2000 ms/);
    await h.clock.advanceAsync(1_000);
    expect(h.lookups).toEqual([0, 3_000]);
    expect(h.updates).toEqual([["10.0.0.1:8080"]]);
  });

  it("stops refreshing on stop()", async () => {
    const h = harness([["10.0.0.1"]]);
    await h.dns.start();
    h.dns.stop();
    await h.clock.advanceAsync(60_000);
    expect(h.lookups).toEqual([0]);
    expect(h.clock.pendingTimers).toBe(0);
    expect(await h.dns.refresh()).toBe(false);
  });

  it("drives a cluster's endpoints, draining addresses that disappear", async () => {
    const clock = new ManualClock();
    const cluster = new Cluster({ name: "backend" }, { clock });
    const answers = [
      ["10.0.0.1", "10.0.0.2"],
      ["10.0.0.2", "10.0.0.3"],
    ];
    const dns = new DnsRefresher({ host: "backend", port: 80 }, { clock, resolve: async () => answers.shift() ?? [], target: cluster });
    await dns.start();
    const kept = cluster.endpoints[1];
    await clock.advanceAsync(5_000);
    expect(cluster.endpoints.map((e) => e.key)).toEqual(["10.0.0.2:80", "10.0.0.3:80"]);
    expect(cluster.endpoints[0]).toBe(kept);
    dns.stop();
    cluster.close();
  });

  it("rejects a non-positive refresh interval, naming the host", () => {
    const deps = { clock: new ManualClock(), resolve: async () => [], target: { updateEndpoints() {} } };
    expect(() => new DnsRefresher({ host: "svc", port: 80, refreshMs: 0 }, deps)).toThrow(/refreshMs for "svc" must be positive, got 0/);
  });
});
