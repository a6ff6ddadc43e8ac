/**
 * The normalized proxy configuration: what `parseConfig` returns and `/config_dump` prints.
 * Every optional field of the YAML is filled in from `defaults.ts`, so nothing downstream
 * applies a default of its own. Durations are milliseconds and sizes are bytes (numbers); a
 * duration of 0 means "no limit". Field names match the YAML, so a reader of the dump can
 * find the line they wrote.
 */

import type { FailurePolicy } from "../../abi/types.ts";

export type { FailurePolicy };

/** The whole proxy: one file, hot-reloadable as a unit. */
export interface ProxyConfig {
  admin: AdminConfig;
  /** Worker count, or "auto" for one per CPU (resolved by the runtime adapter). */
  workers: number | "auto";
  accessLog: AccessLogConfig;
  listeners: ListenerConfig[];
  routeTables: RouteTable[];
  clusters: ClusterConfig[];
}

/** Where a socket binds. `address` is a host name or IP literal without brackets. */
export interface BindAddress {
  address: string;
  port: number;
}

export type AdminConfig = BindAddress;

export type AccessLogFormat = "off" | "json" | "text";

export interface AccessLogConfig {
  /** `text` is Envoy's default format; `json` one object per line; `off` logs nothing. */
  format: AccessLogFormat;
  /** "stdout", "stderr" or a file path. */
  path: string;
}

/** Which traffic a listener carries: into the app, out of it, or the app's HTTP_PROXY port. */
export type Direction = "inbound" | "outbound" | "http-proxy";

/** `auto` serves HTTP/1.1 and HTTP/2 (ALPN with TLS, the h2c prior-knowledge preface without). */
export type ListenerProtocol = "auto" | "http1" | "http2";

export interface ListenerConfig extends BindAddress {
  name: string;
  direction: Direction;
  protocol: ListenerProtocol;
  tls: ListenerTls | null;
  limits: ListenerLimits;
  /** How long in-flight requests may run after a drain starts (SIGTERM, listener removal). */
  drainTimeout: number;
  filters: FilterConfig[];
  /** The route table this listener uses, when it named one; null for inline routes. */
  routeTable: string | null;
  /** The virtual hosts requests are matched against (inline, or copied from `routeTable`). */
  virtualHosts: VirtualHost[];
}

export interface ListenerTls {
  cert: string;
  key: string;
  alpn: string[];
  /** CA bundle that client certificates must chain to (mTLS); null accepts any client. */
  clientCa: string | null;
}

/** Downstream request limits; each names the status a violation gets. */
export interface ListenerLimits {
  /** Total size of the request headers (431). */
  maxHeadersSize: number;
  /** Number of request headers (431). */
  maxHeaders: number;
  /** Time to receive the complete request headers (408). */
  headersTimeout: number;
  /** Length of the request target (414). */
  maxUriSize: number;
  /** Most bytes of a request body a filter may make the proxy buffer (413). */
  maxBufferedBody: number;
}

/** A proxy-wasm filter in a listener's chain. */
export interface FilterConfig {
  name: string;
  source: FilterSource;
  /** Passed to `proxy_on_configure`: a YAML string as is, any other YAML value as JSON. */
  config: string;
  /** Passed to `proxy_on_vm_start`, converted like `config`. */
  vmConfig: string;
  rootId: string;
  vmId: string;
  limits: { memoryPages: number; fuel: number | false };
  failurePolicy: FailurePolicy;
  /** Backoff between VM restarts under `failurePolicy: reload`. */
  reloadBackoff: { base: number; max: number };
  /** What the filter may use; "*" is unrestricted. */
  capabilities: { clusters: string[] | "*"; foreignFunctions: string[] | "*" };
}

/**
 * A `.wasm` file or a registry reference (`name@version`, resolved by the registry client).
 * Paths here and in TLS settings are kept as written; whoever reads the files resolves
 * relative ones against the config file's directory.
 */
export type FilterSource = { file: string } | { registry: string };

/** Routes by `Host`/`:authority`, like an Envoy RouteConfiguration. */
export interface RouteTable {
  name: string;
  virtualHosts: VirtualHost[];
}

export interface VirtualHost {
  name: string;
  /** Exact names, `*.suffix` / `prefix.*` wildcards, or `*` for any. */
  domains: string[];
  /** First match wins. */
  routes: Route[];
}

export type Route = ClusterRoute | WeightedRoute | DirectResponseRoute | RedirectRoute;

interface RouteCommon {
  /** Shown in the access log; "" when not set. */
  name: string;
  match: RouteMatch;
  /** Per-route filter overrides by filter name. */
  filters: Record<string, FilterOverride>;
}

/** Settings of routes that forward upstream. */
export interface Forwarding {
  /** Covers all attempts, retries and backoff included (504). */
  timeout: number;
  retries: RetryPolicy;
}

export interface ClusterRoute extends RouteCommon, Forwarding {
  cluster: string;
}

export interface WeightedRoute extends RouteCommon, Forwarding {
  weightedClusters: WeightedCluster[];
}

export interface WeightedCluster {
  name: string;
  weight: number;
}

export interface DirectResponseRoute extends RouteCommon {
  directResponse: { status: number; body: string };
}

export interface RedirectRoute extends RouteCommon {
  /** Unset parts keep the request's own; `port` null keeps it too. */
  redirect: { scheme: string | null; host: string | null; port: number | null; path: string | null; code: RedirectCode };
}

export type RedirectCode = 301 | 302 | 303 | 307 | 308;

export interface RouteMatch {
  /** Exactly one of `prefix`, `path` (exact) and `regex` (a JavaScript RegExp matching the whole path). */
  path: { prefix: string } | { path: string } | { regex: string };
  caseSensitive: boolean;
  headers: ValueMatch[];
  queryParams: ValueMatch[];
  /** Empty matches any method. */
  methods: string[];
}

/** A header or query parameter that must be present, equal a value, or match a regex (whole value). */
export type ValueMatch = { name: string; exact: string } | { name: string; regex: string } | { name: string; present: boolean };

export interface FilterOverride {
  /** Skip the filter on this route. */
  disabled: boolean;
  /** Replaces the filter's `config` on this route; null keeps the listener's. */
  config: string | null;
}

export type RetryOn = "5xx" | "gateway-error" | "reset" | "connect-failure" | "refused-stream" | "retriable-status-codes";

export interface RetryPolicy {
  retryOn: RetryOn[];
  /** Attempts after the first; 0 disables retries. */
  numRetries: number;
  /** Limit for each attempt; 0 leaves only the route timeout (and the cluster's request timeout). */
  perTryTimeout: number;
  /** Used with `retryOn: retriable-status-codes`. */
  retriableStatusCodes: number[];
  /** Fully jittered exponential backoff: attempt n waits uniform [0, (2^n - 1) * base), capped at `max`. */
  backoff: { base: number; max: number };
  /** Retry only GET, HEAD, OPTIONS, TRACE, PUT and DELETE requests. */
  idempotentOnly: boolean;
}

export type LbPolicy = "round_robin" | "least_request" | "random" | "ring_hash";

/** What `ring_hash` hashes. */
export type HashOn = { header: string } | { cookie: string } | { sourceIp: true };

export type UpstreamProtocol = "http1" | "http2";

export interface Endpoint {
  host: string;
  port: number;
}

export interface ClusterConfig {
  name: string;
  protocol: UpstreamProtocol;
  /** Static endpoints; empty when `dns` is set. */
  endpoints: Endpoint[];
  /** A name re-resolved every `refresh` ms, each address one endpoint; null for static endpoints. */
  dns: (Endpoint & { refresh: number }) | null;
  lbPolicy: LbPolicy;
  /** Set exactly when `lbPolicy` is `ring_hash`. */
  hashOn: HashOn | null;
  timeouts: { connect: number; request: number; idle: number };
  /** 0 = unlimited (the circuit breakers still apply). */
  pool: { maxConnectionsPerEndpoint: number; maxRequestsPerConnection: number };
  circuitBreakers: { maxConnections: number; maxPendingRequests: number; maxRequests: number; maxRetries: number };
  outlierDetection: OutlierDetection;
  healthCheck: HealthCheck | null;
  tls: UpstreamTls | null;
  retryBudget: RetryBudget;
}

export interface OutlierDetection {
  enabled: boolean;
  consecutive5xx: number;
  interval: number;
  /** Multiplied by the number of times the host was ejected, capped by `maxEjectionTime`. */
  baseEjectionTime: number;
  maxEjectionTime: number;
  /** Percent of the cluster's hosts that may be ejected at once (at least one). */
  maxEjectionPercent: number;
}

export interface HealthCheck {
  path: string;
  interval: number;
  timeout: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface UpstreamTls {
  /** CA bundle to verify the upstream with; null uses the runtime's default roots. */
  ca: string | null;
  /** Server name to send and verify; null uses the endpoint's host. */
  sni: string | null;
  /** Client certificate and key (both or neither). */
  cert: string | null;
  key: string | null;
  alpn: string[];
}

/** Retries allowed beyond `minRetriesPerSecond`: `percent` of the requests in the last `ttl` ms. */
export interface RetryBudget {
  percent: number;
  minRetriesPerSecond: number;
  ttl: number;
}
