/**
 * The retry budget: the guard against retry storms (mesh-anchors P7). When an upstream
 * degrades, every caller retrying every failure multiplies its load exactly when it can least
 * take it; a budget caps retries to a fraction of real traffic, so retries help with sporadic
 * failures and fade out under a real outage.
 *
 * The rule combines Envoy's and Linkerd's budgets, with Linkerd's numbers:
 *
 * - **Ratio** (Envoy `retry_budget.budget_percent`): a retry may start while the retries in
 *   flight stay within `percent` (20) of the cluster's active requests, so 100 active requests
 *   allow 20 concurrent retries.
 * - **Floor** (Linkerd `minRetriesPerSecond`): beyond the ratio, a token bucket of
 *   `minRetriesPerSecond` (10) tokens refilled continuously at that rate lets low-traffic
 *   clusters retry at all (with 3 active requests, 20% allows none). Tokens are spent only on
 *   retries the ratio refused.
 *
 * As in Envoy, a configured budget replaces the static `maxRetries` circuit breaker. The
 * bucket is time-based (no timers): it refills from the injected clock when asked.
 */

import type { Clock } from "./clock.ts";

export interface RetryBudgetOptions {
  /** Retries in flight allowed per 100 active requests. */
  percent: number;
  /** Retries per second allowed regardless of the ratio (also the bucket's size). */
  minRetriesPerSecond: number;
}

/** Linkerd's defaults: "at most 20% extra load, plus 10 retries per second". */
export const RETRY_BUDGET_DEFAULTS: Readonly<RetryBudgetOptions> = Object.freeze({ percent: 20, minRetriesPerSecond: 10 });

export interface RetryBudgetStats {
  /** Retries in flight now. */
  retries_active: number;
  /** Retries refused by the budget (Envoy counts these in `upstream_rq_retry_overflow`). */
  retry_budget_overflow: number;
}

/**
 * Admits or refuses retries for one cluster.
 *
 * @example
 * ```ts
 * const budget = new RetryBudget({}, systemClock);
 * const done = budget.tryAcquire(cluster.activeRequests);
 * if (done === undefined) return lastResponse; // flag URX: no budget left
 * try { await retryAttempt(); } finally { done(); }
 * ```
 */
export class RetryBudget {
  readonly options: Readonly<RetryBudgetOptions>;
  readonly stats: RetryBudgetStats = { retries_active: 0, retry_budget_overflow: 0 };
  readonly #clock: Clock;
  #tokens: number;
  #refilledAt: number;

  constructor(options: Partial<RetryBudgetOptions>, clock: Clock) {
    const merged = { ...RETRY_BUDGET_DEFAULTS, ...options };
    if (!(merged.percent >= 0)) throw new RangeError(`retry budget percent must be non-negative, got ${merged.percent}`);
    if (!(merged.minRetriesPerSecond >= 0))
      throw new RangeError(`retry budget minRetriesPerSecond must be non-negative, got ${merged.minRetriesPerSecond}`);
    this.options = Object.freeze(merged);
    this.#clock = clock;
    this.#tokens = merged.minRetriesPerSecond;
    this.#refilledAt = clock.now();
  }

  /** Tokens left in the per-second bucket (fractional while refilling). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * Asks to start one retry while `activeRequests` requests (retries included) are in flight
   * on the cluster. Returns the function to call when the retry ends (calling it again does
   * nothing), or undefined when the budget is spent.
   */
  tryAcquire(activeRequests: number): (() => void) | undefined {
    // retries_active + 1 <= percent% of activeRequests, in integers where the inputs are.
    if (100 * (this.stats.retries_active + 1) > this.options.percent * Math.max(0, activeRequests)) {
      this.#refill();
      if (this.#tokens < 1) {
        this.stats.retry_budget_overflow++;
        return undefined;
      }
      this.#tokens -= 1;
    }
    this.stats.retries_active++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.stats.retries_active--;
    };
  }

  #refill(): void {
    const now = this.#clock.now();
    const rate = this.options.minRetriesPerSecond;
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#refilledAt) * rate) / 1000);
    this.#refilledAt = now;
  }
}
