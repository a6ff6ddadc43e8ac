// A context per HTTP stream. Every callback defaults to "continue", so a filter overrides
// only what it needs; accessors act on this stream, whichever callback is running.

import { StreamType } from "../abi/enums";
import { closeStream, continueStream, sendLocalResponse, useContext } from "../abi/stream";
import { Body, REQUEST_BODY, RESPONSE_BODY } from "../body";
import { HeaderMap, REQUEST_HEADERS, REQUEST_TRAILERS, RESPONSE_HEADERS, RESPONSE_TRAILERS } from "../headers";
import { HeaderPair } from "../pairs";
import { Context } from "./context";
import { RootContext } from "./root-context";

/** What a stream callback asks of the filter chain (proxy_action_t). */
export enum Action {
  /** Pass this part of the stream on. */
  Continue = 0,
  /**
   * Hold it. From a headers callback the whole direction waits (body included) until
   * `continueRequest`/`continueResponse`; from a body callback the data is buffered and the
   * next body callback sees all of it.
   */
  Pause = 1,
}

/**
 * Extend this for per-stream logic and create it in `RootContext.createHttpContext`.
 *
 * @example
 * ```ts
 * class AddHeader extends HttpContext {
 *   onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
 *     if (this.requestHeaders.get("authorization") === null) {
 *       this.sendLocalResponse(401, "missing credentials\n");
 *       return Action.Pause;
 *     }
 *     this.requestHeaders.set("x-weir", "1");
 *     return Action.Continue;
 *   }
 * }
 * ```
 */
export class HttpContext extends Context {
  /** The root that created this stream. */
  readonly root: RootContext;

  constructor(id: u32, root: RootContext) {
    super(id);
    this.root = root;
  }

  /** Request headers arrived (`endOfStream`: no body follows). */
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    return Action.Continue;
  }
  /** A request body chunk arrived; `bodySize` is all buffered bytes while you pause. */
  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    return Action.Continue;
  }
  /** Request trailers arrived. */
  onRequestTrailers(trailerCount: u32): Action {
    return Action.Continue;
  }
  /** Response headers arrived (`endOfStream`: no body follows). */
  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    return Action.Continue;
  }
  /** A response body chunk arrived; `bodySize` is all buffered bytes while you pause. */
  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    return Action.Continue;
  }
  /** Response trailers arrived. */
  onResponseTrailers(trailerCount: u32): Action {
    return Action.Continue;
  }
  /** The stream is over: every header map is readable once more (access logging). */
  onLog(): void {}
  /** The host is done with the stream. */
  onDone(): void {}
  /** The stream is deleted; no callback follows. */
  onDelete(): void {}

  /** Request headers: from `onRequestHeaders` on; writable until they leave the filter. */
  get requestHeaders(): HeaderMap {
    useContext(this.id);
    return REQUEST_HEADERS;
  }
  /** Request trailers: in `onRequestTrailers` (or added from the last `onRequestBody`). */
  get requestTrailers(): HeaderMap {
    useContext(this.id);
    return REQUEST_TRAILERS;
  }
  /** Response headers: from `onResponseHeaders` on; writable until they leave the filter. */
  get responseHeaders(): HeaderMap {
    useContext(this.id);
    return RESPONSE_HEADERS;
  }
  /** Response trailers: in `onResponseTrailers` (or added from the last `onResponseBody`). */
  get responseTrailers(): HeaderMap {
    useContext(this.id);
    return RESPONSE_TRAILERS;
  }
  /** The request body: in `onRequestBody`. */
  get requestBody(): Body {
    useContext(this.id);
    return REQUEST_BODY;
  }
  /** The response body: in `onResponseBody`. */
  get responseBody(): Body {
    useContext(this.id);
    return RESPONSE_BODY;
  }

  /** Resumes the request after a callback returned `Action.Pause` (e.g. from an http-call response). */
  continueRequest(): void {
    useContext(this.id);
    continueStream(StreamType.Request);
  }

  /** Resumes the response after a callback returned `Action.Pause`. */
  continueResponse(): void {
    useContext(this.id);
    continueStream(StreamType.Response);
  }

  /** Resets the stream (the client sees the connection/stream reset). */
  resetStream(): void {
    useContext(this.id);
    closeStream(StreamType.Request);
  }

  /**
   * Answers the client with `statusCode` and `body` instead of the upstream's response. The
   * reply leaves after the callback returns, which is then treated as a stop. Allowed before
   * the response headers left the filter; `details` names the reason in access logs, and
   * `grpcStatus` (0-16) marks a gRPC error (-1: none).
   */
  sendLocalResponse(statusCode: u32, body: string = "", headers: HeaderPair[] = [], details: string = "", grpcStatus: i32 = -1): void {
    useContext(this.id);
    const bytes = String.UTF8.encode(body);
    sendLocalResponse(statusCode, details, changetype<usize>(bytes), <usize>bytes.byteLength, headers, grpcStatus);
  }

  /** `sendLocalResponse` with a binary body. */
  sendLocalResponseBytes(statusCode: u32, body: ArrayBuffer, headers: HeaderPair[] = [], details: string = "", grpcStatus: i32 = -1): void {
    useContext(this.id);
    sendLocalResponse(statusCode, details, changetype<usize>(body), <usize>body.byteLength, headers, grpcStatus);
  }
}
