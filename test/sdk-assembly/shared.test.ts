/**
 * Shared data under contention (two filters with one vm_id racing through a foreign-function
 * hook), shared queues across filters, metrics with tags, and the tick timer.
 */

import { describe, expect, it } from "vitest";
import { createHost, type Filter, HeaderMap, MetricType } from "../../proxy/abi/index.ts";
import { buildSdkFilter } from "./support.ts";

function request(filter: Filter, headers: Record<string, string>): HeaderMap {
  const map = new HeaderMap({ ":method": "GET", ":path": "/", ...headers });
  const stream = filter.createStream();
  stream.onRequestHeaders(map, true);
  stream.complete();
  return map;
}

async function racingPair() {
  const logs: string[] = [];
  let other: Filter | undefined;
  const host = createHost({
    logger: (e) => logs.push(`${e.level}: ${e.message}`),
    // The hook runs a request through the *other* filter while the first is mid-update.
    foreignFunctions: { "test.interfere": () => void request(other as Filter, { ":path": "/other" }) },
  });
  const module = await buildSdkFilter("shared");
  const first = await host.loadFilter({ name: "first", module, vmId: "shared", config: "consumer" });
  other = await host.loadFilter({ name: "other", module, vmId: "shared" });
  return { host, first, other, logs };
}

describe("sdk shared data", () => {
  it("updateSharedData retries when another filter with the same vm_id wrote in between", async () => {
    const { first } = await racingPair();
    // The key must exist: creating one is unconditional (the ABI has no "create if absent").
    expect(request(first, {}).get("x-hits")).toBe("1");
    const headers = request(first, { "x-interfere": "once" });
    expect(headers.get("x-updated")).toBe("true");
    expect(headers.get("x-attempts")).toBe("2"); // the first attempt hit CAS_MISMATCH
    expect(headers.get("x-hits")).toBe("3"); // the other filter's increment and ours
  });

  it("readSharedDataAt reads into a kept SharedValue, reusing its buffer while the length stays", async () => {
    const { first } = await racingPair();
    const absent = request(first, { "x-read": "no-such-key" });
    expect(absent.get("x-read-found")).toBe("false");
    expect(absent.get("x-read-cas")).toBe("7"); // left as it was
    const firstRead = request(first, { "x-read": "hits" });
    expect(firstRead.get("x-read-found")).toBe("true");
    expect(firstRead.get("x-read-value")).toBe(firstRead.get("x-hits"));
    expect(firstRead.get("x-read-cas")).toBe(firstRead.get("x-hits-cas"));
    expect(firstRead.get("x-read-reused")).toBe("false"); // 0 bytes before, 8 now: a new buffer
    const second = request(first, { "x-read": "hits" });
    expect(second.get("x-read-value")).toBe(second.get("x-hits"));
    expect(Number(second.get("x-read-value"))).toBe(Number(firstRead.get("x-read-value")) + 1);
    expect(second.get("x-read-cas")).toBe(second.get("x-hits-cas"));
    expect(second.get("x-read-cas")).not.toBe(firstRead.get("x-read-cas"));
    expect(second.get("x-read-reused")).toBe("true");
  });

  it("gives up after maxAttempts under constant contention, losing no other writer's update", async () => {
    const { first, host } = await racingPair();
    request(first, {});
    const headers = request(first, { "x-interfere": "always" });
    expect(headers.get("x-updated")).toBe("false");
    expect(headers.get("x-attempts")).toBe("3");
    expect(headers.get("x-hits")).toBe("4"); // 1 + the other filter's three
    expect(host.state.sharedData.keys("shared")).toEqual(["hits"]);
  });
});

describe("sdk shared queues", () => {
  it("enqueues into a queue another filter registered and wakes its onQueueReady", async () => {
    const { first, other, logs } = await racingPair();
    const headers = request(other, { ":path": "/from-other" });
    request(first, { ":path": "/from-first" });
    expect(headers.get("x-missing-queue")).toBe("null");
    await new Promise((r) => setTimeout(r, 0));
    expect(logs.filter((l) => l.includes("dequeued"))).toEqual(["info: dequeued /from-other", "info: dequeued /from-first"]);
  });
});

describe("sdk metrics and ticks", () => {
  it("defines counters, gauges, histograms and tagged families, and ticks", async () => {
    const intervals: { fn: () => void; ms: number }[] = [];
    const host = createHost({
      logger: () => {},
      timers: { setInterval: (fn, ms) => intervals.push({ fn, ms }), clearInterval: () => {} },
    });
    const filter = await host.loadFilter({ name: "stats", module: await buildSdkFilter("stats") });
    const metrics = host.state.metrics;
    for (const method of ["GET", "GET", "POST"]) {
      const stream = filter.createStream();
      const req = new HeaderMap({ ":method": method, ":path": "/" });
      stream.onRequestHeaders(req, true);
      expect(metrics.find("active", MetricType.GAUGE)?.value).toBe(1);
      stream.onResponseHeaders(new HeaderMap({ ":status": method === "GET" ? "200" : "503" }), true);
      stream.complete();
    }
    expect(metrics.find("requests", MetricType.COUNTER)?.value).toBe(3);
    expect(metrics.find("active", MetricType.GAUGE)?.value).toBe(0);
    expect(metrics.find("method.GET.code.200.responses", MetricType.COUNTER)?.value).toBe(2);
    expect(metrics.find("method.POST.code.503.responses", MetricType.COUNTER)?.value).toBe(1);
    expect(metrics.find("request_size", MetricType.HISTOGRAM)?.count).toBe(3);

    expect(intervals.map((i) => i.ms)).toEqual([1000]);
    intervals[0].fn();
    intervals[0].fn();
    expect(metrics.find("ticks", MetricType.GAUGE)?.value).toBe(2);
  });
});
