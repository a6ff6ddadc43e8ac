/**
 * The cluster layer's runtime side on Deno: one `Deno.HttpClient` (hyper's keep-alive pool,
 * with the cluster's upstream TLS) per endpoint behind `fetch`, health-check probes through
 * the same client, and DNS through `Deno.resolveDns`.
 */

import { lookup } from "node:dns/promises";
import { isAbsolute, join } from "node:path";
import type { EndpointConnector } from "../../core/cluster-manager.ts";
import type { ClusterConfig } from "../../core/config/types.ts";
import type { UpstreamFailure } from "../../core/http/types.ts";
import { Deno, type HttpClient } from "./deno-api.ts";
import { createFetchClient, errorText } from "./fetch-client.ts";
import { BUFFER_DECLARED_UP_TO } from "./web-exchange.ts";

/** Deno's fetch decodes gzip and br bodies unless the request asked for `identity` alone (deno#12291; checked on Deno 2.9). */
export function denoDecoded(acceptEncoding: string | null, contentEncoding: string): boolean {
  const encoding = contentEncoding.trim().toLowerCase();
  return acceptEncoding?.trim().toLowerCase() !== "identity" && (encoding === "gzip" || encoding === "br");
}

/**
 * Deno's fetch errors carry no code, only hyper's text in the cause: "client error (Connect)"
 * covers refused connections, DNS failures and TLS handshakes (Envoy's UF); a connection that
 * closed before the response is UC; anything else (a malformed response) is a reset.
 */
export function classifyDenoError(err: unknown): UpstreamFailure {
  const text = errorText(err);
  if (/client error \(Connect\)|Connection refused|dns error|tcp connect error/i.test(text)) return "UF";
  if (/connection closed before message completed|connection reset|broken pipe/i.test(text)) return "UC";
  return "UR";
}

function httpClient(cluster: ClusterConfig, baseDir: string): HttpClient {
  const tls = cluster.tls;
  const read = (path: string | null) => (path === null ? undefined : Deno.readTextFileSync(isAbsolute(path) ? path : join(baseDir, path)));
  const http2 = cluster.protocol === "http2";
  return Deno.createHttpClient({
    allowHost: true,
    http1: !http2,
    http2,
    poolIdleTimeout: cluster.timeouts.idle || false,
    ...(tls ? { caCerts: tls.ca === null ? undefined : [read(tls.ca) as string], cert: read(tls.cert), key: read(tls.key) } : {}),
  });
}

function hostPort(address: string, port: number): string {
  return `${address.includes(":") ? `[${address}]` : address}:${port}`;
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

/** `baseDir`: where relative certificate paths in the config are resolved (the config file's folder). */
export function createDenoConnector(baseDir: string): EndpointConnector {
  return {
    client(cluster, address, port) {
      const client = httpClient(cluster, baseDir);
      return createFetchClient(hostPort(address, port), {
        scheme: cluster.tls ? "https" : "http",
        init: { client },
        classify: classifyDenoError,
        decoded: denoDecoded,
        acceptEncoding: "identity",
        bufferBodiesUpTo: 256 * 1024,
        bufferResponsesUpTo: BUFFER_DECLARED_UP_TO,
        close: () => client.close(),
      });
    },
    async probe(cluster, address, port, path, timeoutMs, signal) {
      const client = httpClient(cluster, baseDir);
      try {
        const response = await fetch(`${cluster.tls ? "https" : "http"}://${hostPort(address, port)}${path}`, {
          client,
          headers: { "user-agent": "weir-health-check", "accept-encoding": "identity" },
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          redirect: "manual",
        } as RequestInit);
        await response.body?.cancel();
        return response.status;
      } finally {
        client.close();
      }
    },
    async resolve(host) {
      if (IP.test(host)) return [host];
      const answers = await Promise.allSettled([Deno.resolveDns(host, "A"), Deno.resolveDns(host, "AAAA")]);
      const addresses = answers.flatMap((a) => (a.status === "fulfilled" ? a.value : []));
      if (addresses.length > 0) return addresses;
      // resolveDns asks the DNS server only; names from /etc/hosts (localhost, test setups) need getaddrinfo.
      return (await lookup(host, { all: true })).map((a) => a.address);
    },
  };
}
