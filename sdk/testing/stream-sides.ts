/**
 * What weir's filter chain does around the one filter under test, for each direction of a
 * stream: the order in which a test may send headers, body and trailers; passing on what the
 * filter lets through (a continued body leaves its buffer); and, when the filter resumes a
 * paused direction (`proxy_continue_stream`), delivering the body and trailers that waited
 * meanwhile (Envoy's `continueDecoding`; `HttpStream` documents the same contract).
 */

import { AbiError, type HeaderMap, type HttpStream } from "../../proxy/abi/index.ts";
import type { CallbackName, CallbackResult } from "./results.ts";

export type Direction = "request" | "response";

/** Runs one stream callback and records its result. */
export type RunCallback = (callback: CallbackName, drive: () => number, redelivered?: boolean) => CallbackResult;

const EMPTY = new Uint8Array(0);

/** The host's stream operations for one direction. */
const OPS = {
  request: {
    body: (s: HttpStream, chunk: Uint8Array, end: boolean) => s.onRequestBody(chunk, end),
    trailers: (s: HttpStream, trailers: HeaderMap) => s.onRequestTrailers(trailers),
    take: (s: HttpStream) => s.takeRequestBody(),
    bodyPending: (s: HttpStream) => s.requestBodyPending,
    trailersPending: (s: HttpStream) => s.requestTrailersPending,
  },
  response: {
    body: (s: HttpStream, chunk: Uint8Array, end: boolean) => s.onResponseBody(chunk, end),
    trailers: (s: HttpStream, trailers: HeaderMap) => s.onResponseTrailers(trailers),
    take: (s: HttpStream) => s.takeResponseBody(),
    bodyPending: (s: HttpStream) => s.responseBodyPending,
    trailersPending: (s: HttpStream) => s.responseTrailersPending,
  },
} as const;

/** One direction of a stream as the chain sees it. */
export class Side {
  readonly direction: Direction;
  headersSent = false;
  /** End of stream was sent (headers or body with endOfStream, or trailers). */
  ended = false;
  trailers: HeaderMap | undefined;
  /** Body the filter let through. */
  readonly forwarded: Uint8Array[] = [];

  constructor(direction: Direction) {
    this.direction = direction;
  }

  /** Throws unless `callback` (a body chunk or trailers) may be sent on this side now. */
  expectData(callback: CallbackName): void {
    if (!this.headersSent) throw new AbiError(`http.${callback} called before ${this.direction}Headers`);
    if (this.ended)
      throw new AbiError(`http.${callback} called after the ${this.direction} ended (endOfStream or trailers were already sent)`);
  }

  /** Moves what the filter let through out of its buffer. */
  forward(stream: HttpStream): void {
    const body = OPS[this.direction].take(stream);
    if (body.byteLength > 0) this.forwarded.push(body);
  }

  /**
   * The filter resumed this direction: what it held passes on, and the body and trailers that
   * waited while it paused at the headers reach it now. Trailers reach it even if it keeps
   * buffering the body, as the host delivers them to a buffering filter.
   */
  resume(stream: HttpStream, run: RunCallback): void {
    const ops = OPS[this.direction];
    if (this.direction === "response") stream.markResponseStarted();
    if (ops.bodyPending(stream)) {
      const end = this.ended && this.trailers === undefined;
      if (run(`${this.direction}Body`, () => ops.body(stream, EMPTY, end), true).action === "continue") this.forward(stream);
    } else {
      this.forward(stream);
    }
    const trailers = this.trailers;
    if (trailers !== undefined && ops.trailersPending(stream) && stream.localReply === undefined) {
      if (run(`${this.direction}Trailers`, () => ops.trailers(stream, trailers), true).action === "continue") this.forward(stream);
    }
  }
}

/** Why response headers cannot come now, or undefined when they can. */
export function responseRefusal(stream: HttpStream, request: Side, response: Side): string | undefined {
  if (!request.headersSent) return "before requestHeaders";
  if (stream.localReply) {
    return `after the filter sent a local response (${stream.localReply.status}): no upstream answers such a stream; inspect http.localResponse`;
  }
  if (stream.resetDetails) return `after the filter reset the stream (${stream.resetDetails})`;
  if (stream.requestPaused) {
    return "while the filter holds the request (it paused and has not continued): answer what it waits for first, e.g. host.httpCalls";
  }
  if (response.headersSent) return "twice: the response headers were already sent";
  return undefined;
}
