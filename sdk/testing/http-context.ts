/**
 * One HTTP stream through the filter, driven by the test the way weir's filter chain drives
 * it: `requestHeaders`, `requestBody`, `requestTrailers`, the same for the response, then
 * `complete()`. Each call runs the real host's `HttpStream` and returns a
 * {@linkcode CallbackResult}; the context then shows the stream as it stands — headers and
 * body the filter left, its local response, resets and continues.
 *
 * Like the chain, the context passes on what the filter lets through and, when the filter
 * resumes a paused stream, delivers the body and trailers held meanwhile (`stream-sides.ts`).
 * Driving out of order (a body before headers, a response while the filter holds the request)
 * throws an `AbiError` saying what was attempted.
 */

import {
  AbiError,
  type Filter,
  type HeaderInit,
  HeaderMap,
  HttpStream,
  type PropertyValue,
  type StreamCallbacks,
} from "../../proxy/abi/index.ts";
import { type Action, type CallbackName, type CallbackResult, callbackResult } from "./results.ts";
import { PropertiesView } from "./stores.ts";
import { type Direction, responseRefusal, Side } from "./stream-sides.ts";
import { type LocalResponse, type MessageView, messageView, toBytes, toLocalResponse } from "./views.ts";

/** Options for `host.http()`. */
export interface HttpContextOptions {
  /** Properties this stream answers by dotted path, e.g. `{ "source.address": "10.0.0.1:5000" }`. */
  properties?: Record<string, PropertyValue>;
}

/** Per-callback options. */
export interface EndOfStream {
  /** Nothing follows on this side of the stream (default false). */
  endOfStream?: boolean;
}

/**
 * The callbacks a kit stream hands the host. They carry their context, so the kit finds the
 * `TestHttpContext` of any host stream (an http call's origin, a foreign-function caller)
 * without a side table: a WeakMap entry per stream made V8's collector the largest cost of a
 * driven stream.
 */
class KitCallbacks implements StreamCallbacks {
  readonly context: TestHttpContext;
  readonly continueRequest: () => void;
  readonly continueResponse: () => void;
  readonly requestRetry: (delayMs: number | undefined) => boolean;

  constructor(context: TestHttpContext, resumed: (direction: Direction) => void, retry: (delayMs: number | undefined) => void) {
    this.context = context;
    this.continueRequest = () => resumed("request");
    this.continueResponse = () => resumed("response");
    this.requestRetry = (delayMs) => {
      retry(delayMs);
      return true;
    };
  }
}

/** The kit's context of a host stream, if the kit created it. */
export function contextOf(stream: unknown): TestHttpContext | undefined {
  return stream instanceof HttpStream && stream.callbacks instanceof KitCallbacks ? stream.callbacks.context : undefined;
}

/**
 * An HTTP context of the filter under test; create it with `host.http()`.
 *
 * @example
 * ```ts
 * const http = host.http();
 * expect(http.requestHeaders({ ":method": "GET", ":path": "/" }, { endOfStream: true })).toContinue();
 * expect(http.request.headers).toHaveHeader("x-weir-added", "yes");
 * http.complete();
 * ```
 */
export class TestHttpContext {
  /** The host's stream (for what the kit does not wrap). */
  readonly stream: HttpStream;
  readonly #check: (attempted: string) => void;
  readonly #results: CallbackResult[] = [];
  readonly #continues: Direction[] = [];
  readonly #retries: (number | undefined)[] = [];
  readonly #req = new Side("request");
  readonly #res = new Side("response");

  /** Made by `TestHost.http()`. */
  constructor(filter: Filter, check: (attempted: string) => void, options?: HttpContextOptions) {
    this.#check = check;
    const properties = options?.properties;
    const callbacks = new KitCallbacks(
      this,
      (direction) => this.#resumed(direction === "request" ? this.#req : this.#res),
      (delayMs) => this.#retries.push(delayMs),
    );
    this.stream = filter.createStream(callbacks, properties && { property: (path) => properties[path.join(".")] });
  }

  /** The context id the filter sees. */
  get id(): number {
    return this.stream.id;
  }

  // ---- drive ---------------------------------------------------------------------------

  /** Request headers reach the filter (`proxy_on_request_headers`). */
  requestHeaders(headers: HeaderInit, options: EndOfStream = {}): CallbackResult {
    const side = this.#begin("requestHeaders", this.#req);
    if (side.headersSent) throw new AbiError("http.requestHeaders called twice: the request headers were already sent");
    side.headersSent = true;
    side.ended = options.endOfStream === true;
    return this.#run("requestHeaders", () => this.stream.onRequestHeaders(new HeaderMap(headers), side.ended));
  }

  /** A request body chunk (`proxy_on_request_body`); `endOfStream` marks the last one. */
  requestBody(chunk: string | Uint8Array, options: EndOfStream = {}): CallbackResult {
    const side = this.#beginData("requestBody", this.#req);
    side.ended = options.endOfStream === true;
    const result = this.#run("requestBody", () => this.stream.onRequestBody(toBytes(chunk), side.ended));
    if (result.action === "continue") side.forward(this.stream);
    return result;
  }

  /** Request trailers (`proxy_on_request_trailers`); they end the request. */
  requestTrailers(trailers: HeaderInit): CallbackResult {
    const side = this.#beginData("requestTrailers", this.#req);
    side.ended = true;
    side.trailers = new HeaderMap(trailers);
    return this.#run("requestTrailers", () => this.stream.onRequestTrailers(side.trailers as HeaderMap));
  }

  /** Response headers from the upstream (`proxy_on_response_headers`). */
  responseHeaders(headers: HeaderInit, options: EndOfStream = {}): CallbackResult {
    const side = this.#begin("responseHeaders", this.#res);
    const refusal = responseRefusal(this.stream, this.#req, side);
    if (refusal !== undefined) throw new AbiError(`http.responseHeaders called ${refusal}`);
    side.headersSent = true;
    side.ended = options.endOfStream === true;
    const result = this.#run("responseHeaders", () => this.stream.onResponseHeaders(new HeaderMap(headers), side.ended));
    if (result.action === "continue") this.stream.markResponseStarted();
    return result;
  }

  /** A response body chunk (`proxy_on_response_body`). */
  responseBody(chunk: string | Uint8Array, options: EndOfStream = {}): CallbackResult {
    const side = this.#beginData("responseBody", this.#res);
    side.ended = options.endOfStream === true;
    const result = this.#run("responseBody", () => this.stream.onResponseBody(toBytes(chunk), side.ended));
    if (result.action === "continue") side.forward(this.stream);
    return result;
  }

  /** Response trailers (`proxy_on_response_trailers`). */
  responseTrailers(trailers: HeaderInit): CallbackResult {
    const side = this.#beginData("responseTrailers", this.#res);
    side.ended = true;
    side.trailers = new HeaderMap(trailers);
    return this.#run("responseTrailers", () => this.stream.onResponseTrailers(side.trailers as HeaderMap));
  }

  /** Ends the stream: `proxy_on_log`, `proxy_on_done`, `proxy_on_delete`; cancels its pending http calls. */
  complete(): void {
    this.#check("http.complete");
    this.stream.complete();
  }

  // ---- inspect -------------------------------------------------------------------------

  /** The request as the filter left it: headers, trailers, body (forwarded plus still buffered). */
  get request(): MessageView {
    this.#check("http.request");
    return messageView(this.stream.requestHeaders, this.stream.requestTrailers, this.#req, this.stream.body(0), this.stream.requestPaused);
  }

  /** The response as the filter left it. */
  get response(): MessageView {
    this.#check("http.response");
    return messageView(
      this.stream.responseHeaders,
      this.stream.responseTrailers,
      this.#res,
      this.stream.body(1),
      this.stream.responsePaused,
    );
  }

  /** Where the stream stands: `"stop"` after a local response or reset, `"pause"` while the filter holds it. */
  get action(): Action {
    this.#check("http.action");
    const s = this.stream;
    if (s.localReply !== undefined || s.resetDetails !== undefined) return "stop";
    return s.requestPaused || s.responsePaused ? "pause" : "continue";
  }

  /** The local response the filter (or, after a failure, the host) sent, if any. */
  get localResponse(): LocalResponse | undefined {
    this.#check("http.localResponse");
    return toLocalResponse(this.stream.localReply);
  }

  /** Why the stream was reset (`wasm_close_stream`, …), if it was. */
  get reset(): string | undefined {
    this.#check("http.reset");
    return this.stream.resetDetails;
  }

  /** The directions the filter resumed with `proxy_continue_stream` (or the host, for a failed filter under fail-open), in order. */
  get continues(): readonly Direction[] {
    this.#check("http.continues");
    return [...this.#continues];
  }

  /** Every callback result so far, including deliveries the kit made after a continue. */
  get results(): readonly CallbackResult[] {
    this.#check("http.results");
    return [...this.#results];
  }

  /** Properties the filter set on this stream with `proxy_set_property`. */
  get properties(): PropertiesView {
    this.#check("http.properties");
    return new PropertiesView(() => this.stream.state);
  }

  /** The upstream cluster the filter picked (`weir.upstream_cluster`). */
  get upstreamCluster(): string | undefined {
    return this.stream.upstreamCluster;
  }

  /** Retries the filter asked for with `weir.retry` (delay in ms, or undefined for the default); all are accepted. */
  get retries(): readonly (number | undefined)[] {
    return [...this.#retries];
  }

  get completed(): boolean {
    return this.stream.ended;
  }

  // ---- internals -----------------------------------------------------------------------

  #begin(callback: CallbackName, side: Side): Side {
    this.#check(`http.${callback}`);
    if (this.stream.ended) throw new AbiError(`http.${callback} called after http.complete()`);
    return side;
  }

  #beginData(callback: CallbackName, side: Side): Side {
    this.#begin(callback, side);
    side.expectData(callback);
    return side;
  }

  #run(callback: CallbackName, drive: () => number, redelivered = false): CallbackResult {
    const vm = this.stream.vm;
    const before = vm.failure;
    const status = drive();
    const failure = vm.failure !== before ? vm.failure : undefined;
    const stopped = this.stream.localReply !== undefined || this.stream.resetDetails !== undefined;
    const result = callbackResult(callback, status, stopped, failure, redelivered);
    this.#results.push(result);
    return result;
  }

  #resumed(side: Side): void {
    this.#continues.push(side.direction);
    side.resume(this.stream, (callback, drive, redelivered) => this.#run(callback, drive, redelivered));
  }
}
