/**
 * One request through the proxy: downstream request → filter chain → route → cluster →
 * upstream attempt(s) → filter chain → response. Host-side retries and timeouts follow the
 * route's policy (Envoy's router: jittered backoff, the route timeout covering all attempts,
 * a per-try timeout, idempotent methods only by default); every locally generated outcome
 * carries a response flag (UH, UF, UO, UT, URX, NR, NC, DC, …) for the access log and the
 * `x-weir-response-flags` response header.
 */

import type { Filter } from "../../abi/filter.ts";
import { HeaderMap } from "../../abi/header-map.ts";
import type { PropertyValue } from "../../abi/properties.ts";
import type { LocalReply, StreamInfo } from "../../abi/types.ts";
import { concatChunks } from "../bytes.ts";
import { type ChainSink, FilterChain } from "../filter-chain.ts";
import { Abort } from "./abort.ts";
import { BodyChannel, type BodySink } from "./body-channel.ts";
import { type RequestLimits, rejectRequest, validateRequest } from "./request-limits.ts";
import type { RetryPolicy, RouteDecision, RoutePolicy, Router, Upstreams } from "./routing-types.ts";
import { type DownstreamRequest, type ProxyResponse, UpstreamError, type UpstreamResponse } from "./types.ts";

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
/** Hop-by-hop headers never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
]);
export const FLAGS_HEADER = "x-weir-response-flags";
/** The retry filter's attempt header (filters/retry), updated by weir on every attempt. */
const ATTEMPT_HEADER = "x-weir-attempt";
/** A per-try timeout a filter asks for, in ms (never forwarded upstream). */
const PER_TRY_HEADER = "x-weir-per-try-timeout-ms";
/** Attempts a filter may drive with weir.retry (the first included). */
const MAX_FILTER_ATTEMPTS = 5;
/** Backoff for filter-driven retries on routes without a retry policy (Envoy's 25 ms / 250 ms). */
const DEFAULT_FILTER_RETRY: RetryPolicy = {
  retryOn: new Set(),
  numRetries: 0,
  retriableStatusCodes: [],
  idempotentOnly: true,
  backoffBaseMs: 25,
  backoffMaxMs: 250,
};

/** What a finished request reports (the access log and stats read it). */
export interface ExchangeRecord {
  startTime: number;
  durationMs: number;
  request: DownstreamRequest;
  requestHeaders: HeaderMap;
  status: number;
  flags: string[];
  route: string | undefined;
  cluster: string | undefined;
  upstreamHost: string | undefined;
  attempts: number;
  bytesReceived: number;
  bytesSent: number;
  details: string | undefined;
}

export interface ProxyStreamDeps {
  /** The listener's chain for this request (per-route overrides applied), from its first route lookup. */
  filters: readonly Filter[] | ((headers: HeaderMap) => readonly Filter[]);
  router: Router;
  upstreams: Upstreams;
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
  /** Request body bytes kept for replaying a retry (default 1 MiB, Envoy's per-request buffer limit). */
  retainBodyBytes?: number;
  connectTimeoutMs?: number;
  /** Bad input (request-limits.ts): header count/size, URI length; `maxBufferedBody` defaults to `retainBodyBytes`. */
  limits?: Partial<RequestLimits>;
  onComplete?(record: ExchangeRecord): void;
}

/** Handles one request; resolves with the response to write, rejects when the stream must be reset. */
export function handleRequest(req: DownstreamRequest, deps: ProxyStreamDeps): Promise<ProxyResponse> {
  // Bad input: refused (4xx, DPE) before any filter runs — see request-limits.ts.
  const rejection = validateRequest(req, deps.limits);
  if (rejection !== undefined) return Promise.resolve(rejectRequest(req, rejection, deps));
  return new ProxyStream(req, deps).start();
}

/**
 * One exchange. It is the filter chain's sink (what passes the filters) and the upstream
 * response body's (BodySink), and what filters read about it (StreamInfo): one object per
 * request instead of literals of callbacks.
 */
class ProxyStream implements ChainSink, BodySink, StreamInfo {
  #req: DownstreamRequest;
  #deps: ProxyStreamDeps;
  #chain: FilterChain;
  #headers: HeaderMap;
  #start: number;
  #flags = new Set<string>();
  #resolve!: (r: ProxyResponse) => void;
  #reject!: (e: Error) => void;
  #responded = false;
  #out: BodyChannel | undefined;
  #trailers: HeaderMap | undefined;
  #status = 0;
  #details: string | undefined;
  #routeName: string | undefined;
  #cluster: string | undefined;
  #clusterOverride: string | undefined;
  #upstreamHost: string | undefined;
  #attempts = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #done = false;
  /** The request body as it passes the filters, toward the first attempt. */
  #upBody: BodyChannel | undefined;
  #retained: Uint8Array[] | undefined = [];
  #retainedBytes = 0;
  #requestEnded = false;
  #requestEndWaiters: (() => void)[] = [];
  #attempt: Abort | undefined;
  /** A filter asked for another attempt while the response headers were in the chain. */
  #filterRetry: { delayMs: number | undefined; release: () => void } | undefined;
  #routeTimer: unknown;
  #timedOut = false;
  // Bad input — the buffered-body limit (413): request bytes fed to the filters since the last
  // bytes came out of them toward the upstream, i.e. what a filter (or a held header section) buffers.
  #heldBytes = 0;
  #tooLarge = false;
  /** The upstream response whose body is being delivered, and the end of that delivery. */
  #upstreamResponse: UpstreamResponse | undefined;
  #upstreamBody: BodyChannel | undefined;
  #delivered: ((retry: boolean) => void) | undefined;

  constructor(req: DownstreamRequest, deps: ProxyStreamDeps) {
    this.#req = req;
    this.#deps = deps;
    this.#start = deps.now();
    const headers = new HeaderMap([
      [":method", req.method],
      [":path", req.path],
      [":authority", req.authority],
      [":scheme", req.scheme],
    ]);
    for (let i = 0; i < req.headers.size; i++) {
      const name = req.headers.nameAt(i);
      if (name !== "host") headers.add(name, req.headers.valueAt(i));
    }
    if (!headers.has("x-request-id")) headers.add("x-request-id", crypto.randomUUID());
    this.#headers = headers;
    // A tunnel's bytes are never replayed: keep none of them for retries.
    if (req.upgrade !== undefined) this.#retained = undefined;
    const filters = typeof deps.filters === "function" ? deps.filters(headers) : deps.filters;
    this.#chain = new FilterChain(filters, this, this);
  }

  start(): Promise<ProxyResponse> {
    const promise = new Promise<ProxyResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#req.signal.addEventListener("abort", () => this.#downstreamGone(), { once: true });
    const body = this.#req.body;
    this.#chain.requestHeaders(this.#headers, body === null);
    if (body === null) this.#requestDone();
    else void this.#pumpRequest(body);
    return promise;
  }

  // ---- request side ---------------------------------------------------------------------

  async #pumpRequest(body: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      let discarded = 0;
      for await (const chunk of body) {
        // Bad input (413 sent): discard what still comes while the reply goes out, at most another limit's worth.
        if (this.#tooLarge && (discarded += chunk.byteLength) <= this.#bodyLimit()) continue;
        if (this.#done || this.#chain.finished || this.#tooLarge) return;
        this.#bytesIn += chunk.byteLength;
        this.#heldBytes += chunk.byteLength;
        this.#chain.requestData(chunk, false);
        if (this.#heldBytes > this.#bodyLimit()) this.#bodyTooLarge();
        if (this.#upBody) await this.#upBody.ready();
      }
      if (!this.#done && !this.#chain.finished) this.#chain.requestData(EMPTY, true);
    } catch {
      this.#downstreamGone();
    }
  }

  #requestDone(): void {
    this.#requestEnded = true;
    for (const wake of this.#requestEndWaiters.splice(0)) wake();
  }

  // ---- what passes the filter chain (ChainSink) --------------------------------------------

  requestHeaders(headers: HeaderMap, end: boolean): void {
    this.#route(headers, end);
  }

  requestData(chunk: Uint8Array, end: boolean): void {
    this.#heldBytes = 0; // bad input: the filters let body through, nothing is held back
    if (chunk.byteLength > 0 && this.#retained !== undefined) {
      this.#retainedBytes += chunk.byteLength;
      if (this.#retainedBytes > (this.#deps.retainBodyBytes ?? 1024 * 1024)) this.#retained = undefined;
      else this.#retained.push(chunk);
    }
    this.#upBody?.push(chunk);
    if (end) {
      this.#upBody?.end();
      this.#requestDone();
    }
  }

  requestTrailers(): void {
    this.#upBody?.end();
    this.#requestDone();
  }

  responseHeaders(headers: HeaderMap, end: boolean): void {
    this.#respond(headers, end);
  }

  responseData(chunk: Uint8Array, end: boolean): void {
    this.#bytesOut += chunk.byteLength;
    this.#out?.push(chunk, end);
  }

  responseTrailers(trailers: HeaderMap): void {
    this.#trailers = trailers;
    this.#out?.end();
  }

  reset(details: string): void {
    this.#reset(details);
  }

  localReply(reply: LocalReply): void {
    this.#filterReplied(reply);
  }

  setUpstreamCluster(cluster: string): void {
    this.#clusterOverride = cluster;
  }

  requestRetry(delayMs: number | undefined): boolean {
    return this.#acceptFilterRetry(delayMs);
  }

  #route(headers: HeaderMap, end: boolean): void {
    if (this.#tooLarge) return; // bad input: a 413 already answered while a filter held the headers
    const decision: RouteDecision = this.#deps.router.route(headers, this.#clusterOverride);
    if (decision.kind === "none") {
      this.#localError(404, "NR", "route_not_found", "no route matched the request\n");
      return;
    }
    if (decision.kind === "direct") {
      this.#routeName = decision.name;
      this.#routerReply(decision.status, decision.body, decision.headers ?? [], "direct_response");
      return;
    }
    if (decision.kind === "redirect") {
      this.#routeName = decision.name;
      this.#routerReply(decision.status, "", [["location", decision.location]], "redirect");
      return;
    }
    const route = decision.route;
    this.#routeName = route.name;
    this.#cluster = route.cluster;
    if (!this.#deps.upstreams.has(route.cluster)) {
      this.#localError(503, "NC", "cluster_not_found", `no cluster named "${route.cluster}"\n`);
      return;
    }
    route.rewrite?.(headers);
    if (!end) this.#upBody = new BodyChannel();
    if (route.timeoutMs > 0) {
      this.#routeTimer = this.#deps.setTimeout(() => {
        this.#timedOut = true;
        this.#attempt?.abort(new UpstreamError("UT", "route timeout"));
      }, route.timeoutMs);
    }
    void this.#forward(route, headers);
  }

  #upstreamHeaders(headers: HeaderMap): [string, string][] {
    const out: [string, string][] = [];
    const casing = this.#req.headerCase;
    for (let i = 0; i < headers.size; i++) {
      const name = headers.nameAt(i);
      if (name.charCodeAt(0) === 58 /* : */ || HOP_BY_HOP.has(name)) continue;
      out.push([casing?.get(name) ?? name, headers.valueAt(i)]);
    }
    const xff = headers.get("x-forwarded-for");
    if (xff === undefined) out.push(["x-forwarded-for", this.#req.remoteAddress]);
    if (!headers.has("x-forwarded-proto")) out.push(["x-forwarded-proto", this.#req.scheme]);
    return out;
  }

  async #forward(route: RoutePolicy, headers: HeaderMap): Promise<void> {
    const upstreams = this.#deps.upstreams;
    const method = headers.get(":method") ?? "GET";
    const retry = route.retry;
    const canRetry = retry !== undefined && (!retry.idempotentOnly || IDEMPOTENT.has(method));
    const hashKey = route.hashKey?.(headers);
    // A filter may ask for a shorter per-try timeout (the retry filter's perTryTimeoutMs).
    const asked = Number(headers.get(PER_TRY_HEADER));
    headers.delete(PER_TRY_HEADER);
    const perTryMs =
      asked > 0 && asked <= 3_600_000 && Number.isInteger(asked) ? Math.min(asked, route.perTryTimeoutMs || asked) : route.perTryTimeoutMs;
    for (;;) {
      this.#attempts++;
      // weir.attempt, and the attempt header the retry filter set, follow every attempt.
      for (const stream of this.#chain.streams) stream.attempt = this.#attempts;
      if (this.#attempts > 1 && headers.has(ATTEMPT_HEADER)) headers.set(ATTEMPT_HEADER, String(this.#attempts));
      const controller = new Abort();
      this.#attempt = controller;
      let perTry: unknown;
      if (perTryMs > 0) perTry = this.#deps.setTimeout(() => controller.abort(new UpstreamError("UT", "per-try timeout")), perTryMs);
      const first = this.#attempts === 1;
      let body: Uint8Array | AsyncIterable<Uint8Array> | null = null;
      if (!this.#requestEnded || this.#upBody !== undefined) {
        if (first) body = this.#upBody ?? null;
        else body = concatChunks(this.#retained ?? []);
      }
      let response: UpstreamResponse | undefined;
      let failure: UpstreamError | undefined;
      try {
        response = await upstreams.send(
          route.cluster,
          {
            method,
            path: headers.get(":path") ?? "/",
            authority: headers.get(":authority") ?? this.#req.authority,
            headers: this.#upstreamHeaders(headers),
            body,
            upgrade: this.#req.upgrade,
            signal: controller.signal,
            connectTimeoutMs: this.#deps.connectTimeoutMs ?? 5000,
            headersTimeoutMs: 0,
          },
          hashKey,
        );
      } catch (err) {
        failure = err instanceof UpstreamError ? err : new UpstreamError("UR", (err as Error)?.message ?? String(err), { cause: err });
        if (controller.signal.aborted && controller.signal.reason instanceof UpstreamError) failure = controller.signal.reason;
      } finally {
        if (perTry !== undefined) this.#deps.clearTimeout(perTry);
      }
      if (this.#done || this.#chain.finished || this.#tooLarge) {
        drain(response);
        return;
      }
      if (this.#timedOut) {
        drain(response);
        this.#localError(504, "UT", "upstream_response_timeout", "upstream request timeout\n");
        return;
      }
      const retryable =
        canRetry && this.#attempts <= (retry as RetryPolicy).numRetries && this.#shouldRetry(retry as RetryPolicy, response, failure);
      if (retryable && (this.#requestEnded ? this.#retained !== undefined : false)) {
        const release = upstreams.acquireRetry ? upstreams.acquireRetry(route.cluster) : () => {};
        if (release !== undefined) {
          drain(response);
          await this.#backoff(retry as RetryPolicy);
          release();
          if (this.#done || this.#chain.finished || this.#timedOut) {
            if (this.#timedOut && !this.#done) this.#localError(504, "UT", "upstream_response_timeout", "upstream request timeout\n");
            return;
          }
          continue;
        }
        this.#flags.add("URX");
      } else if (retryable) {
        // A retry was called for but the body could not be replayed.
        this.#flags.add("URX");
      }
      if (failure !== undefined) {
        if (canRetry && this.#attempts > 1) this.#flags.add("URX");
        // The failure reply goes through the filters; one may still ask for another attempt.
        this.#upstreamFailed(failure);
        if (this.#filterRetry !== undefined && !this.#responded) {
          this.#flags.delete(failure.flag);
          if (await this.#awaitFilterRetry(retry)) continue;
        }
        return;
      }
      if (canRetry && this.#attempts > (retry as RetryPolicy).numRetries && this.#shouldRetry(retry as RetryPolicy, response, undefined))
        this.#flags.add("URX");
      const retryRequested = await this.#deliver(response as UpstreamResponse);
      if (!retryRequested || !(await this.#awaitFilterRetry(retry))) return;
    }
  }

  /** A filter (weir.retry) asked for another attempt: drop this response, wait, and say whether to go on. */
  async #awaitFilterRetry(policy: RetryPolicy | undefined): Promise<boolean> {
    const filterRetry = this.#filterRetry as { delayMs: number | undefined; release: () => void };
    this.#filterRetry = undefined;
    this.#chain.retryResponse(this.#attempts + 1);
    if (filterRetry.delayMs === undefined) await this.#backoff(policy ?? DEFAULT_FILTER_RETRY);
    else await this.#sleepAfterRequest(filterRetry.delayMs);
    filterRetry.release();
    if (this.#done || this.#chain.finished || this.#timedOut) {
      if (this.#timedOut && !this.#done) this.#localError(504, "UT", "upstream_response_timeout", "upstream request timeout\n");
      return false;
    }
    return true;
  }

  #shouldRetry(policy: RetryPolicy, response: UpstreamResponse | undefined, failure: UpstreamError | undefined): boolean {
    const on = policy.retryOn;
    if (failure !== undefined) {
      if (failure.flag === "UF" || failure.flag === "UH") return on.has("connect-failure") || on.has("5xx") || on.has("gateway-error");
      if (failure.flag === "UR" || failure.flag === "UC") return on.has("reset") || on.has("5xx");
      if (failure.flag === "UT") return on.has("5xx") || on.has("gateway-error");
      return false;
    }
    const status = response?.status ?? 0;
    if (status >= 500 && on.has("5xx")) return true;
    if ((status === 502 || status === 503 || status === 504) && on.has("gateway-error")) return true;
    return on.has("retriable-status-codes") && policy.retriableStatusCodes.includes(status);
  }

  /** Envoy's jittered backoff: random in [0, min(max, base·2^(n-1))). */
  #backoff(policy: RetryPolicy): Promise<void> {
    const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (this.#attempts - 1));
    return this.#sleepAfterRequest(Math.floor(this.#deps.random() * ceiling));
  }

  /** Waits `delay` ms, counted from the end of the request: a retry resends the whole body. */
  #sleepAfterRequest(delay: number): Promise<void> {
    if (!this.#requestEnded) {
      return new Promise((resolve) => this.#requestEndWaiters.push(() => this.#deps.setTimeout(resolve, delay)));
    }
    return new Promise((resolve) => this.#deps.setTimeout(resolve, delay));
  }

  #upstreamFailed(failure: UpstreamError): void {
    this.#upstreamHost = failure.endpoint ?? this.#upstreamHost;
    switch (failure.flag) {
      case "UT": {
        this.#localError(504, "UT", "upstream_response_timeout", "upstream request timeout\n");
        return;
      }
      case "UH": {
        this.#localError(503, "UH", "no_healthy_upstream", "no healthy upstream\n");
        return;
      }
      case "UO": {
        this.#localError(503, "UO", "upstream_overflow", "upstream overflow (circuit breaker open)\n");
        return;
      }
      case "NC": {
        this.#localError(503, "NC", "cluster_not_found", "no such cluster\n");
        return;
      }
      case "UF": {
        this.#localError(
          503,
          "UF",
          "upstream_reset_before_response_started{connection_failure}",
          "upstream connect error or disconnect/reset before headers\n",
        );
        return;
      }
      default: {
        this.#localError(
          503,
          failure.flag,
          "upstream_reset_before_response_started",
          "upstream connect error or disconnect/reset before headers\n",
        );
        return;
      }
    }
  }

  /** Hands the response to the filters; resolves true when a filter asked for a retry instead. */
  #deliver(response: UpstreamResponse): Promise<boolean> | boolean {
    this.#upstreamHost = response.endpoint;
    this.#upstreamResponse = response;
    const headers = new HeaderMap();
    headers.add(":status", String(response.status));
    for (const [name, value] of response.headers) {
      const lower = name.toLowerCase();
      if (!HOP_BY_HOP.has(lower)) headers.add(lower, value);
    }
    const body = response.body;
    this.#chain.responseHeaders(headers, body === null);
    if (this.#filterRetry !== undefined && !this.#responded) {
      drain(response);
      return true;
    }
    this.#clearRouteTimer();
    if (body === null) {
      this.#attempt = undefined; // complete: nothing left to abort
      return false;
    }
    const channel = BodyChannel.from(body);
    this.#upstreamBody = channel;
    return new Promise<boolean>((resolve) => {
      this.#delivered = resolve;
      channel.subscribe(this);
    });
  }

  // ---- the upstream response body, taken by callbacks (BodySink) ------------------------

  /** A chunk of the upstream response body; `end` when it is the last. */
  data(chunk: Uint8Array, end: boolean): void {
    if (this.#done || (this.#chain.finished && !this.#responded)) {
      this.#upstreamBody?.cancel();
      this.#bodyDelivered();
      return;
    }
    if (end) {
      // The last chunk and the end in one pass through the filters (one on_response_body each).
      const trailers = this.#upstreamResponse?.trailers();
      if (trailers === undefined || trailers.size === 0) {
        this.#attempt = undefined;
        this.#chain.responseData(chunk, true);
        this.#bodyDelivered();
        return;
      }
    }
    this.#chain.responseData(chunk, false);
    if (end) {
      this.end();
      return;
    }
    if (this.#done) {
      this.#upstreamBody?.cancel();
      this.#bodyDelivered();
      return;
    }
    // The client is behind: hold the upstream until it catches up.
    const out = this.#out;
    if (out?.full) {
      this.#upstreamBody?.pause();
      out.onDrain ??= () => this.#upstreamBody?.resume();
    }
  }

  /** The upstream response body ended. */
  end(): void {
    // The attempt is complete: nothing left to abort (creating the abort reason costs a stack trace).
    this.#attempt = undefined;
    const trailers = this.#upstreamResponse?.trailers();
    if (!this.#done) {
      if (trailers !== undefined && trailers.size > 0) this.#chain.responseTrailers(trailers);
      else this.#chain.responseData(EMPTY, true);
    }
    this.#bodyDelivered();
  }

  /** The upstream reset mid-body: the client cannot get a whole response any more. */
  error(err: unknown): void {
    if (!this.#done) {
      this.#flags.add("UR");
      this.#reset(`upstream reset mid-response: ${(err as Error)?.message ?? err}`);
    }
    this.#bodyDelivered();
  }

  #bodyDelivered(): void {
    const resolve = this.#delivered;
    this.#delivered = undefined;
    this.#upstreamBody = undefined;
    resolve?.(false);
  }

  /**
   * `weir.retry` from a filter's response callback: accepted while the response has not left,
   * the request body can be replayed, attempts remain and the cluster's retry budget allows.
   */
  #acceptFilterRetry(delayMs: number | undefined): boolean {
    if (this.#responded || this.#done || this.#cluster === undefined || this.#filterRetry !== undefined) return false;
    // The whole body must be in hand to replay it (it could still outgrow the retention limit).
    if (this.#retained === undefined || !this.#requestEnded || this.#attempts >= MAX_FILTER_ATTEMPTS) {
      this.#flags.add("URX");
      return false;
    }
    const release = this.#deps.upstreams.acquireRetry
      ? this.#deps.upstreams.acquireRetry(this.#clusterOverride ?? this.#cluster)
      : () => {};
    if (release === undefined) {
      this.#flags.add("URX");
      return false;
    }
    this.#filterRetry = { delayMs, release };
    return true;
  }

  // ---- response side --------------------------------------------------------------------

  #respond(headers: HeaderMap, end: boolean): void {
    if (this.#responded) return;
    this.#responded = true;
    this.#status = Number(headers.get(":status") ?? 502);
    const out = new HeaderMap();
    for (let i = 0; i < headers.size; i++) {
      const name = headers.nameAt(i);
      if (name.charCodeAt(0) !== 58) out.add(name, headers.valueAt(i));
    }
    if (this.#flags.size > 0) out.set(FLAGS_HEADER, [...this.#flags].join(","));
    if (end) {
      this.#resolve({ status: this.#status, headers: out, body: null, trailers: () => undefined });
      this.#finish(false);
      return;
    }
    const channel = new BodyChannel();
    this.#out = channel;
    channel.onFinish = (cancelled) => this.#finish(cancelled);
    this.#resolve({ status: this.#status, headers: out, body: channel, trailers: () => this.#trailers });
  }

  /** A reply the router makes (direct response, redirect, upstream failure): through every response filter. */
  #routerReply(status: number, body: string, extra: [string, string][], details: string): void {
    this.#details = details;
    const bytes = enc.encode(body);
    const headers = new HeaderMap([[":status", String(status)], ...extra]);
    // Filters see why weir answered (the retry filter reads UF/UT/UC here).
    if (this.#flags.size > 0) headers.set(FLAGS_HEADER, [...this.#flags].join(","));
    if (bytes.byteLength > 0 && !headers.has("content-type")) headers.set("content-type", "text/plain");
    headers.set("content-length", String(bytes.byteLength));
    this.#chain.responseHeaders(headers, bytes.byteLength === 0);
    // A filter may retry weir's own failure reply: the route timeout still bounds the attempts.
    if (this.#filterRetry !== undefined && !this.#responded) return;
    this.#clearRouteTimer();
    if (bytes.byteLength > 0) this.#chain.responseData(bytes, true);
  }

  #localError(status: number, flag: string, details: string, body: string): void {
    this.#flags.add(flag);
    this.#routerReply(status, body, [], details);
  }

  #filterReplied(reply: LocalReply): void {
    this.#details = reply.details;
    if (reply.details === "wasm_fail_stream") this.#flags.add("WF");
    this.#clearRouteTimer();
    this.#attempt?.abort(new UpstreamError("UC", "a filter answered the request"));
    this.#upBody?.end();
  }

  // ---- bad input: the buffered-body limit ------------------------------------------------

  #bodyLimit(): number {
    return this.#deps.limits?.maxBufferedBody ?? this.#deps.retainBodyBytes ?? 1024 * 1024;
  }

  /** A filter buffered more than the listener allows: 413 (Envoy's buffer limit), or a reset once the response began. */
  #bodyTooLarge(): void {
    this.#tooLarge = true;
    const details = "request_payload_too_large";
    this.#attempt?.abort(new UpstreamError("UC", details));
    this.#upBody?.error(new Error(details)); // never let the upstream see a truncated body as complete
    if (this.#responded) {
      this.#reset(details);
      return;
    }
    this.#flags.add("DPE");
    const close: [string, string][] = this.#req.protocol === "HTTP/2" ? [] : [["connection", "close"]];
    this.#routerReply(
      413,
      `Payload Too Large: a filter buffered more than ${this.#bodyLimit()} bytes of the request body\n`,
      close,
      details,
    );
  }

  #reset(details: string): void {
    this.#details = details;
    this.#clearRouteTimer();
    this.#attempt?.abort(new UpstreamError("UC", details));
    if (!this.#responded) {
      this.#responded = true;
      this.#reject(new Error(`stream reset: ${details}`));
      this.#finish(false);
    } else this.#out?.error(new Error(`stream reset: ${details}`));
  }

  #downstreamGone(): void {
    if (this.#done) return;
    this.#flags.add("DC");
    this.#attempt?.abort(new UpstreamError("UC", "the client went away"));
    this.#out?.error(new Error("downstream disconnected"));
    if (!this.#responded) {
      this.#responded = true;
      this.#reject(new Error("downstream disconnected"));
    }
    this.#finish(true);
  }

  #clearRouteTimer(): void {
    if (this.#routeTimer !== undefined) this.#deps.clearTimeout(this.#routeTimer);
    this.#routeTimer = undefined;
  }

  #finish(cancelled: boolean): void {
    if (this.#done) return;
    this.#done = true;
    if (cancelled) this.#flags.add("DC");
    this.#clearRouteTimer();
    // A retry waiting for the request's end must not wait forever (it sees #done and stops).
    for (const wake of this.#requestEndWaiters.splice(0)) wake();
    this.#attempt?.abort(new UpstreamError("UC", "the exchange ended"));
    this.#chain.complete();
    this.#deps.onComplete?.({
      startTime: this.#start,
      durationMs: this.#deps.now() - this.#start,
      request: this.#req,
      requestHeaders: this.#headers,
      status: this.#status,
      flags: [...this.#flags],
      route: this.#routeName,
      cluster: this.#clusterOverride ?? this.#cluster,
      upstreamHost: this.#upstreamHost,
      attempts: this.#attempts,
      bytesReceived: this.#bytesIn,
      bytesSent: this.#bytesOut,
      details: this.#details,
    });
  }

  /** Properties the filters read about this stream (Envoy attribute names): the filters' StreamInfo. */
  property(path: readonly string[]): PropertyValue | undefined {
    const req = this.#req;
    switch (path.join(".")) {
      case "source.address":
        return `${req.remoteAddress}:${req.remotePort}`;
      case "source.port":
        return req.remotePort;
      case "destination.address":
        return `${req.localAddress}:${req.localPort}`;
      case "destination.port":
        return req.localPort;
      case "request.protocol":
        return req.protocol;
      case "request.time":
        return new Date(this.#start);
      case "request.size":
        return this.#bytesIn;
      case "connection.mtls":
        return (req.tls?.peerUriSans?.length ?? 0) > 0 || req.tls?.peerSubject !== undefined;
      case "connection.tls_version":
        return req.tls?.version;
      case "connection.requested_server_name":
        return req.tls?.serverName;
      case "connection.uri_san_peer_certificate":
        return req.tls?.peerUriSans?.[0];
      case "connection.dns_san_peer_certificate":
        return req.tls?.peerDnsSans?.[0];
      case "connection.subject_peer_certificate":
        return req.tls?.peerSubject;
      case "upstream.address":
        return this.#upstreamHost;
      case "xds.route_name":
        return this.#routeName;
      case "xds.cluster_name":
        return this.#clusterOverride ?? this.#cluster;
      case "response.code":
        return this.#status || undefined;
      case "response.flags":
        return [...this.#flags].join(",");
      default:
        return undefined;
    }
  }
}

function drain(response: UpstreamResponse | undefined): void {
  const body = response?.body;
  if (body === null || body === undefined) return;
  if (body instanceof BodyChannel) body.cancel();
  else void body[Symbol.asyncIterator]().return?.();
}
