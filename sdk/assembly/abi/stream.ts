// Acting on a stream: which context host calls target (`proxy_set_effective_context`),
// resuming and resetting it, and answering it locally. Each raw import sits right above its
// typed wrapper.
//
// The host makes a callback's own context effective when it calls in; the dispatcher
// records that with `enterContext`, so `useContext` only calls the host when a callback acts
// on another context (a root resuming a stream from `onTick`, an http-call response).

import { HeaderPair, pairsSizeBound, writePairs } from "../pairs";
import { Status, StreamType } from "./enums";
import { callFailed, quote } from "./failure";
import { KEY, VALUE } from "./memory";

let effective: u32 = 0;

/** Records that the host just entered a callback of context `id` (the dispatcher's job). */
// @ts-ignore: decorator
@inline export function enterContext(id: u32): void {
  effective = id;
}

// @ts-ignore: decorator
@external("env", "proxy_set_effective_context")
declare function proxy_set_effective_context(id: u32): u32;

/** Makes context `id` the one host calls act on, unless it already is. */
export function useContext(id: u32): void {
  if (effective == id) return;
  const status = proxy_set_effective_context(id);
  if (status != Status.Ok) throw new Error(callFailed("proxy_set_effective_context", id.toString(), status));
  effective = id;
}

// @ts-ignore: decorator
@external("env", "proxy_continue_stream")
declare function proxy_continue_stream(stream: u32): u32;

/** Resumes the request or response path of the effective stream after it paused. */
export function continueStream(stream: StreamType): void {
  const status = proxy_continue_stream(stream);
  if (status != Status.Ok) throw new Error(callFailed("proxy_continue_stream", stream == StreamType.Request ? "request" : "response", status));
}

// @ts-ignore: decorator
@external("env", "proxy_close_stream")
declare function proxy_close_stream(stream: u32): u32;

/** Resets the effective stream. */
export function closeStream(stream: StreamType): void {
  const status = proxy_close_stream(stream);
  if (status != Status.Ok) throw new Error(callFailed("proxy_close_stream", stream == StreamType.Request ? "request" : "response", status));
}

// @ts-ignore: decorator
@external("env", "proxy_send_local_response")
declare function proxy_send_local_response(
  statusCode: u32,
  details: usize,
  detailsSize: usize,
  body: usize,
  bodySize: usize,
  headers: usize,
  headersSize: usize,
  grpcStatus: i32,
): u32;

/**
 * Answers the effective stream with a response of its own instead of the upstream's. The
 * current callback's result is overridden to a stop; the reply leaves after it returns.
 */
export function sendLocalResponse(statusCode: u32, details: string, body: usize, bodySize: usize, headers: HeaderPair[], grpcStatus: i32): void {
  const detailsPtr = KEY.encode(details);
  const headersPtr = VALUE.reserve(pairsSizeBound(headers));
  const headersSize = writePairs(headers, headersPtr);
  const status = proxy_send_local_response(statusCode, detailsPtr, KEY.length, body, bodySize, headersPtr, headersSize, grpcStatus);
  if (status != Status.Ok) {
    throw new Error(callFailed("proxy_send_local_response", statusCode.toString() + ", " + quote(details), status));
  }
}
