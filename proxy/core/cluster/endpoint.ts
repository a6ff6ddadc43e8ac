/**
 * An upstream endpoint (Envoy's "host"): one address and port in a cluster, with its load
 * balancing weight, the requests in flight to it, its counters for the admin API, and the
 * health flags the other modules set on it.
 *
 * Health is kept as independent flags, as Envoy does, not one state: the active health checker
 * owns `failedActiveHealthCheck`, the outlier detector owns `ejected`, the cluster owns
 * `draining`. A host can fail its health check *and* be ejected; un-ejecting it must not make
 * it healthy. `health` folds the flags into the one word the admin API shows, and `isAvailable`
 * is what the load balancer asks.
 */

/** How a request to an endpoint ended, as the proxy reports it. */
export type UpstreamOutcome =
  /** Response headers arrived with this status. */
  | number
  /** The connection could not be established (refused, unreachable, connect timeout). */
  | "connect-failure"
  /** The upstream did not answer in time (per-try or request timeout). */
  | "timeout"
  /** The stream or connection was reset before a response arrived. */
  | "reset"
  /** The downstream went away first; says nothing about the endpoint. */
  | "cancelled";

/** The one-word health shown by the admin API; draining wins over unhealthy over ejected. */
export type EndpointHealth = "healthy" | "unhealthy" | "ejected" | "draining";

/** What an endpoint is made from: service discovery or static config. */
export interface EndpointSpec {
  address: string;
  port: number;
  /** Load balancing weight, an integer from 1 to 128 (Envoy's range); 1 when absent. */
  weight?: number;
}

/** Per-endpoint counters, named as in Envoy's `/clusters` output. */
export interface EndpointStats {
  rq_total: number;
  rq_success: number;
  rq_error: number;
  rq_timeout: number;
  cx_connect_fail: number;
}

/**
 * The identity of an endpoint within a cluster: `address:port`, IPv6 in brackets.
 *
 * @example
 * ```ts
 * endpointKey({ address: "10.0.0.7", port: 8080 }); // "10.0.0.7:8080"
 * endpointKey({ address: "::1", port: 80 }); // "[::1]:80"
 * ```
 */
export function endpointKey(spec: Pick<EndpointSpec, "address" | "port">): string {
  return spec.address.includes(":") ? `[${spec.address}]:${spec.port}` : `${spec.address}:${spec.port}`;
}

/**
 * One upstream endpoint and its live state.
 *
 * @example
 * ```ts
 * const ep = new Endpoint({ address: "10.0.0.7", port: 8080, weight: 2 });
 * ep.startRequest();
 * ep.finishRequest(200);
 * ep.stats.rq_success; // 1
 * ```
 */
export class Endpoint {
  readonly address: string;
  readonly port: number;
  /** `address:port`; stable for the endpoint's life. */
  readonly key: string;
  #weight = 1;
  /** Set by the active health checker (Envoy's `/failed_active_hc`). */
  failedActiveHealthCheck = false;
  /** True until the active health checker has a first result (Envoy's `/pending_active_hc`). */
  pendingActiveHealthCheck = false;
  /** Set by the outlier detector (Envoy's `/failed_outlier_check`). */
  ejected = false;
  /** Removed from service discovery; finishing its requests (Envoy's `/pending_dynamic_removal`). */
  draining = false;
  /** Requests started and not yet finished. */
  activeRequests = 0;
  readonly stats: EndpointStats = { rq_total: 0, rq_success: 0, rq_error: 0, rq_timeout: 0, cx_connect_fail: 0 };

  constructor(spec: EndpointSpec) {
    if (typeof spec.address !== "string" || spec.address === "") {
      throw new TypeError(`endpoint address must be a non-empty string, got ${JSON.stringify(spec.address)}`);
    }
    if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
      throw new RangeError(`endpoint port must be an integer from 1 to 65535, got ${JSON.stringify(spec.port)} for ${spec.address}`);
    }
    this.address = spec.address;
    this.port = spec.port;
    this.key = endpointKey(spec);
    this.weight = spec.weight ?? 1;
  }

  get weight(): number {
    return this.#weight;
  }

  set weight(value: number) {
    if (!Number.isInteger(value) || value < 1 || value > 128) {
      throw new RangeError(`endpoint weight must be an integer from 1 to 128, got ${JSON.stringify(value)} for ${this.key}`);
    }
    this.#weight = value;
  }

  /** May new requests be sent here (healthy, not ejected, not draining)? */
  get isAvailable(): boolean {
    return !this.failedActiveHealthCheck && !this.ejected && !this.draining;
  }

  get health(): EndpointHealth {
    if (this.draining) return "draining";
    if (this.failedActiveHealthCheck) return "unhealthy";
    if (this.ejected) return "ejected";
    return "healthy";
  }

  /** The health flags as Envoy's `/clusters` prints them (`failed_active_hc`, …); empty when healthy. */
  get healthFlags(): string[] {
    const flags: string[] = [];
    if (this.failedActiveHealthCheck) flags.push("failed_active_hc");
    if (this.pendingActiveHealthCheck) flags.push("pending_active_hc");
    if (this.ejected) flags.push("failed_outlier_check");
    if (this.draining) flags.push("pending_dynamic_removal");
    return flags;
  }

  /** A request to this endpoint begins. */
  startRequest(): void {
    this.activeRequests++;
    this.stats.rq_total++;
  }

  /** A request begun with `startRequest` ended with `outcome`. */
  finishRequest(outcome: UpstreamOutcome): void {
    if (this.activeRequests > 0) this.activeRequests--;
    if (typeof outcome === "number") {
      if (outcome >= 500) this.stats.rq_error++;
      else this.stats.rq_success++;
      return;
    }
    if (outcome === "cancelled") return;
    this.stats.rq_error++;
    if (outcome === "timeout") this.stats.rq_timeout++;
    if (outcome === "connect-failure") this.stats.cx_connect_fail++;
  }
}
