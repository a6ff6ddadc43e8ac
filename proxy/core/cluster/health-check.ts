/**
 * Active HTTP health checking: probe every endpoint on an interval through an injected
 * `probe` (the runtime adapter sends `GET <path>` and resolves with the status) and flip the
 * endpoint's `failedActiveHealthCheck` flag at the thresholds, as Envoy's
 * `HealthCheckerImplBase` does:
 *
 * - An endpoint starts unhealthy and pending (`startHealthy: false`, Envoy's behaviour when
 *   health checking is configured) and its **first** result decides: one pass makes it
 *   healthy at once, a fail keeps it out. With `startHealthy: true` it serves from the start.
 * - After that, `unhealthyThreshold` consecutive failures mark it unhealthy and
 *   `healthyThreshold` consecutive passes mark it healthy again; each result resets the
 *   opposite count. Unlike Envoy, a wrong status counts toward the threshold like a timeout
 *   does; Envoy marks the host unhealthy on the first non-expected status (unless listed in
 *   `retriable_statuses`), so a single 503 during a deploy takes a host out. Set
 *   `failOnFirstBadStatus` for Envoy's rule.
 * - A probe that has not answered within `timeoutMs` is a failure and is aborted through its
 *   `AbortSignal`. Probes of one endpoint never overlap: the next is scheduled `intervalMs`
 *   (plus up to `jitterMs`) after the previous settles, and a round that comes while a timed-out
 *   probe is still unsettled counts as a failure instead of sending a second one.
 * - Expected statuses are Envoy's half-open ranges; the default, as in Envoy, is 200 only.
 *
 * Defaults (interval 5 s, timeout 1 s, unhealthy 3, healthy 2) are the values Envoy's docs
 * and Istio use in their examples; Envoy itself requires all four to be set.
 */

import type { Clock, Random } from "./clock.ts";
import type { Endpoint } from "./endpoint.ts";

/** Sends one health check request; resolves with the HTTP status, rejects on network errors. */
export type HealthProbe = (endpoint: Endpoint, request: { path: string; timeoutMs: number; signal: AbortSignal }) => Promise<number>;

export interface HealthCheckOptions {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  /** Random extra delay in [0, jitterMs) added to every interval. */
  jitterMs: number;
  /** Half-open [from, to) status ranges that pass. */
  expectedStatuses: ReadonlyArray<readonly [number, number]>;
  /** Serve before the first check passes. */
  startHealthy: boolean;
  /** Envoy's rule: a response with a non-expected status marks the endpoint unhealthy at once. */
  failOnFirstBadStatus: boolean;
}

export const HEALTH_CHECK_DEFAULTS: Readonly<Omit<HealthCheckOptions, "path">> = Object.freeze({
  intervalMs: 5_000,
  timeoutMs: 1_000,
  unhealthyThreshold: 3,
  healthyThreshold: 2,
  jitterMs: 0,
  expectedStatuses: [[200, 201]] as const,
  startHealthy: false,
  failOnFirstBadStatus: false,
});

/** Envoy's `health_check.*` stats; `healthy` is a gauge of endpoints passing. */
export interface HealthCheckStats {
  attempt: number;
  success: number;
  failure: number;
  network_failure: number;
  healthy: number;
}

export interface HealthCheckerDeps {
  clock: Clock;
  probe: HealthProbe;
  random?: Random;
  /** After every result: whether it passed and whether the endpoint's health flipped. */
  onResult?(endpoint: Endpoint, result: { passed: boolean; changed: boolean }): void;
}

interface Session {
  timer: unknown;
  /** A probe has been sent and has not settled (it may have timed out already). */
  inFlight: boolean;
  controller: AbortController | undefined;
  first: boolean;
  passes: number;
  failures: number;
}

/**
 * Probes endpoints and keeps their `failedActiveHealthCheck` flag current.
 *
 * @example
 * ```ts
 * const checker = new HealthChecker({ path: "/healthz" }, { clock: systemClock, probe: adapter.probe });
 * checker.add(endpoint); // first probe now, then every 5 s
 * checker.stop();
 * ```
 */
export class HealthChecker {
  readonly options: Readonly<HealthCheckOptions>;
  readonly stats: HealthCheckStats = { attempt: 0, success: 0, failure: 0, network_failure: 0, healthy: 0 };
  readonly #sessions = new Map<Endpoint, Session>();
  readonly #deps: HealthCheckerDeps;
  readonly #random: Random;

  constructor(options: Partial<HealthCheckOptions> & { path: string }, deps: HealthCheckerDeps) {
    const merged = { ...HEALTH_CHECK_DEFAULTS, ...options };
    for (const key of ["intervalMs", "timeoutMs", "unhealthyThreshold", "healthyThreshold"] as const) {
      if (!(merged[key] > 0)) throw new RangeError(`health check ${key} must be positive, got ${merged[key]}`);
    }
    if (!merged.path.startsWith("/")) throw new RangeError(`health check path must start with "/", got ${JSON.stringify(merged.path)}`);
    this.options = Object.freeze(merged);
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
  }

  /** Starts checking `endpoint`: sets its initial state and sends the first probe right away. */
  add(endpoint: Endpoint): void {
    if (this.#sessions.has(endpoint)) return;
    endpoint.failedActiveHealthCheck = !this.options.startHealthy;
    endpoint.pendingActiveHealthCheck = true;
    if (this.options.startHealthy) this.stats.healthy++;
    const session: Session = { timer: undefined, inFlight: false, controller: undefined, first: true, passes: 0, failures: 0 };
    this.#sessions.set(endpoint, session);
    session.timer = this.#deps.clock.setTimeout(() => this.#check(endpoint, session), 0);
  }

  /** Stops checking `endpoint`; a probe in flight is aborted and its result ignored. */
  remove(endpoint: Endpoint): void {
    const session = this.#sessions.get(endpoint);
    if (session === undefined) return;
    this.#deps.clock.clearTimeout(session.timer);
    session.controller?.abort(new Error(`health checking of ${endpoint.key} stopped`));
    this.#sessions.delete(endpoint);
    endpoint.pendingActiveHealthCheck = false;
    if (!endpoint.failedActiveHealthCheck) this.stats.healthy--;
  }

  /** Stops all checking. Endpoints keep the health they had. */
  stop(): void {
    for (const endpoint of [...this.#sessions.keys()]) this.remove(endpoint);
  }

  #check(endpoint: Endpoint, session: Session): void {
    if (this.#sessions.get(endpoint) !== session) return;
    if (session.inFlight) {
      // The previous probe timed out and still has not settled: do not pile a second one on.
      this.#record(endpoint, session, false, true);
      this.#schedule(endpoint, session);
      return;
    }
    const { path, timeoutMs } = this.options;
    const controller = new AbortController();
    session.controller = controller;
    let settled = false;
    const settle = (passed: boolean, network: boolean): void => {
      if (settled) return;
      settled = true;
      this.#deps.clock.clearTimeout(session.timer);
      if (this.#sessions.get(endpoint) !== session) return;
      this.#record(endpoint, session, passed, network);
      this.#schedule(endpoint, session);
    };
    this.stats.attempt++;
    session.inFlight = true;
    session.timer = this.#deps.clock.setTimeout(() => {
      controller.abort(new Error(`health check ${path} on ${endpoint.key} timed out after ${timeoutMs} ms`));
      settle(false, true);
    }, timeoutMs);
    let sent: Promise<number>;
    try {
      sent = Promise.resolve(this.#deps.probe(endpoint, { path, timeoutMs, signal: controller.signal }));
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (status) => {
        session.inFlight = false;
        settle(this.#expected(status), false);
      },
      () => {
        session.inFlight = false;
        settle(false, true);
      },
    );
  }

  #expected(status: number): boolean {
    return this.options.expectedStatuses.some(([from, to]) => status >= from && status < to);
  }

  #record(endpoint: Endpoint, session: Session, passed: boolean, network: boolean): void {
    const { healthyThreshold, unhealthyThreshold, failOnFirstBadStatus } = this.options;
    let changed = false;
    if (passed) {
      this.stats.success++;
      session.failures = 0;
      session.passes++;
      if (endpoint.failedActiveHealthCheck && (session.first || session.passes >= healthyThreshold)) {
        endpoint.failedActiveHealthCheck = false;
        this.stats.healthy++;
        changed = true;
      }
    } else {
      this.stats.failure++;
      if (network) this.stats.network_failure++;
      session.passes = 0;
      session.failures++;
      if (!endpoint.failedActiveHealthCheck && (session.failures >= unhealthyThreshold || (failOnFirstBadStatus && !network))) {
        endpoint.failedActiveHealthCheck = true;
        this.stats.healthy--;
        changed = true;
      }
    }
    session.first = false;
    endpoint.pendingActiveHealthCheck = false;
    this.#deps.onResult?.(endpoint, { passed, changed });
  }

  #schedule(endpoint: Endpoint, session: Session): void {
    const jitter = this.options.jitterMs > 0 ? Math.floor(this.#random() * this.options.jitterMs) : 0;
    session.timer = this.#deps.clock.setTimeout(() => this.#check(endpoint, session), this.options.intervalMs + jitter);
  }
}
