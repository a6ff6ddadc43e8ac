/**
 * What the access log knows about one request: filled in by the proxy as the request goes
 * (start, route, upstream, flags, bytes) and handed to a formatter when the response ends.
 * Field meanings follow Envoy's command operators; the operator each field feeds is named in
 * its comment.
 */

import type { ResponseFlag } from "./response-flags.ts";

/** Header lookup, as both `Headers` and the host's `HeaderMap` provide it. */
export interface HeaderLookup {
  get(name: string): string | null | undefined;
}

export interface AccessLogRecord {
  /** When the first byte of the request arrived, ms since the epoch (`%START_TIME%`). */
  startTime: number;
  /** `%REQ(:METHOD)%` */
  method: string;
  /** The path as the client sent it, before any rewrite (`%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%`). */
  path: string;
  /** `HTTP/1.1`, `HTTP/2` (`%PROTOCOL%`). */
  protocol: string;
  /** The status sent downstream; 0 when no response was sent (`%RESPONSE_CODE%`). */
  responseCode: number;
  /** Why the response is not simply the upstream's (`%RESPONSE_FLAGS%`); add with `addResponseFlag`. */
  responseFlags: ResponseFlag[];
  /** Who set the status and why, in Envoy's words: `via_upstream`, `route_not_found`, … (`%RESPONSE_CODE_DETAILS%`). */
  responseCodeDetails: string | undefined;
  /** Request body bytes (`%BYTES_RECEIVED%`). */
  bytesReceived: number;
  /** Response body bytes (`%BYTES_SENT%`). */
  bytesSent: number;
  /** ms from `startTime` to the last byte sent (`%DURATION%`; printed truncated to whole ms, as Envoy does). */
  duration: number;
  /** ms from sending upstream to the upstream's response headers; unset for local replies (`%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%`). */
  upstreamServiceTime: number | undefined;
  /** `%REQ(X-FORWARDED-FOR)%` */
  xForwardedFor: string | undefined;
  /** `%REQ(USER-AGENT)%` */
  userAgent: string | undefined;
  /** `%REQ(X-REQUEST-ID)%` */
  requestId: string | undefined;
  /** `%REQ(:AUTHORITY)%` */
  authority: string | undefined;
  /** `host:port` of the upstream endpoint of the last attempt (`%UPSTREAM_HOST%`). */
  upstreamHost: string | undefined;
  /** `%UPSTREAM_CLUSTER%` */
  upstreamCluster: string | undefined;
  /** `%ROUTE_NAME%` */
  routeName: string | undefined;
  /** Attempts sent upstream, 0 when none (`%UPSTREAM_REQUEST_ATTEMPT_COUNT%`). */
  upstreamRequestAttemptCount: number;
  /** `%DOWNSTREAM_REMOTE_ADDRESS%` */
  downstreamRemoteAddress: string | undefined;
  /** `%DOWNSTREAM_LOCAL_ADDRESS%` */
  downstreamLocalAddress: string | undefined;
  /** The listener that took the request. */
  listener: string | undefined;
  /** Values filters left for the log (`%FILTER_STATE(key)%`; the JSON line's `filter_state`). */
  filterState: Readonly<Record<string, string>> | undefined;
  /** For `%REQ(name)%` of headers without a field above. */
  requestHeaders: HeaderLookup | undefined;
  /** For `%RESP(name)%`. */
  responseHeaders: HeaderLookup | undefined;
}

/**
 * A record with every field present (unset ones `undefined`), so all records share one shape
 * and stay cheap to fill on the hot path.
 *
 * @example
 * ```ts
 * const record = createAccessLogRecord({ startTime: Date.now(), method: "GET", path: "/", protocol: "HTTP/1.1" });
 * record.responseCode = 200;
 * ```
 */
export function createAccessLogRecord(init: Partial<AccessLogRecord> & Pick<AccessLogRecord, "startTime">): AccessLogRecord {
  const record: AccessLogRecord = {
    startTime: init.startTime,
    method: "",
    path: "",
    protocol: "",
    responseCode: 0,
    responseFlags: [],
    responseCodeDetails: undefined,
    bytesReceived: 0,
    bytesSent: 0,
    duration: 0,
    upstreamServiceTime: undefined,
    xForwardedFor: undefined,
    userAgent: undefined,
    requestId: undefined,
    authority: undefined,
    upstreamHost: undefined,
    upstreamCluster: undefined,
    routeName: undefined,
    upstreamRequestAttemptCount: 0,
    downstreamRemoteAddress: undefined,
    downstreamLocalAddress: undefined,
    listener: undefined,
    filterState: undefined,
    requestHeaders: undefined,
    responseHeaders: undefined,
  };
  return Object.assign(record, init);
}
