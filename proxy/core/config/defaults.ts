/**
 * Every default of the proxy configuration, in one place. The readers fill absent fields from
 * here and nowhere else, so `/config_dump` shows exactly what the proxy runs with. Where a
 * value follows Envoy, Istio or Linkerd the comment says so (sources in
 * `shared/reference/mesh-anchors.md`); durations are ms, sizes bytes.
 */

import { DEFAULT_FUEL, DEFAULT_MEMORY_PAGES } from "../../abi/host.ts";
import type { AccessLogConfig, ClusterConfig, FilterConfig, HealthCheck, ListenerConfig, ListenerProtocol, RetryPolicy } from "./types.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULTS = {
  /** Envoy's conventional admin port, bound to loopback: the admin API can drain and stop the proxy. */
  admin: { address: "127.0.0.1", port: 9901 },
  workers: "auto" as const,
  accessLog: { format: "text", path: "stdout" } satisfies AccessLogConfig,

  listener: {
    /** The virtual host a listener's inline `routes` form: every domain. */
    inlineVirtualHost: () => ({ name: "default", domains: ["*"] }),
    direction: "inbound" as const,
    protocol: "auto" as const,
    /** Under Kubernetes' default 30 s terminationGracePeriodSeconds, so a drain ends before SIGKILL. */
    drainTimeout: 20_000,
    limits: {
      /** Envoy's max_request_headers_kb default (60) and max_request_headers_count (100). */
      maxHeadersSize: 60 * KiB,
      maxHeaders: 100,
      headersTimeout: 10_000,
      /** nginx's and Apache's request-line limit. */
      maxUriSize: 8 * KiB,
      /** Envoy's per_connection_buffer_limit_bytes. */
      maxBufferedBody: 1 * MiB,
    } satisfies ListenerConfig["limits"],
  },

  /** Inbound listeners face the network; outbound ones only the app beside them. */
  listenerAddress(direction: ListenerConfig["direction"]): string {
    return direction === "inbound" ? "0.0.0.0" : "127.0.0.1";
  },

  alpn(protocol: ListenerProtocol): string[] {
    if (protocol === "http1") return ["http/1.1"];
    if (protocol === "http2") return ["h2"];
    return ["h2", "http/1.1"];
  },

  filter: {
    config: "",
    vmConfig: "",
    rootId: "",
    vmId: "",
    /** The host's own defaults (64 MiB; ~50 M loop iterations or calls per callback). */
    limits: { memoryPages: DEFAULT_MEMORY_PAGES, fuel: DEFAULT_FUEL },
    failurePolicy: "fail-closed" as const,
    reloadBackoff: { base: 1_000, max: 10_000 },
    capabilities: { clusters: "*", foreignFunctions: "*" },
  } satisfies Omit<FilterConfig, "name" | "source">,

  route: {
    /** A route without `match` matches every request; paths compare case-sensitively (Envoy). */
    match: { prefix: "/", caseSensitive: true },
    /** Envoy's route timeout; it covers every attempt. */
    timeout: 15_000,
    /**
     * Only failures where the upstream cannot have acted on the request, once, for idempotent
     * methods: Linkerd's and Envoy's limit of 1, not Istio's surprising 2 (mesh-anchors P7).
     */
    retries: {
      retryOn: ["connect-failure", "refused-stream", "reset"],
      numRetries: 1,
      perTryTimeout: 0,
      retriableStatusCodes: [],
      /** Envoy: base 25 ms, max 10 x base. */
      backoff: { base: 25, max: 250 },
      idempotentOnly: true,
    } satisfies RetryPolicy,
    /** Envoy's default redirect code (MOVED_PERMANENTLY). */
    redirectCode: 301 as const,
    directResponseBody: "",
  },

  /** Envoy caps the retry backoff at 10 x base when no max is set. */
  backoffMax(base: number): number {
    return 10 * base;
  },

  cluster: {
    protocol: "http1" as const,
    lbPolicy: "round_robin" as const,
    /** Envoy's dns_refresh_rate. */
    dnsRefresh: 5_000,
    timeouts: {
      /** Envoy's connect_timeout. */
      connect: 5_000,
      request: 0,
      /** Below Node's 5 s server keepAliveTimeout, so the proxy closes an idle connection before the app does (mesh-anchors P3). */
      idle: 4_000,
    },
    pool: { maxConnectionsPerEndpoint: 0, maxRequestsPerConnection: 0 },
    /** Envoy's circuit breaker thresholds. */
    circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
    /** Envoy's outlier detection, on by default here. */
    outlierDetection: {
      enabled: true,
      consecutive5xx: 5,
      interval: 10_000,
      baseEjectionTime: 30_000,
      maxEjectionTime: 300_000,
      maxEjectionPercent: 10,
    },
    /** Kubernetes probe defaults (period 10 s, timeout 1 s, success 1, failure 3). */
    healthCheck: { interval: 10_000, timeout: 1_000, healthyThreshold: 1, unhealthyThreshold: 3 },
    /** Linkerd's budget: 20% extra load plus 10 retries a second, over a 10 s window. */
    retryBudget: { percent: 20, minRetriesPerSecond: 10, ttl: 10_000 },
  } satisfies Omit<ClusterConfig, "name" | "endpoints" | "dns" | "hashOn" | "tls" | "healthCheck"> & {
    dnsRefresh: number;
    healthCheck: Omit<HealthCheck, "path">;
  },

  upstreamAlpn(protocol: ClusterConfig["protocol"]): string[] {
    return protocol === "http2" ? ["h2"] : ["http/1.1"];
  },
};
