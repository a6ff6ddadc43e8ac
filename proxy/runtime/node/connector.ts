/**
 * The cluster layer's runtime side on Node: an undici pool per endpoint (with upstream TLS
 * from the cluster config), active health-check probes, and DNS through node:dns.
 */

import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { request } from "undici";
import type { EndpointConnector } from "../../core/cluster-manager.ts";
import type { ClusterConfig } from "../../core/config/types.ts";
import { createUndiciClient } from "./upstream.ts";

function tlsOptions(cluster: ClusterConfig, address: string, base: string) {
  const tls = cluster.tls;
  if (tls === null) return undefined;
  const read = (path: string | null) => (path === null ? undefined : readFileSync(path.startsWith("/") ? path : `${base}/${path}`, "utf8"));
  return { ca: read(tls.ca), servername: tls.sni ?? address, cert: read(tls.cert), key: read(tls.key) };
}

/** `baseDir`: where relative certificate paths in the config are resolved (the config file's folder). */
export function createNodeConnector(baseDir = process.cwd()): EndpointConnector {
  return {
    client(cluster, address, port) {
      const host = address.includes(":") ? `[${address}]` : address;
      return createUndiciClient(`${host}:${port}`, {
        connections: cluster.pool.maxConnectionsPerEndpoint || 64,
        connectTimeoutMs: cluster.timeouts.connect,
        keepAliveTimeoutMs: cluster.timeouts.idle,
        tls: tlsOptions(cluster, address, baseDir),
        http2: cluster.protocol === "http2",
      });
    },
    async probe(cluster, address, port, path, timeoutMs, signal) {
      const host = address.includes(":") ? `[${address}]` : address;
      const res = await request(`${cluster.tls ? "https" : "http"}://${host}:${port}${path}`, {
        method: "GET",
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        headers: { "user-agent": "weir-health-check" },
      });
      await res.body.dump();
      return res.statusCode;
    },
    async resolve(host) {
      return (await lookup(host, { all: true })).map((a) => a.address);
    },
  };
}
