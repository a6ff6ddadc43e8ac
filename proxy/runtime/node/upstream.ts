/**
 * Upstream attempts on Node through an undici `Pool` per endpoint — the fast native path
 * (node:http + undici measured 0.51× nginx where the fetch-based path was ~4× slower,
 * shared/reference/proxy-hop-baselines.md). undici's errors map to Envoy response flags.
 */

import { Pool } from "undici";
import { HeaderMap } from "../../abi/header-map.ts";
import { UpstreamError, type UpstreamRequest, type UpstreamResponse } from "../../core/http/types.ts";
import { sendUpgrade } from "./websocket.ts";

export interface EndpointClient {
  readonly endpoint: string;
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export interface PoolOptions {
  /** TLS to the upstream (https): CA bundle, SNI, client certificate (PEM text). */
  tls?: { ca?: string; servername?: string; cert?: string; key?: string };
  /** Most connections to this endpoint (default 64). */
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Idle time allowed between body chunks (default 5 min). */
  bodyTimeoutMs?: number;
  /**
   * Speak HTTP/2 to the endpoint: h2c with prior knowledge in cleartext, ALPN `h2` over TLS.
   * Requests are multiplexed, up to the server's SETTINGS_MAX_CONCURRENT_STREAMS per connection.
   */
  http2?: boolean;
}

/** `host` and `port` of `host:port` or `[v6]:port`. */
function splitEndpoint(endpoint: string): { host: string; port: number } {
  const colon = endpoint.lastIndexOf(":");
  const host = endpoint.slice(0, colon);
  return { host: host.startsWith("[") ? host.slice(1, -1) : host, port: Number(endpoint.slice(colon + 1)) };
}

/** Maps an undici/socket error to the Envoy flag for a failure before response headers. */
export function classifyUpstreamError(err: unknown, endpoint: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? "";
  const message = `${endpoint}: ${e?.message ?? String(err)}`;
  if (
    code === "ECONNREFUSED" ||
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "ENOTFOUND" ||
    code === "EHOSTUNREACH" ||
    code === "EAI_AGAIN"
  ) {
    return new UpstreamError("UF", message, { cause: err, endpoint });
  }
  if (code === "UND_ERR_HEADERS_TIMEOUT") return new UpstreamError("UT", message, { cause: err, endpoint });
  if (code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "EPIPE")
    return new UpstreamError("UC", message, { cause: err, endpoint });
  return new UpstreamError("UR", message, { cause: err, endpoint });
}

export function createUndiciClient(endpoint: string, options: PoolOptions = {}): EndpointClient {
  const h2 = options.http2 === true;
  const pool = new Pool(`${options.tls ? "https" : "http"}://${endpoint}`, {
    connect: options.tls
      ? { ca: options.tls.ca, servername: options.tls.servername, cert: options.tls.cert, key: options.tls.key }
      : h2
        ? ({ useH2c: true } as object)
        : undefined,
    connections: options.connections ?? 64,
    // HTTP/1.1: one request at a time per connection; HTTP/2: as many streams as the server allows.
    pipelining: h2 ? undefined : 1,
    allowH2: h2,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    bodyTimeout: options.bodyTimeoutMs ?? 300_000,
    headersTimeout: 0,
  });
  return {
    endpoint,
    async send(request) {
      // Upgrades and CONNECT tunnels take a connection of their own, outside the pool.
      if (request.upgrade !== undefined) return sendUpgrade({ endpoint, ...splitEndpoint(endpoint), tls: options.tls }, request);
      const flat: string[] = [];
      for (const [name, value] of request.headers) flat.push(name, value);
      flat.push("host", request.authority);
      let res: Awaited<ReturnType<Pool["request"]>>;
      try {
        res = await pool.request({
          method: request.method as "GET",
          path: request.path,
          headers: flat,
          body: request.body as Uint8Array | null,
          signal: request.signal,
          headersTimeout: request.headersTimeoutMs || undefined,
        });
      } catch (err) {
        const reason = request.signal.reason;
        if (request.signal.aborted && reason instanceof UpstreamError) throw reason;
        throw classifyUpstreamError(err, endpoint);
      }
      const headers: [string, string][] = [];
      for (const [name, value] of Object.entries(res.headers)) {
        if (Array.isArray(value)) for (const v of value) headers.push([name, v]);
        else if (value !== undefined) headers.push([name, value]);
      }
      const noBody = request.method === "HEAD" || res.statusCode === 204 || res.statusCode === 304;
      if (noBody) res.body.resume();
      return {
        status: res.statusCode,
        headers,
        body: noBody ? null : (res.body as AsyncIterable<Uint8Array>),
        trailers: () => {
          const t = res.trailers as Record<string, string> | undefined;
          return t && Object.keys(t).length > 0 ? new HeaderMap(t) : undefined;
        },
        endpoint,
      };
    },
    close: () => pool.close(),
  };
}
