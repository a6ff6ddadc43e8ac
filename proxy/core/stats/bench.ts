/**
 * Hot-path cost of stats and access logging, in nanoseconds per operation. A script, not a
 * test: timings vary by machine and load, so nothing here asserts.
 *
 *   npx tsx proxy/core/stats/bench.ts
 *
 * Each row includes the harness's own call (the baseline row); the registry lookup row is the
 * cost the hot path avoids by keeping stat objects from setup.
 */

import { formatJson } from "../access-log/format-json.ts";
import { formatText } from "../access-log/format-text.ts";
import { createAccessLogRecord } from "../access-log/record.ts";
import { ResponseFlag } from "../access-log/response-flags.ts";
import { createClusterStats } from "./cluster-stats.ts";
import { formatPrometheus } from "./prometheus.ts";
import { StatsRegistry } from "./registry.ts";

function bench(name: string, iterations: number, run: (i: number) => unknown): void {
  let sink = 0;
  for (let i = 0; i < Math.min(iterations, 100_000); i++) sink += run(i) ? 1 : 0; // warm up the JIT
  const start = performance.now();
  for (let i = 0; i < iterations; i++) sink += run(i) ? 1 : 0;
  const ns = ((performance.now() - start) * 1e6) / iterations;
  console.log(`${name.padEnd(44)} ${ns.toFixed(1).padStart(9)} ns/op${sink === -1 ? " " : ""}`);
}

const registry = new StatsRegistry();
const cluster = createClusterStats(registry, "backend");
for (let i = 0; i < 50; i++) createClusterStats(registry, `cluster-${i}`);

bench("(harness baseline: empty call)", 20_000_000, () => undefined);
bench("counter.inc()", 20_000_000, () => cluster.upstream_rq_total.inc());
bench("counter.value++", 20_000_000, () => cluster.upstream_rq_total.value++);
bench("gauge.inc() + gauge.dec()", 10_000_000, () => {
  cluster.upstream_rq_active.inc();
  cluster.upstream_rq_active.dec();
});
bench("histogram.record(ms)", 10_000_000, (i) => cluster.upstream_rq_time.record(i & 127));
bench("responses.record(status)", 10_000_000, (i) => cluster.responses.record(i & 7 ? 200 : 503));
bench("registry.counter(name, labels) (avoided)", 1_000_000, () => registry.counter("cluster.upstream_rq_total", { cluster: "backend" }));

const record = createAccessLogRecord({
  startTime: Date.now(),
  method: "GET",
  path: "/api/v1/items?page=2",
  protocol: "HTTP/1.1",
  responseCode: 200,
  responseCodeDetails: "via_upstream",
  bytesReceived: 0,
  bytesSent: 1532,
  duration: 4.2,
  upstreamServiceTime: 3.1,
  xForwardedFor: "10.0.0.7",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
  requestId: "0f8fad5b-d9cb-469f-a165-70867728950e",
  authority: "app.local",
  upstreamHost: "127.0.0.1:8080",
  upstreamCluster: "backend",
  routeName: "api",
  upstreamRequestAttemptCount: 1,
  listener: "inbound",
});
const flagged = createAccessLogRecord({ ...record, responseCode: 503, responseFlags: [ResponseFlag.URX, ResponseFlag.UF] });

bench("access log line, Envoy default text", 1_000_000, (i) => {
  record.startTime += i & 1; // a moving clock, as in real traffic
  return formatText(record).length;
});
bench("access log line, text with UF,URX", 1_000_000, () => formatText(flagged).length);
bench("access log line, JSON", 1_000_000, () => formatJson(record).length);

bench("/stats/prometheus scrape (51 clusters)", 200, () => formatPrometheus(registry).length);
