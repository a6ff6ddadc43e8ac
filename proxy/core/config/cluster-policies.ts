/**
 * Reads a cluster's resilience settings: circuit breakers, outlier detection (passive
 * health), active health checks, TLS to the upstream, and the retry budget. Defaults are
 * Envoy's thresholds and Linkerd's budget (defaults.ts); the checks here catch settings that
 * cannot work together, like a maximum ejection time below the base one.
 */

import { DEFAULTS } from "./defaults.ts";
import { type Checker, fields, listOf } from "./reader.ts";
import type { ConfigNode } from "./source.ts";
import type { ClusterConfig, HealthCheck, OutlierDetection, RetryBudget, UpstreamTls } from "./types.ts";
import { boolean, decimal, duration, integer, oneOf, positiveDuration, text } from "./values.ts";

export function readCircuitBreakers(node: ConfigNode, path: string, checker: Checker): ClusterConfig["circuitBreakers"] | undefined {
  const f = fields(node, path, checker, ["maxConnections", "maxPendingRequests", "maxRequests", "maxRetries"]);
  if (!f) return undefined;
  const d = DEFAULTS.cluster.circuitBreakers;
  return {
    maxConnections: f.get("maxConnections", integer(1), d.maxConnections),
    maxPendingRequests: f.get("maxPendingRequests", integer(0), d.maxPendingRequests),
    maxRequests: f.get("maxRequests", integer(1), d.maxRequests),
    maxRetries: f.get("maxRetries", integer(0), d.maxRetries),
  };
}

export function readOutlierDetection(node: ConfigNode, path: string, checker: Checker): OutlierDetection | undefined {
  const keys = ["enabled", "consecutive5xx", "interval", "baseEjectionTime", "maxEjectionTime", "maxEjectionPercent"];
  const f = fields(node, path, checker, keys);
  if (!f) return undefined;
  const d = DEFAULTS.cluster.outlierDetection;
  const out = {
    enabled: f.get("enabled", boolean, d.enabled),
    consecutive5xx: f.get("consecutive5xx", integer(1), d.consecutive5xx),
    interval: f.get("interval", positiveDuration, d.interval),
    baseEjectionTime: f.get("baseEjectionTime", positiveDuration, d.baseEjectionTime),
    maxEjectionTime: f.get("maxEjectionTime", positiveDuration, d.maxEjectionTime),
    maxEjectionPercent: f.get("maxEjectionPercent", integer(0, 100), d.maxEjectionPercent),
  };
  if (out.maxEjectionTime < out.baseEjectionTime) {
    const at = f.has("maxEjectionTime") ? "maxEjectionTime" : "baseEjectionTime";
    checker.report(
      f.value(at)!,
      f.at(at),
      `maxEjectionTime (${out.maxEjectionTime}ms) must not be below baseEjectionTime (${out.baseEjectionTime}ms)`,
    );
  }
  return out;
}

export function readHealthCheck(node: ConfigNode, path: string, checker: Checker): HealthCheck | undefined {
  const f = fields(node, path, checker, ["path", "interval", "timeout", "healthyThreshold", "unhealthyThreshold"]);
  if (!f) return undefined;
  const d = DEFAULTS.cluster.healthCheck;
  return {
    path: f.need("path", text({ pattern: /^\//, describe: 'a path starting with "/"' }), "/"),
    interval: f.get("interval", positiveDuration, d.interval),
    timeout: f.get("timeout", positiveDuration, d.timeout),
    healthyThreshold: f.get("healthyThreshold", integer(1), d.healthyThreshold),
    unhealthyThreshold: f.get("unhealthyThreshold", integer(1), d.unhealthyThreshold),
  };
}

export function readUpstreamTls(
  node: ConfigNode,
  path: string,
  checker: Checker,
  protocol: ClusterConfig["protocol"],
): UpstreamTls | undefined {
  const f = fields(node, path, checker, ["ca", "sni", "cert", "key", "alpn"]);
  if (!f) return undefined;
  const tls = {
    ca: f.get("ca", text(), null),
    sni: f.get("sni", text({ pattern: /^[A-Za-z0-9.-]+$/, describe: "a host name" }), null),
    cert: f.get("cert", text(), null),
    key: f.get("key", text(), null),
    alpn: f.get("alpn", listOf(oneOf(["h2", "http/1.1"]), { min: 1 }), DEFAULTS.upstreamAlpn(protocol)),
  };
  for (const [present, missing] of [
    ["cert", "key"],
    ["key", "cert"],
  ] as const) {
    if (f.has(present) && !f.has(missing))
      checker.report(f.value(present)!, f.at(missing), `is required with ${present} (a client certificate needs both)`);
  }
  return tls;
}

export function readRetryBudget(node: ConfigNode, path: string, checker: Checker): RetryBudget | undefined {
  const f = fields(node, path, checker, ["percent", "minRetriesPerSecond", "ttl"]);
  if (!f) return undefined;
  const d = DEFAULTS.cluster.retryBudget;
  const ttl = f.get("ttl", duration, d.ttl);
  // tower's Budget (which Linkerd's is built on) accepts a window of 1 to 60 s.
  if (ttl < 1_000 || ttl > 60_000) checker.report(f.value("ttl")!, f.at("ttl"), `must be from 1s to 60s, got ${ttl}ms`);
  return {
    percent: f.get("percent", decimal(0, 100), d.percent),
    minRetriesPerSecond: f.get("minRetriesPerSecond", integer(0), d.minRetriesPerSecond),
    ttl,
  };
}
