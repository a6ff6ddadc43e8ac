/**
 * One access-log line per outcome the proxy produces, in both formats, pinned byte for byte:
 * a proxied 200, a local 404 (no route), a 503 from a tripped circuit breaker, a 504 upstream
 * timeout, a 403 a filter answered itself, and the 503 of a filter that failed closed.
 */

import { describe, expect, it } from "vitest";
import { formatJson } from "./format-json.ts";
import { formatText } from "./format-text.ts";
import { type AccessLogRecord, createAccessLogRecord } from "./record.ts";
import { addResponseFlag, filterLocalReplyFlags, ResponseFlag } from "./response-flags.ts";

const START = Date.UTC(2024, 4, 1, 12, 0, 0, 42);

function request(init: Partial<AccessLogRecord>): AccessLogRecord {
  return createAccessLogRecord({
    startTime: START,
    method: "GET",
    protocol: "HTTP/1.1",
    userAgent: "curl/8.5.0",
    authority: "app.local",
    listener: "inbound",
    ...init,
  });
}

const proxied200 = () =>
  request({
    path: "/api/items",
    responseCode: 200,
    responseCodeDetails: "via_upstream",
    bytesSent: 512,
    duration: 7.8,
    upstreamServiceTime: 5.3,
    xForwardedFor: "10.0.0.7",
    requestId: "req-1",
    upstreamHost: "127.0.0.1:8080",
    upstreamCluster: "app",
    routeName: "api",
    upstreamRequestAttemptCount: 1,
  });

function noRoute404(): AccessLogRecord {
  const r = request({ path: "/nope", responseCode: 404, responseCodeDetails: "route_not_found", requestId: "req-2", duration: 0.3 });
  addResponseFlag(r.responseFlags, ResponseFlag.NR);
  return r;
}

function overflow503(): AccessLogRecord {
  const r = request({
    method: "POST",
    path: "/orders",
    protocol: "HTTP/2",
    responseCode: 503,
    responseCodeDetails: "overflow",
    bytesReceived: 128,
    bytesSent: 81,
    duration: 1,
    requestId: "req-3",
    upstreamCluster: "orders",
    routeName: "orders",
  });
  addResponseFlag(r.responseFlags, ResponseFlag.UO);
  return r;
}

function timeout504(): AccessLogRecord {
  const r = request({
    path: "/slow",
    responseCode: 504,
    responseCodeDetails: "upstream_response_timeout",
    bytesSent: 24,
    duration: 15000.4,
    requestId: "req-4",
    upstreamHost: "10.1.0.5:8080",
    upstreamCluster: "app",
    upstreamRequestAttemptCount: 1,
  });
  addResponseFlag(r.responseFlags, ResponseFlag.UT);
  return r;
}

function filter403(): AccessLogRecord {
  const r = request({
    path: "/admin",
    responseCode: 403,
    responseCodeDetails: "jwt_missing",
    bytesSent: 9,
    duration: 2,
    requestId: "req-5",
    filterState: { "auth.reason": "no bearer token" },
  });
  for (const flag of filterLocalReplyFlags("jwt_missing")) addResponseFlag(r.responseFlags, flag);
  return r;
}

function failedFilter503(): AccessLogRecord {
  const r = request({
    path: "/",
    responseCode: 503,
    responseCodeDetails: "wasm_fail_stream",
    bytesSent: 19,
    duration: 3,
    requestId: "req-6",
  });
  for (const flag of filterLocalReplyFlags("wasm_fail_stream")) addResponseFlag(r.responseFlags, flag);
  return r;
}

describe("access log lines (Envoy's default text format)", () => {
  it.each([
    [
      "a proxied 200",
      proxied200,
      '[2024-05-01T12:00:00.042Z] "GET /api/items HTTP/1.1" 200 - 0 512 7 5 "10.0.0.7" "curl/8.5.0" "req-1" "app.local" "127.0.0.1:8080"\n',
    ],
    [
      "a local 404 with no route",
      noRoute404,
      '[2024-05-01T12:00:00.042Z] "GET /nope HTTP/1.1" 404 NR 0 0 0 - "-" "curl/8.5.0" "req-2" "app.local" "-"\n',
    ],
    [
      "a 503 from a tripped circuit breaker",
      overflow503,
      '[2024-05-01T12:00:00.042Z] "POST /orders HTTP/2" 503 UO 128 81 1 - "-" "curl/8.5.0" "req-3" "app.local" "-"\n',
    ],
    [
      "a 504 upstream timeout",
      timeout504,
      '[2024-05-01T12:00:00.042Z] "GET /slow HTTP/1.1" 504 UT 0 24 15000 - "-" "curl/8.5.0" "req-4" "app.local" "10.1.0.5:8080"\n',
    ],
    [
      "a 403 a filter answered itself",
      filter403,
      '[2024-05-01T12:00:00.042Z] "GET /admin HTTP/1.1" 403 WLR 0 9 2 - "-" "curl/8.5.0" "req-5" "app.local" "-"\n',
    ],
    [
      "the 503 of a filter that failed closed",
      failedFilter503,
      '[2024-05-01T12:00:00.042Z] "GET / HTTP/1.1" 503 WF 0 19 3 - "-" "curl/8.5.0" "req-6" "app.local" "-"\n',
    ],
  ])("%s", (_, make, line) => {
    expect(formatText(make())).toBe(line);
  });
});

describe("access log lines (JSON)", () => {
  it("a proxied 200, key for key", () => {
    expect(formatJson(proxied200())).toBe(
      `${JSON.stringify({
        start_time: "2024-05-01T12:00:00.042Z",
        method: "GET",
        path: "/api/items",
        protocol: "HTTP/1.1",
        response_code: 200,
        response_flags: "-",
        response_code_details: "via_upstream",
        bytes_received: 0,
        bytes_sent: 512,
        duration: 7,
        upstream_service_time: 5,
        x_forwarded_for: "10.0.0.7",
        user_agent: "curl/8.5.0",
        request_id: "req-1",
        authority: "app.local",
        upstream_host: "127.0.0.1:8080",
        upstream_cluster: "app",
        route_name: "api",
        upstream_request_attempt_count: 1,
        downstream_remote_address: null,
        downstream_local_address: null,
        listener: "inbound",
        filter_state: null,
      })}\n`,
    );
  });

  it.each([
    [
      "a local 404 with no route",
      noRoute404,
      { response_code: 404, response_flags: "NR", response_code_details: "route_not_found", upstream_host: null },
    ],
    [
      "a 503 from a tripped circuit breaker",
      overflow503,
      { response_code: 503, response_flags: "UO", protocol: "HTTP/2", upstream_cluster: "orders" },
    ],
    ["a 504 upstream timeout", timeout504, { response_code: 504, response_flags: "UT", duration: 15000, upstream_service_time: null }],
    [
      "a 403 a filter answered itself",
      filter403,
      {
        response_code: 403,
        response_flags: "WLR",
        response_code_details: "jwt_missing",
        filter_state: { "auth.reason": "no bearer token" },
      },
    ],
    [
      "the 503 of a filter that failed closed",
      failedFilter503,
      { response_code: 503, response_flags: "WF", response_code_details: "wasm_fail_stream" },
    ],
  ])("%s", (_, make, expected) => {
    const line = formatJson(make());
    expect(line.endsWith("\n")).toBe(true);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(JSON.parse(line)).toMatchObject(expected);
  });
});

describe("JSON escaping", () => {
  it("gives exactly what JSON.stringify gives for values that need escaping", () => {
    const awkward = ['say "hi"', "back\\slash", "tab\there", "emoji 🚀", "lone \ud800 surrogate", "ünïcödé", "\u0001"];
    for (const value of awkward) {
      const line = formatJson(request({ path: value, userAgent: value, filterState: { k: value } }));
      const parsed = JSON.parse(line);
      expect(parsed.path).toBe(value);
      expect(line).toContain(`"path":${JSON.stringify(value)},`);
      expect(parsed.filter_state).toEqual({ k: value });
    }
  });
});

describe("a 429 from the rate limit filter", () => {
  it("reads RL,WLR when the filter answers with Envoy's details", () => {
    const r = request({
      path: "/api",
      responseCode: 429,
      responseCodeDetails: "local_rate_limited",
      bytesSent: 18,
      duration: 0,
      requestId: "req-7",
    });
    for (const flag of filterLocalReplyFlags("local_rate_limited")) addResponseFlag(r.responseFlags, flag);
    expect(formatText(r)).toBe(
      '[2024-05-01T12:00:00.042Z] "GET /api HTTP/1.1" 429 RL,WLR 0 18 0 - "-" "curl/8.5.0" "req-7" "app.local" "-"\n',
    );
  });
});
