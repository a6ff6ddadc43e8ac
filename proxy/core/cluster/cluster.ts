/**
 * A cluster: one upstream service's endpoints and the machinery around them, wired the way
 * Envoy's cluster manager wires them. The router asks `pick()` for an endpoint, sends the
 * request through the runtime's connection pool, and tells `report()` how it ended; the
 * cluster keeps the load balancer, circuit breaker, outlier detector, optional active health
 * checker and retry budget consistent with each other and with service discovery.
 *
 * - `pick()` fails with flag UH (503, `no_healthy_upstream`) when the balancer has nothing to
 *   choose from, else with flag UO (503, `upstream_overflow`) when the `requests` breaker is
 *   full: host selection first, as in Envoy's router.
 * - Every successful `pick()` must be matched by exactly one `report()`; it releases the
 *   breaker, updates the endpoint's counters and feeds the outlier detector.
 * - `tryRetry()` admits a retry through the retry budget or, when the budget is disabled,
 *   the `retries` breaker (Envoy: a configured budget overrides `max_retries`).
 * - `updateEndpoints()` applies a new endpoint list (DNS refresh, config reload): endpoints
 *   that stay keep their state and stats; new ones are added (and health checked); removed ones
 *   drain — never picked again, kept until their last request reports, then dropped.
 * - A passing active health check un-ejects an ejected endpoint (Envoy's
 *   `successful_active_health_check_uneject_host`, default true).
 */

import { CircuitBreaker, type CircuitBreakerLimits } from "./circuit-breaker.ts";
import type { Clock, Random } from "./clock.ts";
import { type ClusterSnapshot, collectClusterStats, countOutcome, createClusterCounters, snapshotEndpoint } from "./cluster-stats.ts";
import { Endpoint, type EndpointSpec, endpointKey, type UpstreamOutcome } from "./endpoint.ts";
import { HealthChecker, type HealthCheckOptions, type HealthProbe } from "./health-check.ts";
import { createLoadBalancer, type LbPolicy, type LoadBalancer, type LoadBalancerOptions } from "./load-balancer.ts";
import { type OutlierDetectionOptions, OutlierDetector } from "./outlier-detection.ts";
import { RetryBudget, type RetryBudgetOptions } from "./retry-budget.ts";

export interface ClusterOptions {
  name: string;
  endpoints?: readonly EndpointSpec[];
  /** Default `round_robin` (Envoy's default). */
  lbPolicy?: LbPolicy;
  loadBalancer?: Omit<LoadBalancerOptions, "random">;
  circuitBreakers?: Partial<CircuitBreakerLimits>;
  /** On by default with Envoy's thresholds; `false` turns it off. */
  outlierDetection?: Partial<OutlierDetectionOptions> | false;
  /** Off unless given. */
  healthCheck?: Partial<HealthCheckOptions> & { path: string; probe: HealthProbe };
  /** On by default (20% + 10/s); `false` falls back to the `maxRetries` breaker. */
  retryBudget?: Partial<RetryBudgetOptions> | false;
}

export interface ClusterDeps {
  clock: Clock;
  random?: Random;
}

/** Why no endpoint was picked; the router answers `status` with the Envoy response flag. */
export interface PickError {
  flag: "UH" | "UO";
  status: 503;
  /** Envoy-style `%RESPONSE_CODE_DETAILS%`. */
  details: "no_healthy_upstream" | "upstream_overflow";
  message: string;
}

export type PickResult = { endpoint: Endpoint; error?: undefined } | { endpoint?: undefined; error: PickError };

/**
 * One upstream cluster.
 *
 * @example
 * ```ts
 * const cluster = new Cluster({ name: "backend", endpoints: [{ address: "10.0.0.7", port: 8080 }] }, { clock: systemClock });
 * const { endpoint, error } = cluster.pick(request.headers.get("x-user") ?? undefined);
 * if (error) return reply(error.status, { flags: error.flag, details: error.details });
 * const status = await pool.send(endpoint, request).then((r) => r.status, () => "reset" as const);
 * cluster.report(endpoint, status);
 * ```
 */
export class Cluster {
  readonly name: string;
  readonly breaker: CircuitBreaker;
  readonly outlierDetector: OutlierDetector | undefined;
  readonly healthChecker: HealthChecker | undefined;
  readonly retryBudget: RetryBudget | undefined;
  readonly #lb: LoadBalancer;
  readonly #byKey = new Map<string, Endpoint>();
  #list: Endpoint[] = [];
  readonly #inFlight = new Map<Endpoint, Array<() => void>>();
  #active = 0;
  readonly #counters = createClusterCounters();

  constructor(options: ClusterOptions, deps: ClusterDeps) {
    this.name = options.name;
    const random = deps.random ?? Math.random;
    this.#lb = createLoadBalancer(options.lbPolicy ?? "round_robin", { ...options.loadBalancer, random });
    this.breaker = new CircuitBreaker(options.circuitBreakers);
    if (options.outlierDetection !== false) {
      this.outlierDetector = new OutlierDetector(options.outlierDetection ?? {}, { clock: deps.clock, random });
    }
    if (options.healthCheck !== undefined) {
      const { probe, ...hc } = options.healthCheck;
      const uneject = this.outlierDetector?.options.successfulActiveHealthCheckUnejectHost ?? false;
      this.healthChecker = new HealthChecker(hc, {
        clock: deps.clock,
        random,
        probe,
        onResult: (endpoint, { passed }) => {
          if (uneject && passed && !endpoint.failedActiveHealthCheck && endpoint.ejected) this.outlierDetector?.uneject(endpoint);
        },
      });
    }
    if (options.retryBudget !== false) this.retryBudget = new RetryBudget(options.retryBudget ?? {}, deps.clock);
    this.updateEndpoints(options.endpoints ?? []);
    this.#counters.membership_change = 0;
  }

  /** Every endpoint, draining ones included, in the order they first appeared. */
  get endpoints(): readonly Endpoint[] {
    return this.#list;
  }

  /**
   * True once no endpoint waits for its first active health check (always true without one).
   * Until then pending endpoints count as unhealthy, so the balancer is likely in panic: hold
   * the proxy's readiness on this, as Envoy's cluster warming holds initialization.
   */
  get warm(): boolean {
    return this.#list.every((e) => e.draining || !e.pendingActiveHealthCheck);
  }

  /** Requests picked and not yet reported. */
  get activeRequests(): number {
    return this.#active;
  }

  /** Chooses an endpoint for one request attempt and takes a `requests` breaker unit for it. */
  pick(hashKey?: string): PickResult {
    const endpoint = this.#lb.choose(this.#list, hashKey);
    if (endpoint === undefined) {
      this.#counters.upstream_cx_none_healthy++;
      const live = this.#list.filter((e) => !e.draining).length;
      const message = `cluster "${this.name}": no healthy upstream (${live === 0 ? "no endpoints" : `0 of ${live} endpoints available`})`;
      return { error: { flag: "UH", status: 503, details: "no_healthy_upstream", message } };
    }
    const release = this.breaker.tryAcquire("requests");
    if (release === undefined) {
      const message = `cluster "${this.name}": circuit breaker open: ${this.breaker.limits.maxRequests} requests already in flight`;
      return { error: { flag: "UO", status: 503, details: "upstream_overflow", message } };
    }
    let releases = this.#inFlight.get(endpoint);
    if (releases === undefined) this.#inFlight.set(endpoint, (releases = []));
    releases.push(release);
    endpoint.startRequest();
    this.#active++;
    this.#counters.upstream_rq_total++;
    return { endpoint };
  }

  /**
   * Reports how a picked request ended. Returns false (and changes nothing) when `endpoint` has
   * no picked request outstanding, so a double report cannot skew counts or eject a host.
   */
  report(endpoint: Endpoint, outcome: UpstreamOutcome): boolean {
    const release = this.#inFlight.get(endpoint)?.pop();
    if (release === undefined) return false;
    release();
    this.#active--;
    endpoint.finishRequest(outcome);
    this.outlierDetector?.record(endpoint, outcome);
    countOutcome(this.#counters, outcome);
    if (endpoint.draining && endpoint.activeRequests === 0) this.#drop(endpoint);
    return true;
  }

  /** Admits one retry; call the returned function when the retry attempt ends. Undefined: no budget (flag URX). */
  tryRetry(): (() => void) | undefined {
    const done = this.retryBudget !== undefined ? this.retryBudget.tryAcquire(this.#active) : this.breaker.tryAcquire("retries");
    if (done === undefined) this.#counters.upstream_rq_retry_overflow++;
    else this.#counters.upstream_rq_retry++;
    return done;
  }

  /** Applies a new endpoint list (see the module comment). Duplicate `address:port` entries keep the first. */
  updateEndpoints(specs: readonly EndpointSpec[]): void {
    const wanted = new Map<string, EndpointSpec>();
    for (const spec of specs) {
      try {
        new Endpoint(spec); // validates before anything changes
      } catch (error) {
        throw new RangeError(`cluster "${this.name}": cannot use endpoint ${JSON.stringify(spec)}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (!wanted.has(endpointKey(spec))) wanted.set(endpointKey(spec), spec);
    }
    let changed = false;
    for (const [key, spec] of wanted) {
      let endpoint = this.#byKey.get(key);
      if (endpoint === undefined) {
        endpoint = new Endpoint(spec);
        this.#byKey.set(key, endpoint);
        this.#watch(endpoint);
        changed = true;
      } else if (endpoint.draining) {
        endpoint.draining = false;
        this.#watch(endpoint);
        changed = true;
      }
      if (endpoint.weight !== (spec.weight ?? 1)) {
        endpoint.weight = spec.weight ?? 1;
        changed = true;
      }
    }
    for (const endpoint of [...this.#byKey.values()]) {
      if (wanted.has(endpoint.key) || endpoint.draining) continue;
      endpoint.draining = true;
      this.outlierDetector?.remove(endpoint);
      this.healthChecker?.remove(endpoint);
      if (endpoint.activeRequests === 0) this.#drop(endpoint);
      changed = true;
    }
    if (!changed) return;
    this.#list = [...this.#byKey.values()];
    this.#counters.membership_change++;
  }

  /** Envoy's cluster stats, flat, without the `cluster.<name>.` prefix. */
  get stats(): Record<string, number> {
    const { breaker, outlierDetector, healthChecker } = this;
    return collectClusterStats({
      counters: this.#counters,
      activeRequests: this.#active,
      endpoints: this.#list,
      lb: this.#lb,
      breaker,
      outlierDetector,
      healthChecker,
    });
  }

  /** What the admin API's `/clusters` shows for this cluster. */
  snapshot(): ClusterSnapshot {
    return {
      name: this.name,
      lbPolicy: this.#lb.policy,
      circuitBreakers: { ...this.breaker.limits },
      stats: this.stats,
      endpoints: this.#list.map((e) => snapshotEndpoint(e, this.outlierDetector?.ejectionsOf(e) ?? 0)),
    };
  }

  /** Stops the outlier sweep and health checking; the cluster can still answer `snapshot()`. */
  close(): void {
    this.outlierDetector?.stop();
    this.healthChecker?.stop();
  }

  #watch(endpoint: Endpoint): void {
    this.outlierDetector?.add(endpoint);
    this.healthChecker?.add(endpoint);
  }

  #drop(endpoint: Endpoint): void {
    this.#byKey.delete(endpoint.key);
    this.#inFlight.delete(endpoint);
    this.#list = [...this.#byKey.values()];
  }
}
