/**
 * A listener's HTTP stats, named as Envoy's HTTP connection manager and router name them
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/stats) with the
 * listener name as the `listener` label: Envoy's `http.inbound.downstream_rq_total` is weir's
 * `http.downstream_rq_total{listener="inbound"}`. One addition of weir's own,
 * `downstream_rq_response_flags_total{response_flag}`, counts requests by access-log response flag.
 */

import { CounterVec, ResponseCodeCounters } from "./labelled-counters.ts";
import type { Labels, StatsRegistry } from "./registry.ts";
import { buildStats, type StatSet, type StatSpec } from "./stat-set.ts";

export const HTTP_STATS = {
  counters: {
    downstream_cx_total: "Connections accepted",
    downstream_rq_total: "Requests received",
    downstream_rq_rx_reset: "Requests reset by the client",
    downstream_rq_tx_reset: "Requests reset by weir",
    downstream_rq_header_timeout: "Requests closed because the headers did not arrive in time",
    downstream_rq_too_large: "Requests answered 413 because a filter buffered more body than allowed",
    no_route: "Requests that matched no route (404 NR)",
    no_cluster: "Requests whose route named a cluster that does not exist (503 NC)",
    rq_direct_response: "Requests answered by a direct_response route",
    rq_redirect: "Requests answered by a redirect route",
  },
  gauges: {
    downstream_cx_active: "Open connections",
    downstream_rq_active: "Requests in flight",
  },
  histograms: {
    downstream_rq_time: { help: "Time from the first byte of the request to the last byte of the response, ms" },
    downstream_cx_length_ms: { help: "Connection lifetime, ms" },
  },
} as const satisfies StatSpec;

export type HttpStats = StatSet<typeof HTTP_STATS> & {
  /** `http.downstream_rq{response_code}` and `http.downstream_rq_xx{response_code_class}`: call `record(status)` per response. */
  readonly responses: ResponseCodeCounters;
  /** `http.downstream_rq_response_flags_total{response_flag}`: `get(flag).inc()` for each flag a request ended with. */
  readonly response_flags: CounterVec;
};

/**
 * The HTTP stats of listener `name`, registered now; keep the object.
 *
 * @example
 * ```ts
 * const stats = createHttpStats(registry, "inbound");
 * stats.downstream_rq_total.inc();
 * stats.responses.record(404);
 * stats.response_flags.get("NR").inc();
 * ```
 */
export function createHttpStats(registry: StatsRegistry, name: string, labels: Labels = {}): HttpStats {
  const l = { listener: name, ...labels };
  return Object.freeze({
    ...buildStats(registry, "http", l, HTTP_STATS),
    responses: new ResponseCodeCounters(registry, "http.downstream_rq", l),
    response_flags: new CounterVec(
      registry,
      "http.downstream_rq_response_flags_total",
      l,
      "response_flag",
      "Requests that ended with this access-log response flag (a request with two flags counts in both)",
    ),
  });
}
