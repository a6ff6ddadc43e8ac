import { describe, expect, it } from "vitest";
import { countOutcome, createClusterCounters } from "./cluster-stats.ts";

describe("countOutcome", () => {
  it("counts statuses by class and local failures by kind, and nothing else", () => {
    const counters = createClusterCounters();
    for (const outcome of [200, 204, 301, 404, 499, 500, 503, 599] as const) countOutcome(counters, outcome);
    for (const outcome of ["timeout", "reset", "connect-failure", "cancelled", "timeout"] as const) countOutcome(counters, outcome);
    for (const outcome of [100, 101, 99, 600, 0] as const) countOutcome(counters, outcome);
    expect(counters).toEqual({
      ...createClusterCounters(),
      upstream_rq_2xx: 2,
      upstream_rq_3xx: 1,
      upstream_rq_4xx: 2,
      upstream_rq_5xx: 3,
      upstream_rq_timeout: 2,
      upstream_rq_rx_reset: 1,
      upstream_cx_connect_fail: 1,
      upstream_rq_cancelled: 1,
    });
    expect(Object.keys(counters)).toEqual(Object.keys(createClusterCounters()));
  });
});
