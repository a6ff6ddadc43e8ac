/**
 * Response flags: the short codes that say why a response is not simply the upstream's —
 * Envoy's `%RESPONSE_FLAGS%` vocabulary, which operators already know from Istio and Envoy
 * logs, plus three of weir's own for Wasm filter outcomes. Every locally generated response
 * carries at least one, in the access log and in the `x-weir-response-flags` response header.
 *
 * Codes, long names and meanings follow Envoy's `StreamInfo::ResponseFlagUtils`
 * (source/common/stream_info/utility.h) and the access-log docs
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#response-flags);
 * several flags are rendered in Envoy's order, joined by commas (`UF,URX`). When weir sets
 * each one is in `proxy/admin/README.md`.
 */

/** One short code per outcome. */
export const ResponseFlag = {
  /** Local service failed a health check request (503). Not set by weir (no local health check). */
  LH: "LH",
  /** No healthy upstream host in the cluster (503). */
  UH: "UH",
  /** Upstream request timeout (504). */
  UT: "UT",
  /** Local reset (503). */
  LR: "LR",
  /** Upstream remote reset (503). */
  UR: "UR",
  /** Upstream connection failure (503). */
  UF: "UF",
  /** Upstream connection termination (503). */
  UC: "UC",
  /** Upstream overflow: a circuit breaker tripped (503). */
  UO: "UO",
  /** No route for the request (404). */
  NR: "NR",
  /** Delayed by fault injection. */
  DI: "DI",
  /** Aborted by fault injection. */
  FI: "FI",
  /** Rate limited locally (429). */
  RL: "RL",
  /** Denied by the external authorization service (403). */
  UAEX: "UAEX",
  /** The rate limit service failed. */
  RLSE: "RLSE",
  /** Downstream connection termination. */
  DC: "DC",
  /** Upstream retry limit exceeded. */
  URX: "URX",
  /** Stream idle timeout (408). */
  SI: "SI",
  /** Invalid value in a strictly checked request header (400). */
  IH: "IH",
  /** Downstream protocol error. */
  DPE: "DPE",
  /** Upstream max stream duration reached. */
  UMSDR: "UMSDR",
  /** Response served from a cache filter. */
  RFCF: "RFCF",
  /** No filter configuration found. */
  NFCF: "NFCF",
  /** Max connection or stream duration exceeded. */
  DT: "DT",
  /** Upstream protocol error (502). */
  UPE: "UPE",
  /** Upstream cluster not found (503). */
  NC: "NC",
  /** Overload manager terminated the request. */
  OM: "OM",
  /** DNS resolution failed (503). */
  DF: "DF",
  /** Dropped by drop_overload. */
  DO: "DO",
  /** Downstream remote reset. */
  DR: "DR",
  /** weir: a Wasm filter failed (trap, CPU budget, memory cap, proc_exit) or is not loaded, and fail-closed answered 503. */
  WF: "WF",
  /** weir: a Wasm filter failed and its fail-open policy skipped it; the request went on without it. */
  WFO: "WFO",
  /** weir: a Wasm filter answered the request itself (`proxy_send_local_response`), e.g. 401/403 from auth, 429 from a rate limit. */
  WLR: "WLR",
} as const;

export type ResponseFlag = (typeof ResponseFlag)[keyof typeof ResponseFlag];

export interface ResponseFlagInfo {
  flag: ResponseFlag;
  /** Envoy's long name (`%RESPONSE_FLAGS_LONG%`). */
  long: string;
  meaning: string;
  /** The status weir answers with when it generates the response for this reason; undefined when the flag implies none. */
  status: number | undefined;
}

/** Every flag in rendering order: Envoy's core flags in Envoy's order, then weir's. */
export const RESPONSE_FLAGS: readonly ResponseFlagInfo[] = Object.freeze(
  (
    [
      ["LH", "FailedLocalHealthCheck", "local service failed a health check request", 503],
      ["UH", "NoHealthyUpstream", "no healthy upstream host in the cluster", 503],
      ["UT", "UpstreamRequestTimeout", "upstream request timeout", 504],
      ["LR", "LocalReset", "the stream was reset locally", 503],
      ["UR", "UpstreamRemoteReset", "the upstream reset the stream", 503],
      ["UF", "UpstreamConnectionFailure", "upstream connection failure", 503],
      ["UC", "UpstreamConnectionTermination", "the upstream connection closed before the response", 503],
      ["UO", "UpstreamOverflow", "upstream overflow: a circuit breaker tripped", 503],
      ["NR", "NoRouteFound", "no route matched the request", 404],
      ["DI", "DelayInjected", "delayed by fault injection", undefined],
      ["FI", "FaultInjected", "aborted by fault injection", undefined],
      ["RL", "RateLimited", "rate limited locally", 429],
      ["UAEX", "UnauthorizedExternalService", "denied by the external authorization service", 403],
      ["RLSE", "RateLimitServiceError", "the rate limit service failed", 500],
      ["DC", "DownstreamConnectionTermination", "the downstream connection closed before the response completed", undefined],
      ["URX", "UpstreamRetryLimitExceeded", "the retry limit was reached (the last attempt's response or error stands)", undefined],
      ["SI", "StreamIdleTimeout", "stream idle timeout", 408],
      ["IH", "InvalidEnvoyRequestHeaders", "invalid value in a strictly checked request header", 400],
      ["DPE", "DownstreamProtocolError", "the downstream request had an HTTP protocol error", 400],
      ["UMSDR", "UpstreamMaxStreamDurationReached", "the upstream request reached its max stream duration", 504],
      ["RFCF", "ResponseFromCacheFilter", "response served from a cache filter", undefined],
      ["NFCF", "NoFilterConfigFound", "no filter configuration found", 500],
      ["DT", "DurationTimeout", "max connection or stream duration exceeded", undefined],
      ["UPE", "UpstreamProtocolError", "the upstream response had an HTTP protocol error", 502],
      ["NC", "NoClusterFound", "the upstream cluster does not exist", 503],
      ["OM", "OverloadManagerTerminated", "the overload manager terminated the request", 503],
      ["DF", "DnsResolutionFailed", "DNS resolution failed", 503],
      ["DO", "DropOverload", "dropped by drop_overload", 503],
      ["DR", "DownstreamRemoteReset", "the downstream reset the stream", undefined],
      ["WF", "WasmFilterFailed", "a Wasm filter failed or is not loaded and fail-closed answered", 503],
      ["WFO", "WasmFilterFailedOpen", "a Wasm filter failed and fail-open skipped it", undefined],
      ["WLR", "WasmFilterLocalReply", "a Wasm filter answered the request itself", undefined],
    ] as const
  ).map(([flag, long, meaning, status]) => Object.freeze({ flag, long, meaning, status })),
);

const INFO = new Map<string, ResponseFlagInfo>(RESPONSE_FLAGS.map((info) => [info.flag, info]));
const ORDER = new Map<string, number>(RESPONSE_FLAGS.map((info, i) => [info.flag, i]));

/** The response header that carries a response's flags. */
export const RESPONSE_FLAGS_HEADER = "x-weir-response-flags";

/** True when `value` is a known short code. */
export function isResponseFlag(value: string): value is ResponseFlag {
  return INFO.has(value);
}

/** Envoy's long name, meaning and weir's status for `flag`. */
export function responseFlagInfo(flag: ResponseFlag): ResponseFlagInfo {
  return INFO.get(flag) as ResponseFlagInfo;
}

/**
 * Adds `flag` to a request's flags unless present (two failed attempts still give one `UF`).
 *
 * @example
 * ```ts
 * addResponseFlag(record.responseFlags, ResponseFlag.UF);
 * ```
 */
export function addResponseFlag(flags: ResponseFlag[], flag: ResponseFlag): void {
  if (!flags.includes(flag)) flags.push(flag);
}

/**
 * As `%RESPONSE_FLAGS%` prints them: `-` for none, else the codes in Envoy's order joined by
 * commas (`UF,URX`); `long` prints Envoy's long names (`%RESPONSE_FLAGS_LONG%`).
 */
export function formatResponseFlags(flags: readonly ResponseFlag[], long = false): string {
  if (flags.length === 0) return "-";
  if (flags.length === 1) return long ? responseFlagInfo(flags[0]).long : flags[0];
  const sorted = [...flags].sort((a, b) => (ORDER.get(a) ?? 99) - (ORDER.get(b) ?? 99));
  return (long ? sorted.map((f) => responseFlagInfo(f).long) : sorted).join(",");
}

/** Reads a `%RESPONSE_FLAGS%` value or the header back; unknown codes (a newer weir's) are left out. */
export function parseResponseFlags(text: string | null | undefined): ResponseFlag[] {
  if (!text || text === "-") return [];
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(isResponseFlag);
}

/**
 * Flags kept out of the header, though logged: `WFO` would tell any client that a (perhaps
 * security) filter is failing open and being skipped.
 */
const LOG_ONLY: ReadonlySet<ResponseFlag> = new Set([ResponseFlag.WFO]);

/**
 * Puts the flags in the `x-weir-response-flags` header when there are any to show (works with
 * `Headers` and the host's `HeaderMap`). A hop that adds flags replaces what an upstream hop
 * sent; a response proxied without flags keeps the upstream hop's header, so the client sees
 * the reason from the hop nearest to the failure. `WFO` is never shown (`LOG_ONLY`).
 *
 * @example
 * ```ts
 * setResponseFlagsHeader(headers, [ResponseFlag.UO]); // x-weir-response-flags: UO
 * ```
 */
export function setResponseFlagsHeader(headers: { set(name: string, value: string): void }, flags: readonly ResponseFlag[]): void {
  if (flags.length === 0) return;
  const shown = flags.some((f) => LOG_ONLY.has(f)) ? flags.filter((f) => !LOG_ONLY.has(f)) : flags;
  if (shown.length > 0) headers.set(RESPONSE_FLAGS_HEADER, formatResponseFlags(shown));
}

/**
 * Envoy's response code details of its own local rate limit and ext_authz filters: a Wasm
 * filter that answers with one of them (weir's `ratelimit` and `auth` do) gets Envoy's flag
 * too, so a 429 reads `RL` as operators expect.
 */
const DETAILS_FLAGS: Readonly<Record<string, ResponseFlag>> = {
  local_rate_limited: ResponseFlag.RL,
  request_rate_limited: ResponseFlag.RL,
  rate_limit_service_error: ResponseFlag.RLSE,
  ext_authz_denied: ResponseFlag.UAEX,
  ext_authz_error: ResponseFlag.UAEX,
};

/**
 * The flags for a local reply a filter sent, from its details: `WF` for the host's fail-closed
 * answer (`wasm_fail_stream`); otherwise `WLR`, plus Envoy's `RL`, `RLSE` or `UAEX` when the
 * details are Envoy's words for a rate limit or an authorization denial.
 *
 * @example
 * ```ts
 * filterLocalReplyFlags("local_rate_limited"); // ["RL", "WLR"]
 * ```
 */
export function filterLocalReplyFlags(details: string): ResponseFlag[] {
  if (details === "wasm_fail_stream") return [ResponseFlag.WF];
  const envoy = DETAILS_FLAGS[details];
  return envoy ? [envoy, ResponseFlag.WLR] : [ResponseFlag.WLR];
}
