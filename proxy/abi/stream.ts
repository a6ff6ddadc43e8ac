/**
 * One HTTP stream as one filter sees it: its context in the filter's VM, the header maps and
 * body buffers the filter may touch, and Envoy's flow semantics (shared/reference/
 * proxy-wasm-abi.md §5):
 *
 * - the context is created lazily before the first callback (`Context::decodeHeaders`);
 * - a header callback's StopIteration becomes "stop all": later body chunks are buffered
 *   without calling the filter until it continues, then delivered at once (§5.1);
 * - `proxy_continue_stream` and local replies are deferred until the guest call returns, and
 *   a local reply forces the current callback to stop (§5.3);
 * - a body callback's size is the whole buffered body while the filter keeps buffering (§5.2);
 * - teardown is log → done → delete (Envoy's order; the spec's done → log → delete is an option);
 * - a failed VM gets the filter's failure policy: one 503 `wasm_fail_stream` (fail-closed,
 *   reload) or the filter skipped (fail-open) (§5.5).
 *
 * The filter chain drives a stream with `on*` calls and hears back through `StreamCallbacks`.
 */

import { DataStatus, HeadersStatus, MapType, Status, TrailersStatus } from "./enums.ts";
import { AbiError } from "./errors.ts";
import { HeaderMap } from "./header-map.ts";
import { type PropertyValue, requestAttribute } from "./properties.ts";
import type { FailurePolicy, LocalReply, StreamCallbacks, StreamInfo } from "./types.ts";
import { decodeUtf8, encodeUtf8 } from "./utf8.ts";
import { FAILED, type FilterVm } from "./vm.ts";

const EMPTY = new Uint8Array(0);
type Direction = "request" | "response";
type GuestFn = (a: number, b: number, c: number, d: number, e: number) => number | undefined;

/**
 * One direction's state. Per-stream objects are class instances, not literals: V8 tracks
 * allocation sites for literals and, once a site's objects are seen surviving a scavenge,
 * pretenures them — after which every stream's objects die in old space and keep their young
 * children alive until the next full GC (a run-to-run 2× on the kit's per-stream cost).
 */
class Flow {
  /** Headers seen and not yet passed on: they may still be modified. */
  headersOpen = false;
  trailersOpen = false;
  /** The filter stopped this direction and has not continued it. */
  paused = false;
  /** Body chunks arrived while paused from headers; delivered when the filter continues. */
  bodyPending = false;
  trailersPending = false;
  endOfStream = false;
  /** Headers went downstream (response) / upstream (request) past this filter. */
  forwarded = false;
}

export class HttpStream {
  readonly kind = "stream" as const;
  readonly id: number;
  readonly vm: FilterVm;
  readonly callbacks: StreamCallbacks;
  readonly info: StreamInfo | undefined;
  readonly policy: FailurePolicy;
  /** Upstream attempt number, 1-based (weir extension `weir.attempt`); the proxy bumps it per retry. */
  attempt = 1;
  /** Cluster chosen by the filter (`weir.upstream_cluster`). */
  upstreamCluster: string | undefined;
  /** Values the filter set with `proxy_set_property`. */
  readonly state = new Map<string, Uint8Array>();
  requestHeaders: HeaderMap | undefined;
  requestTrailers: HeaderMap | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;
  /** The local reply sent for this stream (by the filter or for its failure). */
  localReply: LocalReply | undefined;
  /** Set when the filter closed (reset) the stream. */
  resetDetails: string | undefined;
  /** True while `proxy_on_log` runs: every map is readable then. */
  inLog = false;
  #requestBody: Uint8Array = EMPTY;
  #responseBody: Uint8Array = EMPTY;
  #req = new Flow();
  #res = new Flow();
  #created = false;
  #ended = false;
  #skipping = false;
  #failureSent = false;
  /** The direction of the stream callback running now, for folding a continue into its result. */
  #active: Direction | undefined;
  #activeEnd = false;
  #continueFolded = false;
  #stopForced = false;

  constructor(vm: FilterVm, policy: FailurePolicy, callbacks: StreamCallbacks, info: StreamInfo | undefined) {
    this.vm = vm;
    this.policy = policy;
    this.callbacks = callbacks;
    this.info = info;
    this.id = vm.nextContextId();
    vm.contexts.set(this.id, this);
  }

  /** The filter's name. */
  get filter(): string {
    return this.vm.name;
  }

  /** True once `complete()` ran. */
  get ended(): boolean {
    return this.#ended;
  }

  /** True while the filter holds the request (paused and not continued). */
  get requestPaused(): boolean {
    return this.#req.paused;
  }

  get responsePaused(): boolean {
    return this.#res.paused;
  }

  /** Body chunks buffered while the request was paused from headers: call `onRequestBody(EMPTY, end)` after a continue. */
  get requestBodyPending(): boolean {
    return this.#req.bodyPending;
  }

  get responseBodyPending(): boolean {
    return this.#res.bodyPending;
  }

  get requestTrailersPending(): boolean {
    return this.#req.trailersPending;
  }

  get responseTrailersPending(): boolean {
    return this.#res.trailersPending;
  }

  // ---- request path ----------------------------------------------------------------------

  /** Request headers reach the filter. The map is the stream's: the filter edits it in place. */
  onRequestHeaders(headers: HeaderMap, endOfStream: boolean): HeadersStatus {
    this.#assertLive("onRequestHeaders");
    this.requestHeaders = headers;
    this.#req.headersOpen = true;
    this.#req.endOfStream = endOfStream;
    const fn = this.vm.exports.proxy_on_request_headers as GuestFn | undefined;
    const raw = this.#run("request", "proxy_on_request_headers", fn, headers.size, endOfStream ? 1 : 0);
    return this.#headersResult(this.#req, raw);
  }

  /** A request body chunk. While the filter buffers, its callback sees the whole buffer. */
  onRequestBody(chunk: Uint8Array, endOfStream: boolean): DataStatus {
    this.#assertLive("onRequestBody");
    return this.#body(this.#req, "request", chunk, endOfStream);
  }

  /** Request trailers. */
  onRequestTrailers(trailers: HeaderMap): TrailersStatus {
    this.#assertLive("onRequestTrailers");
    this.requestTrailers = trailers;
    return this.#trailers(this.#req, "request", trailers);
  }

  /** Takes the request body the filter let through (and resets the buffer). */
  takeRequestBody(): Uint8Array {
    const body = this.#requestBody;
    this.#requestBody = EMPTY;
    return body;
  }

  // ---- response path ---------------------------------------------------------------------

  onResponseHeaders(headers: HeaderMap, endOfStream: boolean): HeadersStatus {
    this.#assertLive("onResponseHeaders");
    this.responseHeaders = headers;
    this.#res.headersOpen = true;
    this.#res.endOfStream = endOfStream;
    // Request windows close once the response starts.
    this.#req.headersOpen = false;
    this.#req.trailersOpen = false;
    const fn = this.vm.exports.proxy_on_response_headers as GuestFn | undefined;
    const raw = this.#run("response", "proxy_on_response_headers", fn, headers.size, endOfStream ? 1 : 0);
    return this.#headersResult(this.#res, raw);
  }

  onResponseBody(chunk: Uint8Array, endOfStream: boolean): DataStatus {
    this.#assertLive("onResponseBody");
    return this.#body(this.#res, "response", chunk, endOfStream);
  }

  onResponseTrailers(trailers: HeaderMap): TrailersStatus {
    this.#assertLive("onResponseTrailers");
    this.responseTrailers = trailers;
    return this.#trailers(this.#res, "response", trailers);
  }

  takeResponseBody(): Uint8Array {
    const body = this.#responseBody;
    this.#responseBody = EMPTY;
    return body;
  }

  /**
   * A new upstream attempt replaces the response this filter saw (a retry): the response side
   * starts over and `weir.attempt` reads `attempt`.
   */
  resetResponse(attempt: number): void {
    this.#res = new Flow();
    this.responseHeaders = undefined;
    this.responseTrailers = undefined;
    this.#responseBody = EMPTY;
    this.attempt = attempt;
  }

  /** The proxy tells the filter the response headers left for the client (local replies then reset the stream). */
  markResponseStarted(): void {
    this.#res.forwarded = true;
  }

  /**
   * Ends the stream: `proxy_on_log`, `proxy_on_done`, `proxy_on_delete` (Envoy's order), then
   * frees the context and cancels its outstanding http calls. Idempotent.
   */
  complete(): void {
    if (this.#ended) return;
    this.#ended = true;
    const vm = this.vm;
    const healthy = !vm.failure && !vm.closed && !this.#skipping;
    if (healthy && this.#ensureCreated()) {
      const x = vm.exports;
      const log = () => {
        if (!x.proxy_on_log || vm.failure) return;
        this.inLog = true;
        vm.call("proxy_on_log", this, x.proxy_on_log as GuestFn, this.id);
        this.inLog = false;
      };
      const done = () => {
        if (x.proxy_on_done && !vm.failure) vm.call("proxy_on_done", this, x.proxy_on_done as GuestFn, this.id);
      };
      if (vm.host.teardownOrder === "spec") {
        done();
        log();
      } else {
        log();
        done();
      }
      if (x.proxy_on_delete && !vm.failure) vm.call("proxy_on_delete", this, x.proxy_on_delete as GuestFn, this.id);
    }
    vm.contexts.delete(this.id);
    vm.cancelCallsFrom(this.id);
  }

  // ---- what host calls see ---------------------------------------------------------------

  /** The header map of `type` (0-3) if it exists. */
  map(type: number): HeaderMap | undefined {
    switch (type) {
      case MapType.HTTP_REQUEST_HEADERS:
        return this.requestHeaders;
      case MapType.HTTP_REQUEST_TRAILERS:
        return this.requestTrailers;
      case MapType.HTTP_RESPONSE_HEADERS:
        return this.responseHeaders;
      case MapType.HTTP_RESPONSE_TRAILERS:
        return this.responseTrailers;
      default:
        return undefined;
    }
  }

  /** Whether map `type` may be modified now. */
  mapWritable(type: number): boolean {
    switch (type) {
      case MapType.HTTP_REQUEST_HEADERS:
        return this.#req.headersOpen;
      case MapType.HTTP_REQUEST_TRAILERS:
        return this.#req.trailersOpen;
      case MapType.HTTP_RESPONSE_HEADERS:
        return this.#res.headersOpen;
      case MapType.HTTP_RESPONSE_TRAILERS:
        return this.#res.trailersOpen;
      default:
        return false;
    }
  }

  /**
   * The map of `type` if it may be modified now. Trailers may be *added* from the last body
   * callback when the stream has none (spec: "only when end_of_stream is true"; Envoy
   * `addDecodedTrailers`).
   */
  writableMap(type: number): HeaderMap | undefined {
    if (this.mapWritable(type)) return this.map(type);
    const dir: Direction = type === MapType.HTTP_REQUEST_TRAILERS ? "request" : "response";
    if (
      (type === MapType.HTTP_REQUEST_TRAILERS || type === MapType.HTTP_RESPONSE_TRAILERS) &&
      this.#active === dir &&
      this.#activeEnd &&
      this.map(type) === undefined
    ) {
      const flow = dir === "request" ? this.#req : this.#res;
      const created = new HeaderMap();
      if (dir === "request") this.requestTrailers = created;
      else this.responseTrailers = created;
      flow.trailersOpen = true;
      return created;
    }
    return undefined;
  }

  /** The body buffer of buffer type 0 (request) or 1 (response). */
  body(type: number): Uint8Array {
    return type === 0 ? this.#requestBody : this.#responseBody;
  }

  /**
   * `proxy_set_buffer_bytes` on a body, with Envoy's rules (`Buffer::copyFrom`; the Go
   * proxytest emulator is identical): start=0,size=0 prepends; start=0,size≥len replaces;
   * start≥len appends; anything else (a splice) is refused.
   */
  setBody(type: number, start: number, size: number, value: Uint8Array): boolean {
    const current = this.body(type);
    let next: Uint8Array;
    if (start === 0 && size === 0) next = concat(value, current);
    else if (start === 0 && size >= current.byteLength) next = value;
    else if (start >= current.byteLength) next = concat(current, value);
    else return false;
    if (type === 0) this.#requestBody = next;
    else this.#responseBody = next;
    return true;
  }

  /** Properties this stream answers itself: weir.*, request.* from the live headers, response.code. */
  property(path: readonly string[]): PropertyValue | undefined {
    const [top, name, key] = path;
    if (top === "weir") {
      if (name === "attempt") return this.attempt;
      if (name === "upstream_cluster") return this.upstreamCluster;
      if (name === "peer_identity")
        return this.info?.property?.(["weir", "peer_identity"]) ?? this.info?.property?.(["connection", "uri_san_peer_certificate"]);
      return undefined;
    }
    const fromInfo = this.info?.property?.(path);
    if (fromInfo !== undefined) return fromInfo;
    if (top === "request" && name !== undefined) return requestAttribute(this.requestHeaders, name, key);
    if (top === "response" && name === "code" && this.responseHeaders) {
      const status = Number(this.responseHeaders.get(":status"));
      return Number.isFinite(status) ? status : undefined;
    }
    if (top === "response" && name === "headers" && this.responseHeaders) return requestAttribute(this.responseHeaders, "headers", key);
    return undefined;
  }

  /** `proxy_set_property` under `weir.*`. */
  setWeirProperty(path: readonly string[], value: Uint8Array): number {
    if (path[1] === "upstream_cluster" && path.length === 2) {
      const cluster = decodeUtf8(value, 0, value.byteLength);
      if (cluster === "") return Status.BAD_ARGUMENT;
      this.upstreamCluster = cluster;
      this.callbacks.setUpstreamCluster?.(cluster);
      return Status.OK;
    }
    return Status.NOT_FOUND;
  }

  /** `proxy_continue_stream` from the guest: applied after the guest call returns. */
  continueFromGuest(dir: Direction): void {
    this.vm.defer(() => {
      if (this.#ended) return;
      if (this.#active === dir) {
        this.#continueFolded = true;
        return;
      }
      const flow = dir === "request" ? this.#req : this.#res;
      if (!flow.paused) return;
      flow.paused = false;
      flow.headersOpen = false;
      if (dir === "request") this.callbacks.continueRequest?.();
      else this.callbacks.continueResponse?.();
    });
  }

  /** `proxy_close_stream` from the guest. */
  closeFromGuest(): void {
    this.vm.defer(() => {
      if (this.#ended || this.resetDetails !== undefined) return;
      this.resetDetails = "wasm_close_stream";
      this.callbacks.resetStream?.("wasm_close_stream");
    });
  }

  /** `proxy_send_local_response` from the guest: the current callback is forced to stop. */
  localReplyFromGuest(reply: LocalReply): boolean {
    if (this.localReply !== undefined) return false;
    if (this.#active !== undefined) this.#stopForced = true;
    this.vm.defer(() => {
      if (this.#ended || this.localReply !== undefined) return;
      if (this.#res.forwarded) {
        // Too late for a reply: Envoy resets the stream (tetratelabs/proxy-wasm-go-sdk#364).
        this.resetDetails = "wasm_local_reply_after_response_started";
        this.callbacks.resetStream?.(this.resetDetails);
        return;
      }
      this.#sendLocalReply(reply);
    });
    return true;
  }

  /** The VM failed while this stream was not in a callback: a held stream gets its policy now. */
  vmFailed(): void {
    if (this.#ended || this.#active !== undefined || this.#failureSent || this.#skipping) return;
    if (!this.#req.paused && !this.#res.paused) return;
    if (this.policy === "fail-open") {
      this.#skipping = true;
      for (const [flow, cont] of [
        [this.#req, this.callbacks.continueRequest],
        [this.#res, this.callbacks.continueResponse],
      ] as const) {
        if (!flow.paused) continue;
        flow.paused = false;
        cont?.call(this.callbacks);
      }
      return;
    }
    this.#failStream();
  }

  // ---- internals -------------------------------------------------------------------------

  #assertLive(method: string): void {
    if (this.#ended) throw new AbiError(`${method} on stream ${this.id} of filter "${this.vm.name}" after it completed`);
  }

  #ensureCreated(): boolean {
    if (this.#created) return true;
    this.#created = true;
    const fn = this.vm.exports.proxy_on_context_create as GuestFn | undefined;
    if (fn) this.vm.call("proxy_on_context_create", this, fn, this.id, this.vm.root.id);
    return this.vm.failure === undefined;
  }

  /** Runs one stream callback; returns the raw result, FAILED, or 0 when the filter skips it. */
  #run(dir: Direction, name: string, fn: GuestFn | undefined, a: number, b: number): number {
    if (this.#skipping || this.localReply !== undefined) return 0;
    if (this.vm.failure !== undefined || !this.#ensureCreated()) return FAILED;
    if (fn === undefined) return 0;
    this.#active = dir;
    this.#activeEnd = b === 1;
    this.#continueFolded = false;
    this.#stopForced = false;
    const raw = this.vm.call(name, this, fn, this.id, a, b);
    this.#active = undefined;
    return raw;
  }

  #headersResult(flow: Flow, raw: number): HeadersStatus {
    if (raw === FAILED) return this.#onFailure(flow) ? HeadersStatus.CONTINUE : HeadersStatus.STOP_ALL_WATERMARK;
    let status: HeadersStatus;
    if (this.#stopForced || this.localReply !== undefined) status = HeadersStatus.STOP_ALL_WATERMARK;
    else if (raw === 0 || this.#continueFolded) status = HeadersStatus.CONTINUE;
    else if (raw === 2) status = HeadersStatus.CONTINUE_AND_END_STREAM;
    else if (raw === 3) status = HeadersStatus.STOP_ALL_BUFFER;
    else status = HeadersStatus.STOP_ALL_WATERMARK;
    if (status === HeadersStatus.CONTINUE || status === HeadersStatus.CONTINUE_AND_END_STREAM) {
      flow.headersOpen = false;
      flow.paused = false;
    } else {
      flow.paused = this.localReply === undefined;
    }
    return status;
  }

  #body(flow: Flow, dir: Direction, chunk: Uint8Array, endOfStream: boolean): DataStatus {
    flow.endOfStream = endOfStream;
    if (chunk.byteLength > 0) {
      if (dir === "request") this.#requestBody = concat(this.#requestBody, chunk);
      else this.#responseBody = concat(this.#responseBody, chunk);
    }
    if (this.#skipping) return DataStatus.CONTINUE;
    if (this.localReply !== undefined) return DataStatus.STOP_NO_BUFFER;
    if (flow.paused && flow.headersOpen) {
      // Stopped from headers: hold the data without calling the filter (StopAllIteration).
      flow.bodyPending = true;
      return DataStatus.STOP_BUFFER;
    }
    flow.bodyPending = false;
    const size = dir === "request" ? this.#requestBody.byteLength : this.#responseBody.byteLength;
    const name = dir === "request" ? "proxy_on_request_body" : "proxy_on_response_body";
    const fn = (dir === "request" ? this.vm.exports.proxy_on_request_body : this.vm.exports.proxy_on_response_body) as GuestFn | undefined;
    const raw = this.#run(dir, name, fn, size, endOfStream ? 1 : 0);
    if (raw === FAILED) return this.#onFailure(flow) ? DataStatus.CONTINUE : DataStatus.STOP_NO_BUFFER;
    if (this.localReply !== undefined || this.#stopForced) return DataStatus.STOP_NO_BUFFER;
    if (raw === 0 || this.#continueFolded) {
      flow.paused = false;
      return DataStatus.CONTINUE;
    }
    flow.paused = true;
    if (raw === 1 || raw === 2) return raw === 1 ? DataStatus.STOP_BUFFER : DataStatus.STOP_WATERMARK;
    // StopIterationNoBuffer: the filter asked that this data not be kept.
    if (dir === "request") this.#requestBody = EMPTY;
    else this.#responseBody = EMPTY;
    return DataStatus.STOP_NO_BUFFER;
  }

  #trailers(flow: Flow, dir: Direction, trailers: HeaderMap): TrailersStatus {
    flow.trailersOpen = true;
    flow.endOfStream = true;
    if (this.#skipping) return TrailersStatus.CONTINUE;
    if (this.localReply !== undefined) return TrailersStatus.STOP;
    // Only a stop from headers (StopAll) holds trailers; a filter buffering the body gets them
    // (Envoy `FilterManager::decodeTrailers` skips only `stoppedAll()` filters).
    if (flow.paused && flow.headersOpen) {
      flow.trailersPending = true;
      return TrailersStatus.STOP;
    }
    flow.trailersPending = false;
    const name = dir === "request" ? "proxy_on_request_trailers" : "proxy_on_response_trailers";
    const fn = (dir === "request" ? this.vm.exports.proxy_on_request_trailers : this.vm.exports.proxy_on_response_trailers) as
      | GuestFn
      | undefined;
    const raw = this.#run(dir, name, fn, trailers.size, 0);
    if (raw === FAILED) return this.#onFailure(flow) ? TrailersStatus.CONTINUE : TrailersStatus.STOP;
    if (this.localReply !== undefined || this.#stopForced) return TrailersStatus.STOP;
    if (raw === 0 || this.#continueFolded) {
      flow.trailersOpen = false;
      flow.paused = false;
      return TrailersStatus.CONTINUE;
    }
    flow.paused = true;
    return TrailersStatus.STOP;
  }

  /** Applies the failure policy; returns true when the stream should carry on without the filter. */
  #onFailure(flow: Flow): boolean {
    flow.paused = false;
    if (this.policy === "fail-open") {
      this.#skipping = true;
      return true;
    }
    this.#failStream();
    return false;
  }

  #failStream(): void {
    if (this.#failureSent) return;
    this.#failureSent = true;
    const error = this.vm.failure;
    const reason = error ? error.message : `filter ${this.vm.name} is not available`;
    this.#sendLocalReply({
      status: 503,
      headers: [["content-type", "text/plain"]],
      body: encodeUtf8(`filter failed: ${reason}\n`),
      details: "wasm_fail_stream",
      grpcStatus: 14,
    });
  }

  #sendLocalReply(reply: LocalReply): void {
    this.localReply = reply;
    this.#req.paused = false;
    this.#res.paused = false;
    this.callbacks.sendLocalReply?.(reply);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  if (b.byteLength === 0) return a;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
