/**
 * The cluster layer's runtime side on Bun: Bun's `fetch` upstream (it pools keep-alive
 * connections per origin on its own) with `decompress: false`, so compressed responses pass
 * through untouched, and the cluster's upstream TLS; health-check probes through the same
 * `fetch`; DNS through `Bun.dns.lookup` (getaddrinfo, like Node's).
 */

import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { EndpointConnector } from "../../core/cluster-manager.ts";
import type { ClusterConfig } from "../../core/config/types.ts";
import type { UpstreamFailure } from "../../core/http/types.ts";
import { createFetchClient } from "../deno/fetch-client.ts";
import { BUFFER_DECLARED_UP_TO } from "../deno/web-exchange.ts";
import { Bun, type BunRequestInit } from "./bun-api.ts";

const CONNECT_FAILURES = new Set([
  "ECONNREFUSED",
  "ConnectionRefused",
  "FailedToOpenSocket",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPROTO", // the TLS handshake failed
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
const CLOSED = new Set(["ECONNRESET", "ConnectionClosed", "EPIPE"]);

/** Bun's fetch errors carry Node-style codes: connect, DNS and TLS failures are UF; a dropped connection UC. */
export function classifyBunError(err: unknown): UpstreamFailure {
  const code = (err as { code?: string })?.code ?? "";
  if (CONNECT_FAILURES.has(code)) return "UF";
  if (CLOSED.has(code)) return "UC";
  return "UR";
}

function fetchOptions(cluster: ClusterConfig, baseDir: string): BunRequestInit {
  const tls = cluster.tls;
  if (tls === null) return { decompress: false };
  const read = (path: string | null) => (path === null ? undefined : readFileSync(isAbsolute(path) ? path : join(baseDir, path), "utf8"));
  return { decompress: false, tls: { ca: read(tls.ca), cert: read(tls.cert), key: read(tls.key) } };
}

function hostPort(address: string, port: number): string {
  return `${address.includes(":") ? `[${address}]` : address}:${port}`;
}

/** `baseDir`: where relative certificate paths in the config are resolved (the config file's folder). */
export function createBunConnector(baseDir: string): EndpointConnector {
  return {
    client(cluster, address, port) {
      return createFetchClient(hostPort(address, port), {
        scheme: cluster.tls ? "https" : "http",
        init: fetchOptions(cluster, baseDir),
        classify: classifyBunError,
        bufferResponsesUpTo: BUFFER_DECLARED_UP_TO,
      });
    },
    async probe(cluster, address, port, path, timeoutMs, signal) {
      const response = await fetch(`${cluster.tls ? "https" : "http"}://${hostPort(address, port)}${path}`, {
        ...fetchOptions(cluster, baseDir),
        headers: { "user-agent": "weir-health-check" },
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        redirect: "manual",
      } as BunRequestInit);
      await response.body?.cancel();
      return response.status;
    },
    async resolve(host) {
      return (await Bun.dns.lookup(host, { family: 0 })).map((a) => a.address);
    },
  };
}
