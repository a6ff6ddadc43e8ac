/**
 * The one interface between the proxy core and each runtime's native HTTP path. A runtime
 * adapter (node:http/http2, Bun.serve, Deno.serve) turns a connection's request into a
 * `DownstreamRequest` and writes the `ProxyResponse` it gets back; an upstream connector
 * (undici on Node, the runtime's fetch elsewhere) sends one attempt to one endpoint.
 */

import type { HeaderMap } from "../../abi/header-map.ts";
import type { AbortLike } from "./abort.ts";

/** A request as the listener received it. */
export interface DownstreamRequest {
  method: string;
  /** Path with query, as sent (origin form). */
  path: string;
  authority: string;
  scheme: "http" | "https";
  protocol: "HTTP/1.0" | "HTTP/1.1" | "HTTP/2";
  /** Regular headers, lower-cased names, in order (no pseudo-headers). */
  headers: HeaderMap;
  /** Original spelling of HTTP/1.1 header names (lower-case → as received), to preserve case toward the app. */
  headerCase?: ReadonlyMap<string, string>;
  /**
   * The body, or null when the request has none. For an `upgrade` request: the bytes the client
   * sends after the switch (the tunnel's client-to-upstream direction).
   */
  body: AsyncIterable<Uint8Array> | null;
  /**
   * Set when the listener can hand the connection over to another protocol: the `Upgrade`
   * header's protocol (`websocket`) of an HTTP/1.1 upgrade request, or `CONNECT` for a CONNECT
   * tunnel. The core forwards it on the upstream request; after a 101 (a 2xx for CONNECT) the
   * response body is the upstream's bytes of the tunnel.
   */
  upgrade?: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  tls?: { version?: string; serverName?: string; peerUriSans?: string[]; peerDnsSans?: string[]; peerSubject?: string };
  /** Aborts when the client goes away (an AbortSignal, or the core's lighter `Abort`). */
  signal: AbortLike;
}

/** What the adapter writes back. The body iterable ends (or is cancelled) when the exchange is over. */
export interface ProxyResponse {
  status: number;
  /** Headers without pseudo-headers. */
  headers: HeaderMap;
  body: AsyncIterable<Uint8Array> | null;
  /** Trailers, once the body ended (HTTP/2 and chunked HTTP/1.1). */
  trailers(): HeaderMap | undefined;
}

/** One attempt to one endpoint. */
export interface UpstreamRequest {
  method: string;
  path: string;
  authority: string;
  /** Headers to send (no pseudo-headers), in order; names as they should go on the wire. */
  headers: [string, string][];
  body: Uint8Array | AsyncIterable<Uint8Array> | null;
  /**
   * The downstream request's `upgrade` (`websocket`, `CONNECT`): the connector sends the
   * upgrade (or opens the tunnel), and after a 101 (2xx for CONNECT) streams `body` into the
   * upgraded connection and the connection's bytes back as the response body.
   */
  upgrade?: string;
  /** Aborts the attempt; the reason is an `UpstreamError` saying why (timeout, the client left). */
  signal: AbortLike;
  /** Per-attempt limits in ms (0 = none). */
  connectTimeoutMs: number;
  headersTimeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: [string, string][];
  body: AsyncIterable<Uint8Array> | null;
  /** Resolves with the trailers after the body (or undefined). */
  trailers(): HeaderMap | undefined;
  /** `address:port` of the endpoint that answered. */
  endpoint: string;
}

/**
 * Why an attempt failed before response headers; each maps to an Envoy response flag:
 * UH no healthy upstream, UF connect failure, UO overflow (circuit breaker), UR remote reset,
 * UC connection terminated, UT timeout, NC no such cluster.
 */
export type UpstreamFailure = "UH" | "UF" | "UO" | "UR" | "UC" | "UT" | "NC";

export class UpstreamError extends Error {
  readonly flag: UpstreamFailure;
  readonly endpoint: string | undefined;
  constructor(flag: UpstreamFailure, message: string, options?: { cause?: unknown; endpoint?: string }) {
    super(message, options);
    this.flag = flag;
    this.endpoint = options?.endpoint;
  }
}
