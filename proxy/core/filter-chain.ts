/**
 * The filter chain: an Envoy-style filter manager that runs one request through an ordered
 * list of proxy-wasm filters (request path in order, response path in reverse), honouring each
 * filter's stops and continues, and hands what passes to a sink — the router and upstream on
 * the request side, the client on the response side.
 *
 * Simplifications against Envoy, on purpose: body chunks that arrive while headers are held by
 * some filter are held by the chain (bounded by the listener's body limit) and replayed through
 * the whole chain once the headers have passed, so every filter sees headers before body; and a
 * local reply sent by filter i travels back through the response path of filters i-1 … 0 only
 * (those that let the request through), as Envoy's encoder filters do.
 */

import { DataStatus, HeadersStatus, TrailersStatus } from "../abi/enums.ts";
import type { Filter } from "../abi/filter.ts";
import { HeaderMap } from "../abi/header-map.ts";
import type { HttpStream } from "../abi/stream.ts";
import type { LocalReply, StreamCallbacks, StreamInfo } from "../abi/types.ts";
import { concatChunks } from "./bytes.ts";

/** Where what passes the chain goes. */
export interface ChainSink {
  /** Request headers passed every filter: route and send upstream. */
  requestHeaders(headers: HeaderMap, endOfStream: boolean): void;
  requestData(chunk: Uint8Array, endOfStream: boolean): void;
  requestTrailers(trailers: HeaderMap): void;
  /** Response (from upstream or a local reply) passed every filter: write to the client. */
  responseHeaders(headers: HeaderMap, endOfStream: boolean): void;
  responseData(chunk: Uint8Array, endOfStream: boolean): void;
  responseTrailers(trailers: HeaderMap): void;
  /** A filter reset the stream (`proxy_close_stream`). */
  reset(details: string): void;
  /** A local reply is about to be sent (for access-log flags and the upstream side to cancel). */
  localReply?(reply: LocalReply, filter: string): void;
  /** weir extensions, forwarded from the filters. */
  setUpstreamCluster?(cluster: string): void;
  requestRetry?(delayMs: number | undefined): boolean;
}

type Dir = "request" | "response";

/** What a `Link` may do to its chain (set by FilterChain's static block, which can reach its private state). */
let linkAccess: {
  resume(chain: FilterChain, dir: Dir, i: number): void;
  localReply(chain: FilterChain, reply: LocalReply, i: number): void;
  reset(chain: FilterChain, details: string): void;
  setUpstreamCluster(chain: FilterChain, cluster: string): void;
  requestRetry(chain: FilterChain, delay: number | undefined, i: number): boolean;
};

/**
 * One filter's callbacks into the chain, for the filter at position `i` (request order).
 * A class rather than a literal of closures: one per filter per request.
 */
class Link implements StreamCallbacks {
  readonly #chain: FilterChain;
  readonly #i: number;

  constructor(chain: FilterChain, i: number) {
    this.#chain = chain;
    this.#i = i;
  }

  continueRequest(): void {
    linkAccess.resume(this.#chain, "request", this.#i);
  }

  /** Response positions run in reverse, over the filters the response path covers. */
  continueResponse(): void {
    linkAccess.resume(this.#chain, "response", this.#i);
  }

  sendLocalReply(reply: LocalReply): void {
    linkAccess.localReply(this.#chain, reply, this.#i);
  }

  resetStream(details: string): void {
    linkAccess.reset(this.#chain, details);
  }

  setUpstreamCluster(cluster: string): void {
    linkAccess.setUpstreamCluster(this.#chain, cluster);
  }

  requestRetry(delayMs: number | undefined): boolean {
    return linkAccess.requestRetry(this.#chain, delayMs, this.#i);
  }
}

/** Per-direction iteration state (a class, not a literal: two per request; see ProxyStream). */
class Flow {
  headers: HeaderMap | undefined = undefined;
  headersEnd = false;
  /** Index (in iteration order) of the filter holding headers, or -1 when they passed all. */
  headersAt = -1;
  headersPassed = false;
  /** Chunks held while headers are held somewhere. */
  held: Uint8Array[] = [];
  heldEnd = false;
  /** Index of the filter holding data (StopIteration*), or -1. */
  dataAt = -1;
  dataEnd = false;
  trailers: HeaderMap | undefined = undefined;
  trailersAt = -1;
  /** Highest position the trailers got through (-1: none yet). */
  trailersReached = -1;
  trailersPassed = false;
  done = false;
}

export class FilterChain {
  readonly streams: HttpStream[];
  #sink: ChainSink;
  #req = new Flow();
  #res = new Flow();
  #replied = false;
  #ended = false;
  /** Index of the filter whose on_response_headers is running, or -1. */
  #inResponseHeaders = -1;
  /** That filter's weir.retry was accepted: response iteration stops there. */
  #retryAccepted = false;
  /** How many filters the response path starts from (all, or those before a local reply's sender). */
  #responseDepth: number;

  constructor(filters: readonly Filter[], sink: ChainSink, info?: StreamInfo) {
    this.#sink = sink;
    this.#responseDepth = filters.length;
    this.streams = filters.map((filter, i) => filter.createStream(new Link(this, i), info));
  }

  static {
    // The links reach the chain's private state through these (see `Link`).
    linkAccess = {
      resume: (chain, dir, i) => chain.#resume(dir, dir === "request" ? i : chain.#responseDepth - 1 - i),
      localReply: (chain, reply, i) => chain.#localReply(reply, i),
      reset: (chain, details) => chain.#reset(details),
      setUpstreamCluster: (chain, cluster) => chain.#sink.setUpstreamCluster?.(cluster),
      requestRetry: (chain, delay, i) => {
        // Only from this filter's own on_response_headers, and not after a local reply.
        if (chain.#inResponseHeaders !== i || chain.#replied) return false;
        const accepted = chain.#sink.requestRetry?.(delay) ?? false;
        if (accepted) chain.#retryAccepted = true;
        return accepted;
      },
    };
  }

  /** True once a filter answered or reset the stream: the upstream side should stop. */
  get finished(): boolean {
    return this.#replied || this.#ended;
  }

  // ---- request path ---------------------------------------------------------------------

  requestHeaders(headers: HeaderMap, endOfStream: boolean): void {
    const f = this.#req;
    f.headers = headers;
    f.headersEnd = endOfStream;
    if (endOfStream) f.done = true;
    this.#iterateHeaders("request", 0);
  }

  requestData(chunk: Uint8Array, endOfStream: boolean): void {
    this.#data("request", chunk, endOfStream);
  }

  requestTrailers(trailers: HeaderMap): void {
    this.#trailers("request", trailers);
  }

  // ---- response path --------------------------------------------------------------------

  responseHeaders(headers: HeaderMap, endOfStream: boolean): void {
    if (this.#replied) return;
    const f = this.#res;
    f.headers = headers;
    f.headersEnd = endOfStream;
    this.#iterateHeaders("response", 0);
  }

  responseData(chunk: Uint8Array, endOfStream: boolean): void {
    if (this.#replied) return;
    this.#data("response", chunk, endOfStream);
  }

  responseTrailers(trailers: HeaderMap): void {
    if (this.#replied) return;
    this.#trailers("response", trailers);
  }

  /** Another upstream attempt is coming: every filter's response side starts over. */
  retryResponse(attempt: number): void {
    this.#res = new Flow();
    this.#responseDepth = this.streams.length;
    for (const stream of this.streams) stream.resetResponse(attempt);
  }

  /** Ends every filter's stream (on_log → on_done → on_delete). Idempotent. */
  complete(): void {
    this.#ended = true;
    for (const stream of this.streams) stream.complete();
  }

  // ---- iteration ------------------------------------------------------------------------

  /** The stream at iteration position `pos` for a direction (the response path runs in reverse). */
  #at(dir: Dir, pos: number): HttpStream {
    return dir === "request" ? this.streams[pos] : this.streams[this.#count(dir) - 1 - pos];
  }

  #count(dir: Dir): number {
    return dir === "request" ? this.streams.length : this.#responseDepth;
  }

  #flow(dir: Dir): Flow {
    return dir === "request" ? this.#req : this.#res;
  }

  #iterateHeaders(dir: Dir, from: number): void {
    const f = this.#flow(dir);
    const headers = f.headers as HeaderMap;
    for (let pos = from; pos < this.#count(dir); pos++) {
      if (this.finished && !(dir === "response" && this.#replied)) return;
      const stream = this.#at(dir, pos);
      let status: HeadersStatus;
      if (dir === "request") status = stream.onRequestHeaders(headers, f.headersEnd);
      else {
        this.#inResponseHeaders = this.streams.indexOf(stream);
        status = stream.onResponseHeaders(headers, f.headersEnd);
        this.#inResponseHeaders = -1;
        if (this.#retryAccepted) {
          // This response is dropped for another attempt, whatever the filter returned.
          this.#retryAccepted = false;
          f.headersAt = pos;
          return;
        }
      }
      if (this.#ended || (dir === "request" && this.#replied)) return;
      if (status === HeadersStatus.CONTINUE_AND_END_STREAM) f.headersEnd = true;
      if (status !== HeadersStatus.CONTINUE && status !== HeadersStatus.CONTINUE_AND_END_STREAM) {
        f.headersAt = pos;
        return;
      }
    }
    f.headersAt = -1;
    f.headersPassed = true;
    if (dir === "request") this.#sink.requestHeaders(headers, f.headersEnd);
    else {
      for (const stream of this.streams) stream.markResponseStarted();
      this.#sink.responseHeaders(headers, f.headersEnd);
    }
    // Replay what was held behind the headers.
    const held = f.held;
    f.held = [];
    if (held.length > 0 || (f.heldEnd && !f.headersEnd)) {
      const body = concatChunks(held);
      this.#iterateData(dir, 0, body, f.heldEnd);
    }
    if (f.trailers !== undefined && !f.trailersPassed && f.trailersAt === -1) this.#trailers(dir, f.trailers);
  }

  #data(dir: Dir, chunk: Uint8Array, endOfStream: boolean): void {
    const f = this.#flow(dir);
    if (endOfStream) f.done = true;
    if (!f.headersPassed) {
      f.held.push(chunk);
      f.heldEnd = f.heldEnd || endOfStream;
      return;
    }
    this.#iterateData(dir, 0, chunk, endOfStream);
  }

  #iterateData(dir: Dir, from: number, chunk: Uint8Array, endOfStream: boolean): void {
    const f = this.#flow(dir);
    f.dataEnd = endOfStream;
    let data = chunk;
    for (let pos = from; pos < this.#count(dir); pos++) {
      const stream = this.#at(dir, pos);
      const status = dir === "request" ? stream.onRequestBody(data, endOfStream) : stream.onResponseBody(data, endOfStream);
      if (this.#ended || (dir === "request" && this.#replied)) return;
      if (status !== DataStatus.CONTINUE) {
        f.dataAt = pos;
        return;
      }
      data = dir === "request" ? stream.takeRequestBody() : stream.takeResponseBody();
    }
    f.dataAt = -1;
    if (dir === "request") this.#sink.requestData(data, endOfStream);
    else this.#sink.responseData(data, endOfStream);
  }

  #trailers(dir: Dir, trailers: HeaderMap): void {
    const f = this.#flow(dir);
    f.trailers = trailers;
    f.done = true;
    if (!f.headersPassed) return; // delivered once the headers pass
    if (f.dataAt !== -1) {
      // Trailers end the stream for a filter buffering the body (Envoy delivers them to it):
      // run them up to that filter; if it lets them through, its buffer goes on first.
      this.#iterateTrailers(dir, 0, f.dataAt);
      return;
    }
    this.#iterateTrailers(dir, 0);
  }

  /** Runs trailers from position `from`; stops after `upTo` (a filter holding data) to release its body first. */
  #iterateTrailers(dir: Dir, from: number, upTo = Number.POSITIVE_INFINITY): void {
    const f = this.#flow(dir);
    const trailers = f.trailers as HeaderMap;
    const count = this.#count(dir);
    for (let pos = from; pos < count; pos++) {
      const stream = this.#at(dir, pos);
      const status = dir === "request" ? stream.onRequestTrailers(trailers) : stream.onResponseTrailers(trailers);
      if (this.#ended || (dir === "request" && this.#replied)) return;
      if (status !== TrailersStatus.CONTINUE) {
        f.trailersAt = pos;
        return;
      }
      f.trailersReached = pos;
      if (pos === upTo) {
        this.#releaseData(dir, pos);
        return;
      }
    }
    f.trailersAt = -1;
    f.trailersPassed = true;
    if (dir === "request") this.#sink.requestTrailers(trailers);
    else this.#sink.responseTrailers(trailers);
  }

  /** The filter at `pos` let its held body go: pass it on, then the trailers waiting behind it. */
  #releaseData(dir: Dir, pos: number): void {
    const f = this.#flow(dir);
    const stream = this.#at(dir, pos);
    f.dataAt = -1;
    const body = dir === "request" ? stream.takeRequestBody() : stream.takeResponseBody();
    this.#iterateData(dir, pos + 1, body, f.dataEnd && f.trailers === undefined);
    if (f.dataAt === -1 && f.trailers !== undefined && !f.trailersPassed && f.trailersAt === -1)
      this.#iterateTrailers(dir, f.trailersReached + 1);
  }

  /** A filter continued: pick iteration up after it, wherever it stopped. */
  #resume(dir: Dir, pos: number): void {
    if (this.#ended) return;
    const f = this.#flow(dir);
    if (f.headersAt === pos) {
      f.headersAt = -1;
      this.#iterateHeaders(dir, pos + 1);
      return;
    }
    // Continuing lets through whatever the filter held: its trailers and then its body.
    if (f.trailersAt === pos) {
      f.trailersAt = -1;
      f.trailersReached = pos;
    }
    if (f.dataAt === pos) this.#releaseData(dir, pos);
    else if (f.trailers !== undefined && !f.trailersPassed && f.trailersReached === pos) this.#iterateTrailers(dir, pos + 1);
  }

  #localReply(reply: LocalReply, index: number): void {
    if (this.#replied || this.#ended) return;
    this.#replied = true;
    this.#sink.localReply?.(reply, this.streams[index].filter);
    // The reply travels back through the filters that let the request through (index-1 … 0).
    this.#responseDepth = index;
    this.#res = new Flow();
    const headers = new HeaderMap([[":status", String(reply.status)], ...reply.headers]);
    if (reply.body.byteLength > 0 && !headers.has("content-length")) headers.set("content-length", String(reply.body.byteLength));
    this.#res.headers = headers;
    this.#res.headersEnd = reply.body.byteLength === 0;
    this.#iterateHeaders("response", 0);
    if (reply.body.byteLength > 0) this.#data("response", reply.body, true);
  }

  #reset(details: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#sink.reset(details);
  }
}
