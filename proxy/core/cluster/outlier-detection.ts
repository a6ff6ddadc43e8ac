/**
 * Outlier detection (passive health checking), following Envoy's detector
 * (source/common/upstream/outlier_detection_impl.cc, cluster/v3/outlier_detection.proto):
 * watch the outcome of real requests and eject an endpoint from load balancing after N
 * consecutive failures, for longer each time it is ejected again.
 *
 * - Consecutive 5xx (default 5, enforced 100%). Without `splitExternalLocalOriginErrors`
 *   (the default), local failures count as responses: connect failure and reset as 503,
 *   timeout as 504. Any non-5xx response resets the counters.
 * - Consecutive gateway failures (502/503/504, default 5) are detected but, as in Envoy,
 *   enforced 0% by default (`ejections_detected_consecutive_gateway_failure` counts them).
 * - Consecutive local-origin failures (default 5, enforced 100%) when the split is on; then
 *   responses feed only the 5xx/gateway counters and any response resets the local counter.
 * - Ejection time = `baseEjectionTime` (30 s) × the ejection multiplier, capped at
 *   `maxEjectionTime` (300 s). The multiplier grows by one per ejection and, as in Envoy,
 *   shrinks by one for every `interval` sweep the endpoint stays in service, so a host that
 *   recovered for a while starts again from 30 s.
 * - Un-ejection happens on the `interval` (10 s) sweep, so an ejection lasts between its time
 *   and its time plus one interval. Counters reset on ejection and on un-ejection.
 * - At most `maxEjectionPercent` (10%) of the endpoints are ejected at once, **but one host
 *   may always be ejected** (`alwaysEjectOneHost`, default true). Envoy's docs promised this
 *   for years; current Envoy made it an opt-in (`always_eject_one_host`, default false), which
 *   means a cluster of fewer than 10 hosts never ejects anything under 10%: a surprise we do
 *   not copy. Refused ejections count in `ejections_overflow`.
 *
 * Success-rate and failure-percentage ejection are not implemented yet.
 */

import type { Clock, Random } from "./clock.ts";
import type { Endpoint, UpstreamOutcome } from "./endpoint.ts";

export interface OutlierDetectionOptions {
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  consecutiveLocalOriginFailure: number;
  /** Percent chance a detected outlier is actually ejected. */
  enforcingConsecutive5xx: number;
  enforcingConsecutiveGatewayFailure: number;
  enforcingConsecutiveLocalOriginFailure: number;
  splitExternalLocalOriginErrors: boolean;
  intervalMs: number;
  baseEjectionTimeMs: number;
  maxEjectionTimeMs: number;
  maxEjectionPercent: number;
  alwaysEjectOneHost: boolean;
  /** A passing active health check returns an ejected endpoint to service (applied by the cluster). */
  successfulActiveHealthCheckUnejectHost: boolean;
}

/** Envoy's defaults, except `alwaysEjectOneHost` (see the module comment). */
export const OUTLIER_DETECTION_DEFAULTS: Readonly<OutlierDetectionOptions> = Object.freeze({
  consecutive5xx: 5,
  consecutiveGatewayFailure: 5,
  consecutiveLocalOriginFailure: 5,
  enforcingConsecutive5xx: 100,
  enforcingConsecutiveGatewayFailure: 0,
  enforcingConsecutiveLocalOriginFailure: 100,
  splitExternalLocalOriginErrors: false,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 10,
  alwaysEjectOneHost: true,
  successfulActiveHealthCheckUnejectHost: true,
});

type EjectionType = "consecutive_5xx" | "consecutive_gateway_failure" | "consecutive_local_origin_failure";

/** Envoy's `outlier_detection.*` stats (the success-rate ones omitted). */
export interface OutlierDetectionStats {
  ejections_active: number;
  /** Consecutive-5xx detections that passed the max-percent check, enforced or not (Envoy's deprecated counter; prefer `ejections_enforced_total`). */
  ejections_total: number;
  /** Ejections refused by the max-percent rule. */
  ejections_overflow: number;
  ejections_enforced_total: number;
  /** Consecutive-5xx detections (Envoy, deprecated there). */
  ejections_consecutive_5xx: number;
  ejections_detected_consecutive_5xx: number;
  ejections_enforced_consecutive_5xx: number;
  ejections_detected_consecutive_gateway_failure: number;
  ejections_enforced_consecutive_gateway_failure: number;
  ejections_detected_consecutive_local_origin_failure: number;
  ejections_enforced_consecutive_local_origin_failure: number;
}

interface Monitor {
  consecutive5xx: number;
  consecutiveGateway: number;
  consecutiveLocal: number;
  /** Ejection multiplier (Envoy's `ejectTimeBackoff`). */
  backoff: number;
  ejections: number;
  ejectedAt: number;
  unejectedAt: number | undefined;
}

export interface OutlierDetectorDeps {
  clock: Clock;
  /** For the enforcement percentages; `Math.random` by default. */
  random?: Random;
  /** Called after an endpoint is ejected or returned to service. */
  onChange?(endpoint: Endpoint, ejected: boolean): void;
}

/**
 * Watches request outcomes for the endpoints added to it and sets their `ejected` flag.
 *
 * @example
 * ```ts
 * const detector = new OutlierDetector({}, { clock: systemClock });
 * detector.add(endpoint);
 * detector.record(endpoint, 503); // the fifth in a row ejects it for 30 s
 * detector.stop(); // when the cluster goes away
 * ```
 */
export class OutlierDetector {
  readonly options: Readonly<OutlierDetectionOptions>;
  readonly stats: OutlierDetectionStats = {
    ejections_active: 0,
    ejections_total: 0,
    ejections_overflow: 0,
    ejections_enforced_total: 0,
    ejections_consecutive_5xx: 0,
    ejections_detected_consecutive_5xx: 0,
    ejections_enforced_consecutive_5xx: 0,
    ejections_detected_consecutive_gateway_failure: 0,
    ejections_enforced_consecutive_gateway_failure: 0,
    ejections_detected_consecutive_local_origin_failure: 0,
    ejections_enforced_consecutive_local_origin_failure: 0,
  };
  readonly #monitors = new Map<Endpoint, Monitor>();
  readonly #deps: OutlierDetectorDeps;
  readonly #random: Random;
  #timer: unknown;
  #stopped = false;

  constructor(options: Partial<OutlierDetectionOptions>, deps: OutlierDetectorDeps) {
    const merged = { ...OUTLIER_DETECTION_DEFAULTS, ...options };
    for (const key of ["intervalMs", "baseEjectionTimeMs", "maxEjectionTimeMs"] as const) {
      if (!(merged[key] > 0)) throw new RangeError(`outlier detection ${key} must be positive, got ${merged[key]}`);
    }
    if (merged.maxEjectionTimeMs < merged.baseEjectionTimeMs) {
      throw new RangeError(
        `outlier detection maxEjectionTimeMs (${merged.maxEjectionTimeMs}) cannot be smaller than baseEjectionTimeMs (${merged.baseEjectionTimeMs})`,
      );
    }
    this.options = Object.freeze(merged);
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
    this.#arm();
  }

  add(endpoint: Endpoint): void {
    if (this.#monitors.has(endpoint)) return;
    this.#monitors.set(endpoint, {
      consecutive5xx: 0,
      consecutiveGateway: 0,
      consecutiveLocal: 0,
      backoff: 0,
      ejections: 0,
      ejectedAt: 0,
      unejectedAt: undefined,
    });
  }

  /** Stops watching `endpoint` (removed from the cluster); an ejection it held no longer counts. */
  remove(endpoint: Endpoint): void {
    if (!this.#monitors.delete(endpoint)) return;
    if (endpoint.ejected) {
      endpoint.ejected = false;
      this.stats.ejections_active--;
    }
  }

  /** How many times `endpoint` has been ejected. */
  ejectionsOf(endpoint: Endpoint): number {
    return this.#monitors.get(endpoint)?.ejections ?? 0;
  }

  /** Feeds one request outcome. `"cancelled"` says nothing about the endpoint and is ignored. */
  record(endpoint: Endpoint, outcome: UpstreamOutcome): void {
    const monitor = this.#monitors.get(endpoint);
    if (monitor === undefined || outcome === "cancelled") return;
    if (this.options.splitExternalLocalOriginErrors) {
      if (typeof outcome === "number") {
        monitor.consecutiveLocal = 0;
        this.#response(endpoint, monitor, outcome);
      } else if (++monitor.consecutiveLocal === this.options.consecutiveLocalOriginFailure) {
        this.#detected(endpoint, monitor, "consecutive_local_origin_failure");
      }
      return;
    }
    this.#response(endpoint, monitor, typeof outcome === "number" ? outcome : outcome === "timeout" ? 504 : 503);
  }

  /** Returns an ejected endpoint to service now (a passing active health check does this). */
  uneject(endpoint: Endpoint): void {
    const monitor = this.#monitors.get(endpoint);
    if (monitor === undefined || !endpoint.ejected) return;
    endpoint.ejected = false;
    this.stats.ejections_active--;
    monitor.consecutive5xx = monitor.consecutiveGateway = monitor.consecutiveLocal = 0;
    monitor.unejectedAt = this.#deps.clock.now();
    this.#deps.onChange?.(endpoint, false);
  }

  /** Cancels the sweep timer. */
  stop(): void {
    this.#stopped = true;
    this.#deps.clock.clearTimeout(this.#timer);
  }

  #response(endpoint: Endpoint, monitor: Monitor, status: number): void {
    if (status < 500 || status > 599) {
      monitor.consecutive5xx = monitor.consecutiveGateway = 0;
      return;
    }
    if (status === 502 || status === 503 || status === 504) {
      if (++monitor.consecutiveGateway === this.options.consecutiveGatewayFailure)
        this.#detected(endpoint, monitor, "consecutive_gateway_failure");
    } else {
      monitor.consecutiveGateway = 0;
    }
    if (++monitor.consecutive5xx === this.options.consecutive5xx) this.#detected(endpoint, monitor, "consecutive_5xx");
  }

  #detected(endpoint: Endpoint, monitor: Monitor, type: EjectionType): void {
    // Outcomes of requests still in flight to an ejected endpoint do not eject it again.
    if (endpoint.ejected) return;
    this.stats[`ejections_detected_${type}`]++;
    if (type === "consecutive_5xx") this.stats.ejections_consecutive_5xx++;
    this.#eject(endpoint, monitor, type);
    if (type === "consecutive_5xx") monitor.consecutive5xx = 0;
    else if (type === "consecutive_gateway_failure") monitor.consecutiveGateway = 0;
    else monitor.consecutiveLocal = 0;
  }

  #eject(endpoint: Endpoint, monitor: Monitor, type: EjectionType): void {
    const o = this.options;
    const enforcing =
      type === "consecutive_5xx"
        ? o.enforcingConsecutive5xx
        : type === "consecutive_gateway_failure"
          ? o.enforcingConsecutiveGatewayFailure
          : o.enforcingConsecutiveLocalOriginFailure;
    const enforced = this.#random() * 100 < enforcing;
    const active = this.stats.ejections_active;
    const withinPercent = (100 * (active + 1)) / this.#monitors.size <= o.maxEjectionPercent;
    if (!withinPercent && !(o.alwaysEjectOneHost && active === 0)) {
      // Only ejections that would have happened count as overflow (Envoy also counts
      // detections it would not have enforced, e.g. every gateway-failure streak).
      if (enforced) this.stats.ejections_overflow++;
      return;
    }
    if (type === "consecutive_5xx") this.stats.ejections_total++;
    if (!enforced) return;
    endpoint.ejected = true;
    this.stats.ejections_active++;
    this.stats.ejections_enforced_total++;
    this.stats[`ejections_enforced_${type}`]++;
    monitor.ejections++;
    monitor.ejectedAt = this.#deps.clock.now();
    if (monitor.backoff * o.baseEjectionTimeMs < o.maxEjectionTimeMs + o.baseEjectionTimeMs) monitor.backoff++;
    this.#deps.onChange?.(endpoint, true);
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.#deps.clock.setTimeout(() => this.#sweep(), this.options.intervalMs);
  }

  #sweep(): void {
    const now = this.#deps.clock.now();
    const o = this.options;
    for (const [endpoint, monitor] of this.#monitors) {
      if (endpoint.ejected && now - monitor.ejectedAt >= Math.min(o.baseEjectionTimeMs * monitor.backoff, o.maxEjectionTimeMs)) {
        this.uneject(endpoint);
      }
    }
    // An endpoint that stayed in service for a whole interval since its last return earns one
    // step of its ejection multiplier back (Envoy's onIntervalTimer).
    for (const [endpoint, monitor] of this.#monitors) {
      if (!endpoint.ejected && monitor.unejectedAt !== undefined && now - monitor.unejectedAt >= o.intervalMs && monitor.backoff > 0) {
        monitor.backoff--;
      }
    }
    this.#arm();
  }
}
