/**
 * What the admin API shows, as plain data the proxy hands it through callbacks. The admin
 * app holds no proxy state: each request calls back for the current view, so a config reload
 * or a filter hot swap is visible on the next request with nothing to keep in sync.
 */

import type { StatsRegistry } from "../core/stats/registry.ts";

/** `/ready`'s answer: ready only with no reasons against it. */
export interface Readiness {
  ready: boolean;
  /** Why not, one line each: `listener "inbound" (0.0.0.0:15006) is not bound`. Empty when ready. */
  reasons: string[];
}

/**
 * One upstream endpoint, as `/clusters` lists it (Envoy's per-host view). Only `address` and
 * `healthFlags` are required; the bags (`stats`) are printed as given, so the cluster module's
 * own snapshot type fits without conversion.
 */
export interface EndpointStatus {
  /** Host or IP (with `port`), or `host:port`. */
  address: string;
  port?: number;
  /** One word: `healthy`, `unhealthy`, `ejected`, `draining`, … */
  health?: string;
  /** Envoy's health flags that apply: `failed_active_hc`, `failed_outlier_check`, `pending_dynamic_removal`; empty when healthy. */
  healthFlags: readonly string[];
  weight?: number;
  /** Per-endpoint counts, Envoy's names without `upstream_`: `rq_total`, `rq_active`, `rq_error`, `rq_timeout`, `cx_connect_fail`, … */
  stats?: object;
}

export interface ClusterStatus {
  name: string;
  lbPolicy?: string;
  endpoints: readonly EndpointStatus[];
  /** The breaker limits (`{ maxRequests: 1024, … }`). */
  circuitBreakers?: object;
  /** The cluster's stats by Envoy name, as `/stats` has them with the `cluster` label. */
  stats?: object;
}

/** A filter as `/filters` lists it. `loading` and `load-failed` are filters with no loaded version yet. */
export type FilterStatusState = "ready" | "failed" | "closed" | "loading" | "load-failed";

export interface FilterStatus {
  name: string;
  /** The listener whose chain runs it. */
  listener?: string;
  /** Where it came from: `file:filters/auth.wasm`, `registry:weir.dev/auth@1.2.0`. */
  source: string;
  /** Hex SHA-256 of the module serving now; null before the first load. */
  digest: string | null;
  state: FilterStatusState;
  failurePolicy?: string;
  /** The most recent failure (a trap, a failed load or reload), or null. */
  lastError: string | null;
  counters?: { streams: number; failures: number; reloads: number };
}

type MaybePromise<T> = T | Promise<T>;

/** What `createAdminApp` needs; each callback runs per request. */
export interface AdminOptions {
  stats: StatsRegistry;
  /** 200 on `/ready` only when this says ready (every listener bound, every filter loaded); see `checkReadiness`. */
  readiness: () => MaybePromise<Readiness>;
  /** `/clusters`: every cluster with its endpoints and their health (empty when not given). */
  clusters?: () => MaybePromise<readonly ClusterStatus[]>;
  /** `/config_dump`: the normalized config now in force (`null` when not given). Redact secrets before returning. */
  configDump?: () => MaybePromise<unknown>;
  /** `/filters`: every filter with source, digest, state and last error (empty when not given). */
  filters?: () => MaybePromise<readonly FilterStatus[]>;
}

/** Where the admin API listens unless configured: loopback only, Envoy's port (the admin API can stop the proxy). */
export const ADMIN_DEFAULT_ADDRESS = { address: "127.0.0.1", port: 9901 } as const;
