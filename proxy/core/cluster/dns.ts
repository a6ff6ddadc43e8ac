/**
 * DNS-based endpoint discovery (Envoy's `STRICT_DNS` cluster): resolve a name every
 * `refreshMs` (default 5 s, Envoy's `dns_refresh_rate`) through an injected `resolve`, and
 * hand the addresses to the cluster as endpoints, one per address, all on the same port.
 *
 * - **The last good answer wins.** A failed or timed-out lookup keeps the endpoints the cluster
 *   has (a resolver blip must not empty a cluster); so does an empty answer, counted in
 *   `update_empty`: a name that briefly resolves to nothing would otherwise turn every request
 *   into a 503 UH, while stale addresses that are really gone get ejected by outlier detection.
 * - An unchanged answer (order ignored) does not touch the cluster (`update_no_rebuild`).
 * - Lookups never overlap: the next is scheduled after the previous settles, `refreshMs` later
 *   after a success, `failureRefreshMs` (default: the same) after a failure. A lookup that does
 *   not settle within `timeoutMs` (default 5 s, c-ares' default in Envoy) is a failure and its
 *   late answer is ignored.
 * - `start()` resolves once the first lookup has settled, so the proxy can hold readiness
 *   until a cluster has endpoints.
 */

import type { Clock, Random } from "./clock.ts";
import type { EndpointSpec } from "./endpoint.ts";

/** Looks `host` up; resolves with IP addresses (IPv4 or IPv6), rejects on failure. */
export type Resolve = (host: string) => Promise<string[]>;

export interface DnsRefreshOptions {
  host: string;
  port: number;
  refreshMs?: number;
  failureRefreshMs?: number;
  /** Random extra delay in [0, jitterMs) added to each refresh. */
  jitterMs?: number;
  timeoutMs?: number;
  /** Weight given to every resolved endpoint. */
  weight?: number;
}

export interface DnsRefreshDeps {
  clock: Clock;
  resolve: Resolve;
  /** Usually the `Cluster`. */
  target: { updateEndpoints(specs: readonly EndpointSpec[]): void };
  random?: Random;
  /** A lookup failed; the previous endpoints stay. The error names the host and carries the cause. */
  onError?(error: Error): void;
}

/** Envoy's DNS cluster stats. */
export interface DnsRefreshStats {
  update_attempt: number;
  update_success: number;
  update_failure: number;
  update_empty: number;
  update_no_rebuild: number;
}

/**
 * Keeps a cluster's endpoints in line with a DNS name.
 *
 * @example
 * ```ts
 * const dns = new DnsRefresher({ host: "backend.default.svc", port: 8080 }, { clock: systemClock, resolve: adapter.resolve, target: cluster });
 * await dns.start(); // first answer applied (or the failure reported)
 * dns.stop();
 * ```
 */
export class DnsRefresher {
  readonly stats: DnsRefreshStats = { update_attempt: 0, update_success: 0, update_failure: 0, update_empty: 0, update_no_rebuild: 0 };
  readonly #options: Required<DnsRefreshOptions>;
  readonly #deps: DnsRefreshDeps;
  #lastGood: string[] | undefined;
  #timer: unknown;
  #running: Promise<boolean> | undefined;
  #stopped = false;

  constructor(options: DnsRefreshOptions, deps: DnsRefreshDeps) {
    const refreshMs = options.refreshMs ?? 5_000;
    this.#options = { refreshMs, failureRefreshMs: refreshMs, jitterMs: 0, timeoutMs: 5_000, weight: 1, ...options };
    for (const key of ["refreshMs", "failureRefreshMs", "timeoutMs"] as const) {
      if (!(this.#options[key] > 0))
        throw new RangeError(`DNS refresh ${key} for "${options.host}" must be positive, got ${this.#options[key]}`);
    }
    this.#deps = deps;
  }

  /** The addresses currently applied (sorted), or undefined before the first good answer. */
  get addresses(): readonly string[] | undefined {
    return this.#lastGood;
  }

  /** Runs the first lookup and keeps refreshing until `stop()`. Resolves when the first lookup settles. */
  async start(): Promise<void> {
    await this.refresh();
  }

  /** Looks the name up now (joining a lookup already running). Resolves true when the answer was usable. */
  refresh(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    if (this.#running !== undefined) return this.#running;
    this.#deps.clock.clearTimeout(this.#timer);
    this.#running = this.#lookup().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  stop(): void {
    this.#stopped = true;
    this.#deps.clock.clearTimeout(this.#timer);
  }

  async #lookup(): Promise<boolean> {
    const { host, port, weight, timeoutMs } = this.#options;
    this.stats.update_attempt++;
    let addresses: string[];
    try {
      addresses = await this.#withTimeout(host, timeoutMs);
    } catch (cause) {
      this.stats.update_failure++;
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.#deps.onError?.(
        new Error(`cannot resolve "${host}" (keeping ${this.#lastGood?.length ?? 0} known addresses): ${reason}`, { cause }),
      );
      this.#schedule(this.#options.failureRefreshMs);
      return false;
    }
    const unique = [...new Set(addresses)].sort();
    if (unique.length === 0) {
      this.stats.update_empty++;
      this.#schedule(this.#options.refreshMs);
      return false;
    }
    this.stats.update_success++;
    if (this.#lastGood !== undefined && unique.join(",") === this.#lastGood.join(",")) {
      this.stats.update_no_rebuild++;
    } else if (!this.#stopped) {
      this.#lastGood = unique;
      this.#deps.target.updateEndpoints(unique.map((address) => ({ address, port, weight })));
    }
    this.#schedule(this.#options.refreshMs);
    return true;
  }

  #withTimeout(host: string, timeoutMs: number): Promise<string[]> {
    return new Promise<string[]>((resolve, reject) => {
      const timer = this.#deps.clock.setTimeout(() => reject(new Error(`DNS lookup timed out after ${timeoutMs} ms`)), timeoutMs);
      let pending: Promise<string[]>;
      try {
        pending = Promise.resolve(this.#deps.resolve(host));
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          this.#deps.clock.clearTimeout(timer);
          if (Array.isArray(value)) resolve(value);
          else reject(new TypeError(`resolver returned ${typeof value}, expected an array of addresses`));
        },
        (error) => {
          this.#deps.clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    const jitter = this.#options.jitterMs > 0 ? Math.floor((this.#deps.random ?? Math.random)() * this.#options.jitterMs) : 0;
    this.#timer = this.#deps.clock.setTimeout(() => void this.refresh(), ms + jitter);
  }
}
