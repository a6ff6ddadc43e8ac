/**
 * Per-cluster circuit breakers, Envoy style (arch_overview/upstream/circuit_breaking.rst): not
 * the open/half-open/closed state machine of client libraries but four counting limits that
 * fail fast when a cluster is saturated, so back pressure reaches the caller as a quick 503
 * (response flag UO) instead of a growing queue.
 *
 * | resource          | default | overflow counter                | "open" gauge      |
 * |-------------------|---------|---------------------------------|-------------------|
 * | `connections`     | 1024    | `upstream_cx_overflow`          | `cx_open`         |
 * | `pendingRequests` | 1024    | `upstream_rq_pending_overflow`  | `rq_pending_open` |
 * | `requests`        | 1024    | `upstream_rq_pending_overflow`  | `rq_open`         |
 * | `retries`         | 3       | `upstream_rq_retry_overflow`    | `rq_retry_open`   |
 *
 * Envoy counts `max_requests` overflow in `upstream_rq_pending_overflow` too (there is no
 * `upstream_rq_overflow`); we keep its names so dashboards built for Envoy read ours. A gauge is
 * 1 while its resource is at its limit. The connection pool takes `connections` and
 * `pendingRequests`; the cluster takes `requests` on every pick; the retry logic takes
 * `retries` (unless a retry budget replaces it, as in Envoy).
 */

export type BreakerResource = "connections" | "pendingRequests" | "requests" | "retries";

export interface CircuitBreakerLimits {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  /** Concurrent retries, not retries per request. */
  maxRetries: number;
}

/** Envoy's defaults (cluster/v3/circuit_breaker.proto). */
export const CIRCUIT_BREAKER_DEFAULTS: Readonly<CircuitBreakerLimits> = Object.freeze({
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
});

export interface CircuitBreakerStats {
  cx_open: number;
  rq_pending_open: number;
  rq_open: number;
  rq_retry_open: number;
  upstream_cx_overflow: number;
  upstream_rq_pending_overflow: number;
  upstream_rq_retry_overflow: number;
}

const LIMIT_OF: Record<BreakerResource, keyof CircuitBreakerLimits> = {
  connections: "maxConnections",
  pendingRequests: "maxPendingRequests",
  requests: "maxRequests",
  retries: "maxRetries",
};

const GAUGE_OF: Record<BreakerResource, keyof CircuitBreakerStats> = {
  connections: "cx_open",
  pendingRequests: "rq_pending_open",
  requests: "rq_open",
  retries: "rq_retry_open",
};

const OVERFLOW_OF: Record<BreakerResource, keyof CircuitBreakerStats> = {
  connections: "upstream_cx_overflow",
  pendingRequests: "upstream_rq_pending_overflow",
  requests: "upstream_rq_pending_overflow",
  retries: "upstream_rq_retry_overflow",
};

/**
 * Counting limits for one cluster.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ maxRequests: 100 });
 * const release = breaker.tryAcquire("requests");
 * if (release === undefined) return reply(503, { flags: "UO" });
 * try { await forward(); } finally { release(); }
 * ```
 */
export class CircuitBreaker {
  readonly limits: Readonly<CircuitBreakerLimits>;
  readonly stats: CircuitBreakerStats = {
    cx_open: 0,
    rq_pending_open: 0,
    rq_open: 0,
    rq_retry_open: 0,
    upstream_cx_overflow: 0,
    upstream_rq_pending_overflow: 0,
    upstream_rq_retry_overflow: 0,
  };
  readonly #active: Record<BreakerResource, number> = { connections: 0, pendingRequests: 0, requests: 0, retries: 0 };

  constructor(limits: Partial<CircuitBreakerLimits> = {}) {
    const merged = { ...CIRCUIT_BREAKER_DEFAULTS, ...limits };
    for (const [name, value] of Object.entries(merged)) {
      if (!(value >= 0) || (!Number.isInteger(value) && value !== Number.POSITIVE_INFINITY)) {
        throw new RangeError(`circuit breaker ${name} must be a non-negative integer or Infinity, got ${value}`);
      }
    }
    this.limits = Object.freeze(merged);
  }

  /**
   * Takes one unit of `resource`. Returns the function that gives it back (calling it again
   * does nothing), or undefined when the resource is at its limit: the caller fails fast with
   * 503 and flag UO.
   */
  tryAcquire(resource: BreakerResource): (() => void) | undefined {
    const limit = this.limits[LIMIT_OF[resource]];
    if (this.#active[resource] >= limit) {
      this.stats[OVERFLOW_OF[resource]]++;
      return undefined;
    }
    this.#active[resource]++;
    this.#updateGauge(resource);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active[resource]--;
      this.#updateGauge(resource);
    };
  }

  /** Units of `resource` held now. */
  active(resource: BreakerResource): number {
    return this.#active[resource];
  }

  /** Units of `resource` that can still be taken (Envoy's `remaining_*` gauges). */
  remaining(resource: BreakerResource): number {
    return Math.max(0, this.limits[LIMIT_OF[resource]] - this.#active[resource]);
  }

  #updateGauge(resource: BreakerResource): void {
    this.stats[GAUGE_OF[resource]] = this.#active[resource] >= this.limits[LIMIT_OF[resource]] ? 1 : 0;
  }
}
