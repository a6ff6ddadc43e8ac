/**
 * Upstream attempts on Node through an undici `Pool` per endpoint — the fast native path
 * (node:http + undici measured 0.51× nginx where the fetch-based path was ~4× slower,
 * shared/reference/proxy-hop-baselines.md). undici's errors map to Envoy response flags.
 */

import { Pool } from "undici";
import { HeaderMap } from "../../abi/header-map.ts";
import { BodyChannel } from "../../core/http/body-channel.ts";
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

/**
 * One attempt as an undici dispatch handler: undici's lowest-level API, with no stream or
 * promise per chunk (`pool.request` builds a Readable per response; iterating it cost several
 * µs per request in the proxy benchmark's profile). The response is announced at its headers,
 * its body is pushed into a `BodyChannel` as undici parses it, and a consumer that falls behind
 * pauses the connection through undici's `resume`.
 */
class Attempt {
  readonly #endpoint: string;
  readonly #request: UpstreamRequest;
  readonly #resolve: (response: UpstreamResponse) => void;
  readonly #reject: (err: UpstreamError) => void;
  #abort: ((reason: Error) => void) | undefined;
  #settled = false;
  #body: BodyChannel | undefined;
  #trailers: HeaderMap | undefined;
  /** Body bytes still to come by the response's Content-Length (-1: not declared). */
  #remaining = -1;
  readonly #onAbort = () => this.#cancel(this.#request.signal.reason);

  constructor(
    endpoint: string,
    request: UpstreamRequest,
    resolve: (response: UpstreamResponse) => void,
    reject: (err: UpstreamError) => void,
  ) {
    this.#endpoint = endpoint;
    this.#request = request;
    this.#resolve = resolve;
    this.#reject = reject;
    request.signal.addEventListener("abort", this.#onAbort);
  }

  /** The request was aborted (a timeout, the client leaving, a filter answering). */
  #cancel(reason: unknown): void {
    const error = reason instanceof UpstreamError ? reason : new UpstreamError("UC", "the request was cancelled", { cause: reason });
    if (!this.#settled) this.#fail(error); // a queued request fails now, not when a connection frees up
    this.#body?.error(error);
    this.#abort?.(error);
  }

  #fail(err: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#request.signal.removeEventListener("abort", this.#onAbort);
    this.#reject(classifyUpstreamError(err, this.#endpoint));
  }

  onConnect(abort: (reason: Error) => void): void {
    this.#abort = abort;
    const signal = this.#request.signal;
    if (signal.aborted) abort(signal.reason instanceof Error ? signal.reason : new UpstreamError("UC", "the request was cancelled"));
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200) return true; // 1xx informational: the final response follows
    const headers: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toString("latin1");
      const value = raw[i + 1].toString("latin1");
      if (name.length === 14 && name.toLowerCase() === "content-length") this.#remaining = Number(value);
      headers.push([name, value]);
    }
    const method = this.#request.method;
    let body: BodyChannel | null = null;
    if (method !== "HEAD" && status !== 204 && status !== 304) {
      body = new BodyChannel();
      body.onDrain = resume;
      // The consumer stopped early (a filter answered, the client left): the connection cannot be reused mid-body.
      body.onFinish = (cancelled) => {
        if (cancelled) this.#abort?.(new UpstreamError("UC", "the response body was not wanted"));
      };
      this.#body = body;
    }
    this.#settled = true;
    this.#resolve({ status, headers, body, trailers: () => this.#trailers, endpoint: this.#endpoint });
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#body === undefined) return true;
    // The chunk that completes a declared length goes with the end: the filters and the client
    // take both at once, instead of the chunk and then an empty end.
    if (this.#remaining > 0 && (this.#remaining -= chunk.byteLength) === 0) return this.#body.push(chunk, true);
    return this.#body.push(chunk);
  }

  onComplete(raw: string[] | Buffer[] | null): void {
    this.#request.signal.removeEventListener("abort", this.#onAbort);
    if (raw !== null && raw.length > 0) {
      const trailers = new HeaderMap();
      for (let i = 0; i < raw.length; i += 2) trailers.add(String(raw[i]), String(raw[i + 1]));
      this.#trailers = trailers;
    }
    this.#body?.end();
  }

  onError(err: Error): void {
    this.#request.signal.removeEventListener("abort", this.#onAbort);
    if (!this.#settled) this.#fail(err);
    else this.#body?.error(err);
  }

  onUpgrade(): void {
    // Upgrades never come through here (sendUpgrade takes a connection of its own).
  }
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
    send(request) {
      // Upgrades and CONNECT tunnels take a connection of their own, outside the pool.
      if (request.upgrade !== undefined) return sendUpgrade({ endpoint, ...splitEndpoint(endpoint), tls: options.tls }, request);
      const reason = request.signal.reason;
      if (request.signal.aborted) return Promise.reject(classifyUpstreamError(reason, endpoint));
      const flat: string[] = [];
      for (const [name, value] of request.headers) flat.push(name, value);
      flat.push("host", request.authority);
      return new Promise((resolve, reject) => {
        pool.dispatch(
          {
            method: request.method as "GET",
            path: request.path,
            headers: flat,
            body: request.body as Uint8Array | null,
            headersTimeout: request.headersTimeoutMs || undefined,
          },
          new Attempt(endpoint, request, resolve, reject),
        );
      });
    },
    close: () => pool.close(),
  };
}
