// What went wrong with an attempt, and whether the configuration retries it. The conditions
// are Envoy's `retry_on` (source/common/router/retry_state_impl.cc), as weir's route-level
// retries apply them (proxy/core/cluster/retry.ts):
//
// | retryOn                  | status                 | timeout (UT) | reset (UC, UR) | connect failure (UF) |
// |--------------------------|------------------------|--------------|----------------|----------------------|
// | `5xx`                    | 500-599                | yes          | yes            | yes                  |
// | `gateway-error`          | 502, 503, 504          | yes          | yes            | yes                  |
// | `reset`                  |                        | yes          | yes            | yes                  |
// | `connect-failure`        |                        |              |                | yes                  |
// | `retriable-status-codes` | `retriableStatusCodes` |              |                |                      |
//
// Transport failures reach a filter as the proxy's local reply (503 or 504) with the response
// flag in `x-weir-response-flags`, or in the `response.flags` property.

import { ON_5XX, ON_CONNECT_FAILURE, ON_GATEWAY_ERROR, ON_RESET, RetrySettings } from "./settings";

/** Why an attempt failed (the `cause` tag of `retry_attempts`). */
export enum Cause {
  /** Not a failure this filter knows how to retry. */
  None = 0,
  ServerError = 1,
  GatewayError = 2,
  RetriableStatusCode = 3,
  ConnectFailure = 4,
  Reset = 5,
  Timeout = 6,
  /** A reply the proxy made for a reason a retry cannot fix (no route, overflow, its own retries spent…). */
  ProxyReply = 7,
}

/** Tag values of `Cause`, in order (`None` and `ProxyReply` are never retried, so never tagged). */
export const CAUSE_NAMES: string[] = ["none", "5xx", "gateway-error", "retriable-status-code", "connect-failure", "reset", "timeout", "proxy-reply"];

/** The response flags header weir adds to its own replies (proxy/core/http/proxy-stream.ts `FLAGS_HEADER`). */
export const FLAGS_HEADER = "x-weir-response-flags";

/** `:status` as a number, or 0 when it is not three digits. */
export function parseStatus(value: string | null): i32 {
  if (value === null || value.length != 3) return 0;
  let status = 0;
  for (let i = 0; i < 3; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return 0;
    status = status * 10 + digit;
  }
  return status;
}

/** Whether the comma-separated `flags` ("URX,UF") contain `flag`. */
export function hasFlag(flags: string, flag: string): bool {
  let start = 0;
  while (start <= flags.length) {
    let end = flags.indexOf(",", start);
    if (end < 0) end = flags.length;
    if (end - start == flag.length && flags.substring(start, end) == flag) return true;
    start = end + 1;
  }
  return false;
}

/**
 * Classifies an attempt's response. `flags` ("" when none) wins over the status: a flagged
 * 503 is the proxy speaking, not the upstream. Flags other than UF, UT, UC and UR mark replies
 * a retry cannot fix (NR, NC, UH, UO, DC, URX — the route's own retries are spent — …).
 */
export function causeOf(status: i32, flags: string, settings: RetrySettings): Cause {
  if (flags.length > 0) {
    if (hasFlag(flags, "UF")) return Cause.ConnectFailure;
    if (hasFlag(flags, "UT")) return Cause.Timeout;
    if (hasFlag(flags, "UC") || hasFlag(flags, "UR")) return Cause.Reset;
    return Cause.ProxyReply;
  }
  if (settings.isListed(status)) return Cause.RetriableStatusCode;
  if (status >= 502 && status <= 504) return Cause.GatewayError;
  if (status >= 500 && status <= 599) return Cause.ServerError;
  return Cause.None;
}

/** Whether `settings.retryOn` retries `cause` (the table above). */
export function retries(cause: Cause, settings: RetrySettings): bool {
  const on = settings.retryOn;
  switch (cause) {
    case Cause.RetriableStatusCode:
      return true; // causeOf only says so when the list is enabled
    case Cause.GatewayError:
      return (on & (ON_5XX | ON_GATEWAY_ERROR)) != 0;
    case Cause.ServerError:
      return (on & ON_5XX) != 0;
    case Cause.ConnectFailure:
      return (on & (ON_5XX | ON_GATEWAY_ERROR | ON_RESET | ON_CONNECT_FAILURE)) != 0;
    case Cause.Reset:
    case Cause.Timeout:
      return (on & (ON_5XX | ON_GATEWAY_ERROR | ON_RESET)) != 0;
    default:
      return false;
  }
}

/** RFC 9110 §9.2.2 idempotent methods. */
export function isIdempotent(method: string | null): bool {
  if (method === null) return false;
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" || method == "DELETE" || method == "TRACE";
}
