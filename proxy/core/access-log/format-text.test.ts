import { describe, expect, it } from "vitest";
import { HeaderMap } from "../../abi/header-map.ts";
import { compileFormat, ENVOY_DEFAULT_FORMAT, formatText } from "./format-text.ts";
import { createAccessLogRecord } from "./record.ts";
import { ResponseFlag } from "./response-flags.ts";
import { compileStartTime, isoStartTime } from "./start-time.ts";

const START = Date.UTC(2016, 3, 15, 20, 17, 0, 310);

describe("ENVOY_DEFAULT_FORMAT", () => {
  it("is Envoy's default format string", () => {
    // docs/root/configuration/observability/access_log/usage.rst, "Default Format String", joined on one line.
    expect(ENVOY_DEFAULT_FORMAT).toBe(
      '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n',
    );
  });

  it("reproduces the example line of Envoy's docs", () => {
    const record = createAccessLogRecord({
      startTime: START,
      method: "POST",
      path: "/api/v1/locations",
      protocol: "HTTP/2",
      responseCode: 204,
      bytesReceived: 154,
      bytesSent: 0,
      duration: 226,
      upstreamServiceTime: 100,
      xForwardedFor: "10.0.35.28",
      userAgent: "nsq2http",
      requestId: "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2",
      authority: "locations",
      upstreamHost: "tcp://10.0.2.1:80",
    });
    expect(formatText(record)).toBe(
      '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"\n',
    );
  });
});

describe("compileFormat", () => {
  const record = createAccessLogRecord({
    startTime: START,
    method: "GET",
    path: "/orig",
    protocol: "HTTP/1.1",
    responseCode: 503,
    responseFlags: [ResponseFlag.URX, ResponseFlag.UF],
    upstreamCluster: "backend",
    routeName: "r1",
    upstreamRequestAttemptCount: 3,
    filterState: { "auth.subject": "alice" },
    requestHeaders: new HeaderMap({ "x-tenant": "acme", "x-envoy-original-path": "/spoofed" }),
    responseHeaders: new Headers({ "content-type": "text/plain" }),
  });

  it("renders several flags in Envoy's order, and their long names", () => {
    expect(compileFormat("%RESPONSE_FLAGS% %RESPONSE_FLAGS_LONG%")(record)).toBe(
      "UF,URX UpstreamConnectionFailure,UpstreamRetryLimitExceeded",
    );
  });

  it("reads other headers from the request and response maps, with NAME?ALT and :N truncation", () => {
    expect(compileFormat("%REQ(X-TENANT)% %REQ(X-MISSING?X-TENANT)% %REQ(X-TENANT):2% %RESP(CONTENT-TYPE)% %REQ(X-NONE)%")(record)).toBe(
      "acme acme ac text/plain -",
    );
  });

  it("never takes the path from a client-sent x-envoy-original-path", () => {
    expect(compileFormat("%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%")(record)).toBe("/orig");
  });

  it("prints cluster, route, attempts and filter state", () => {
    expect(
      compileFormat("%UPSTREAM_CLUSTER% %ROUTE_NAME% %UPSTREAM_REQUEST_ATTEMPT_COUNT% %FILTER_STATE(auth.subject)% %FILTER_STATE(x)%")(
        record,
      ),
    ).toBe("backend r1 3 alice -");
  });

  it("takes strftime formats for START_TIME", () => {
    expect(compileFormat("%START_TIME(%Y/%m/%dT%H:%M:%S%z %s)%")(record)).toBe("2016/04/15T20:17:00+0000 1460751420");
    expect(compileFormat("%START_TIME(%s.%3f)% %START_TIME(%E6S)% %START_TIME(%F %T %j %%)%")(record)).toBe(
      "1460751420.310 00.310000 2016-04-15 20:17:00 106 %",
    );
  });

  it.each([
    ["%NOPE%", /%NOPE% at 0: unknown operator/],
    ["a % b", /"%" at 2 starts no operator/],
    ["%REQ%", /REQ needs an argument/],
    ["%PROTOCOL(x)%", /PROTOCOL takes no argument/],
    ["%REQ(a?b?c)%", /NAME\?ALTERNATIVE/],
    ["%START_TIME(%Q)%", /unknown specifier "%Q"/],
  ])("rejects %j", (format, message) => {
    expect(() => compileFormat(format)).toThrow(SyntaxError);
    expect(() => compileFormat(format)).toThrow(message);
  });
});

describe("start time", () => {
  it("renders ISO 8601 UTC with milliseconds, across second boundaries", () => {
    expect(isoStartTime(START)).toBe("2016-04-15T20:17:00.310Z");
    expect(isoStartTime(START + 5.9)).toBe("2016-04-15T20:17:00.315Z");
    expect(isoStartTime(START + 690)).toBe("2016-04-15T20:17:01.000Z");
    expect(isoStartTime(START - 310)).toBe("2016-04-15T20:17:00.000Z");
    for (const t of [0, 1, 999, 1000, 1_700_000_000_123]) expect(isoStartTime(t)).toBe(new Date(t).toISOString());
  });

  it("pads fractions to the digits asked for", () => {
    expect(compileStartTime("%f|%9f|%E3S")(START)).toBe("310000000|310000000|00.310");
  });
});
