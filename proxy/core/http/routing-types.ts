/**
 * What the request path asks of routing and of the cluster layer, as interfaces, so the
 * stream logic does not depend on how routes are configured or how endpoints are picked.
 */

import type { HeaderMap } from "../../abi/header-map.ts";
import type { UpstreamRequest, UpstreamResponse } from "./types.ts";

/** Host-side retries (Envoy's route retry policy). */
export interface RetryPolicy {
  /** Envoy retry_on conditions: 5xx, gateway-error, reset, connect-failure, retriable-status-codes, refused-stream. */
  retryOn: ReadonlySet<string>;
  numRetries: number;
  retriableStatusCodes: readonly number[];
  /** Only GET, HEAD, OPTIONS, PUT, DELETE, TRACE unless false. */
  idempotentOnly: boolean;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface RoutePolicy {
  name: string;
  cluster: string;
  /** Covers all attempts (0: none). */
  timeoutMs: number;
  /** Per attempt (0: none). */
  perTryTimeoutMs: number;
  retry: RetryPolicy | undefined;
  /** The key for ring-hash balancing, from the request. */
  hashKey?(headers: HeaderMap): string | undefined;
  /** Rewrites applied to the request before it goes upstream (path prefix, host, headers). */
  rewrite?(headers: HeaderMap): void;
}

/** A route's override of one filter in the listener's chain. */
export interface FilterOverride {
  disabled: boolean;
  /** Replaces the filter's config on this route; null keeps the listener's. */
  config: string | null;
}

/** Per-route filter overrides by filter name. */
export type FilterOverrides = Readonly<Record<string, FilterOverride>>;

export type RouteDecision =
  | { kind: "forward"; route: RoutePolicy; filters?: FilterOverrides }
  | { kind: "direct"; name: string; status: number; body: string; headers?: [string, string][]; filters?: FilterOverrides }
  | { kind: "redirect"; name: string; status: number; location: string; filters?: FilterOverrides }
  | { kind: "none" };

export interface Router {
  /** Picks the route for request headers (with pseudo-headers). `cluster`: a filter's choice, replacing the route's. */
  route(headers: HeaderMap, cluster?: string): RouteDecision;
}

/** The cluster layer: endpoint choice, circuit breaking, outlier reporting, the connection pools. */
export interface Upstreams {
  has(cluster: string): boolean;
  /** One attempt; rejects with `UpstreamError` (flags UH, UF, UO, UR, UC, UT, NC). */
  send(cluster: string, request: UpstreamRequest, hashKey?: string): Promise<UpstreamResponse>;
  /** Asks the cluster's retry budget for one retry; returns a release function, or undefined when refused. */
  acquireRetry?(cluster: string): (() => void) | undefined;
}
