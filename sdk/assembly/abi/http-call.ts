// Http callouts: `proxy_http_call` dispatches a request to a cluster the proxy knows (a name,
// not a URL — proxy-wasm-rust-sdk#8) and `proxy_get_status` says why one failed. Each raw
// import sits right above its typed wrapper.

import { encodePairs, HeaderPair, pairsSizeBound, writePairs } from "../pairs";
import { LogLevel, Status } from "./enums";
import { callFailed, quote } from "./failure";
import { log } from "./log";
import { KEY, RETURN_DATA, RETURN_SCALAR, RETURN_SIZE, takeString, VALUE } from "./memory";

// @ts-ignore: decorator
@external("env", "proxy_http_call")
declare function proxy_http_call(
  upstream: usize,
  upstreamSize: usize,
  headers: usize,
  headersSize: usize,
  body: usize,
  bodySize: usize,
  trailers: usize,
  trailersSize: usize,
  timeoutMs: u32,
  returnToken: usize,
): u32;

/**
 * Sends a request to `cluster`; returns the call's token, or 0 when the host refused it
 * (BAD_ARGUMENT: unknown cluster or headers without `:method`, `:path` and `:authority`),
 * which is logged at warn.
 */
export function httpCall(cluster: string, headers: HeaderPair[], body: usize, bodySize: usize, trailers: HeaderPair[], timeoutMs: u32): u32 {
  const clusterPtr = KEY.encode(cluster);
  const headersPtr = VALUE.reserve(pairsSizeBound(headers));
  const headersSize = writePairs(headers, headersPtr);
  const trailerBytes = encodePairs(trailers);
  const status = proxy_http_call(
    clusterPtr,
    KEY.length,
    headersPtr,
    headersSize,
    body,
    bodySize,
    changetype<usize>(trailerBytes),
    <usize>trailerBytes.byteLength,
    timeoutMs,
    RETURN_SCALAR,
  );
  if (status == Status.Ok) return load<u32>(RETURN_SCALAR);
  const message = callFailed("proxy_http_call", quote(cluster), status);
  if (status == Status.BadArgument || status == Status.InternalFailure) {
    log(LogLevel.Warn, message + " (unknown cluster, or headers without :method, :path and :authority)");
    return 0;
  }
  throw new Error(message);
}

// @ts-ignore: decorator
@external("env", "proxy_get_status")
declare function proxy_get_status(returnCode: usize, returnMessage: usize, returnMessageSize: usize): u32;

/** Why the last http call failed, e.g. `timeout` or `reset` (empty when it did not). */
export function lastCallFailure(): string {
  const status = proxy_get_status(RETURN_SCALAR, RETURN_DATA, RETURN_SIZE);
  if (status != Status.Ok) throw new Error(callFailed("proxy_get_status", "", status));
  return takeString();
}
