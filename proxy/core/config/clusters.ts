/**
 * Reads clusters: the upstream protocol, where the endpoints come from (a static list or a
 * DNS name re-resolved on a timer), how a request picks one (load-balancing policy), and the
 * timeouts and pool limits. The resilience settings are read in cluster-policies.ts.
 */

import { readCircuitBreakers, readHealthCheck, readOutlierDetection, readRetryBudget, readUpstreamTls } from "./cluster-policies.ts";
import { DEFAULTS } from "./defaults.ts";
import { type Checker, fields, listOf, type Read, show } from "./reader.ts";
import type { ConfigNode } from "./source.ts";
import type { ClusterConfig, Endpoint, HashOn } from "./types.ts";
import { parseHostPort } from "./units.ts";
import { boolean, duration, integer, name, oneOf, positiveDuration, text } from "./values.ts";

const LB_POLICIES = ["round_robin", "least_request", "random", "ring_hash"] as const;
const PROTOCOLS = ["http1", "http2"] as const;
const host = text({ pattern: /^[A-Za-z0-9._-]+$|^[0-9A-Fa-f:.]+$/, describe: "a host name or IP address" });

/** Reads `clusters[i]`. */
export function readCluster(node: ConfigNode, path: string, checker: Checker): ClusterConfig | undefined {
  const f = fields(node, path, checker, [
    "name",
    "protocol",
    "endpoints",
    "dns",
    "lbPolicy",
    "hashOn",
    "timeouts",
    "pool",
    "circuitBreakers",
    "outlierDetection",
    "healthCheck",
    "tls",
    "retryBudget",
  ]);
  if (!f) return undefined;
  const d = DEFAULTS.cluster;
  const protocol = f.get("protocol", oneOf(PROTOCOLS), d.protocol);
  const discovery = f.exactlyOne(["endpoints", "dns"]);
  const lbPolicy = f.get("lbPolicy", oneOf(LB_POLICIES), d.lbPolicy);
  const hashOn = f.get("hashOn", readHashOn, null);
  if (lbPolicy === "ring_hash" && !f.has("hashOn"))
    checker.report(f.value("lbPolicy")!, f.at("hashOn"), "is required with lbPolicy ring_hash");
  if (lbPolicy !== "ring_hash" && f.has("hashOn")) {
    checker.report(f.value("hashOn")!, f.at("hashOn"), `applies only to lbPolicy ring_hash, not ${lbPolicy}`);
  }
  return {
    name: f.need("name", name, ""),
    protocol,
    endpoints: discovery === "endpoints" ? f.get("endpoints", listOf(endpoint, { min: 1 }), []) : [],
    dns: discovery === "dns" ? f.get("dns", readDns, null) : null,
    lbPolicy,
    hashOn: lbPolicy === "ring_hash" ? hashOn : null,
    timeouts: f.get("timeouts", readTimeouts, { ...d.timeouts }),
    pool: f.get("pool", readPool, { ...d.pool }),
    circuitBreakers: f.get("circuitBreakers", readCircuitBreakers, { ...d.circuitBreakers }),
    outlierDetection: f.get("outlierDetection", readOutlierDetection, { ...d.outlierDetection }),
    healthCheck: f.get("healthCheck", readHealthCheck, null),
    tls: f.get("tls", (n, p, c) => readUpstreamTls(n, p, c, protocol), null),
    retryBudget: f.get("retryBudget", readRetryBudget, { ...d.retryBudget }),
  };
}

/** "host:port" or `{ host, port }`. */
const endpoint: Read<Endpoint> = (node, path, checker) => {
  if (node.kind === "scalar" && typeof node.value === "string") {
    try {
      return parseHostPort(node.value);
    } catch (err) {
      return void checker.report(node, path, (err as Error).message);
    }
  }
  if (node.kind !== "map") return void checker.report(node, path, `must be "host:port" or a map with host and port, got ${show(node)}`);
  const f = fields(node, path, checker, ["host", "port"]);
  return f && { host: f.need("host", host, ""), port: f.need("port", integer(1, 65535), 1) };
};

/** "name:port", or `{ host, port, refresh }`. */
function readDns(node: ConfigNode, path: string, checker: Checker): ClusterConfig["dns"] | undefined {
  const refresh = DEFAULTS.cluster.dnsRefresh;
  if (node.kind === "scalar") {
    const target = endpoint(node, path, checker);
    return target && { ...target, refresh };
  }
  const f = fields(node, path, checker, ["host", "port", "refresh"]);
  if (!f) return undefined;
  return {
    host: f.need("host", host, ""),
    port: f.need("port", integer(1, 65535), 1),
    refresh: f.get("refresh", positiveDuration, refresh),
  };
}

function readHashOn(node: ConfigNode, path: string, checker: Checker): HashOn | undefined {
  const f = fields(node, path, checker, ["header", "cookie", "sourceIp"]);
  const kind = f?.exactlyOne(["header", "cookie", "sourceIp"]);
  if (!f || !kind) return undefined;
  if (kind === "header") return { header: f.get("header", text(), "").toLowerCase() };
  if (kind === "cookie") return { cookie: f.get("cookie", text(), "") };
  if (f.get("sourceIp", boolean, true) !== true)
    return void checker.report(f.value("sourceIp")!, f.at("sourceIp"), "must be true when set");
  return { sourceIp: true };
}

function readTimeouts(node: ConfigNode, path: string, checker: Checker): ClusterConfig["timeouts"] | undefined {
  const f = fields(node, path, checker, ["connect", "request", "idle"]);
  if (!f) return undefined;
  const d = DEFAULTS.cluster.timeouts;
  return {
    connect: f.get("connect", duration, d.connect),
    request: f.get("request", duration, d.request),
    idle: f.get("idle", duration, d.idle),
  };
}

function readPool(node: ConfigNode, path: string, checker: Checker): ClusterConfig["pool"] | undefined {
  const f = fields(node, path, checker, ["maxConnectionsPerEndpoint", "maxRequestsPerConnection"]);
  if (!f) return undefined;
  const d = DEFAULTS.cluster.pool;
  return {
    maxConnectionsPerEndpoint: f.get("maxConnectionsPerEndpoint", integer(0), d.maxConnectionsPerEndpoint),
    maxRequestsPerConnection: f.get("maxRequestsPerConnection", integer(0), d.maxRequestsPerConnection),
  };
}
