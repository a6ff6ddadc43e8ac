/**
 * The runtime-neutral request checks (proxy/core/http/request-limits.ts) on their own: the
 * rules that hold whatever a runtime's parser lets through — Node's llhttp refuses most of these
 * bytes before the core sees them, Bun's, Deno's and an HTTP/2 stack may not — and the exchange
 * record and reply a refused request gets through handleRequest (no filter runs).
 */

import { describe, expect, it } from "vitest";
import { HeaderMap } from "../../proxy/abi/header-map.ts";
import { type ExchangeRecord, FLAGS_HEADER, handleRequest } from "../../proxy/core/http/proxy-stream.ts";
import { type CheckedRequest, DEFAULT_REQUEST_LIMITS, validateRequest } from "../../proxy/core/http/request-limits.ts";
import type { DownstreamRequest } from "../../proxy/core/http/types.ts";

function req(init: Partial<Omit<CheckedRequest, "headers">> & { headers?: [string, string][] } = {}): CheckedRequest {
  const headers = new HeaderMap(init.headers ?? [["host", init.authority ?? "app"]]);
  return { method: "GET", path: "/", authority: "app", protocol: "HTTP/1.1", ...init, headers };
}

const rejected = (r: CheckedRequest, limits = {}) => {
  const out = validateRequest(r, limits);
  return out === undefined ? undefined : { status: out.status, details: out.details, flag: out.flag };
};

describe("validateRequest", () => {
  it("lets a plain request through", () => {
    expect(validateRequest(req())).toBeUndefined();
    expect(validateRequest(req({ method: "OPTIONS", path: "*" }))).toBeUndefined();
    expect(validateRequest(req({ path: "http://app/x?y=1" }))).toBeUndefined(); // absolute form (the http-proxy listener)
  });

  it("uses the config defaults: 100 headers, 60 KiB, 8 KiB URI, 1 MiB body", () => {
    expect(DEFAULT_REQUEST_LIMITS).toEqual({
      maxHeaders: 100,
      maxHeadersSize: 60 * 1024,
      maxUriSize: 8 * 1024,
      maxBufferedBody: 1024 * 1024,
    });
  });

  it("header count past maxHeaders → 431", () => {
    const hundred: [string, string][] = [["host", "app"], ...Array.from({ length: 99 }, (_, i) => [`x-${i}`, "v"] as [string, string])];
    expect(validateRequest(req({ headers: hundred }))).toBeUndefined();
    expect(rejected(req({ headers: [...hundred, ["x-one-more", "v"]] }))).toEqual({
      status: 431,
      details: "request_headers_too_many",
      flag: "DPE",
    });
    expect(rejected(req(), { maxHeaders: 0 })?.status).toBe(431);
  });

  it("header bytes past maxHeadersSize → 431 (names and values, as Envoy counts them)", () => {
    const big = req({
      headers: [
        ["host", "app"],
        ["x-big", "a".repeat(61 * 1024)],
      ],
    });
    expect(rejected(big)).toEqual({ status: 431, details: "request_headers_too_large", flag: "DPE" });
    expect(
      rejected(
        req({
          headers: [
            ["host", "app"],
            ["x-a", "a".repeat(100)],
          ],
        }),
        { maxHeadersSize: 100 },
      )?.status,
    ).toBe(431);
  });

  it("a request target past maxUriSize → 414", () => {
    expect(validateRequest(req({ path: `/${"u".repeat(8 * 1024 - 1)}` }))).toBeUndefined();
    expect(rejected(req({ path: `/${"u".repeat(8 * 1024)}` }))).toEqual({ status: 414, details: "request_uri_too_long", flag: "DPE" });
  });

  it("NUL, CR or LF in a header value → 400", () => {
    for (const value of ["a\0b", "a\rb", "a\nb", "\r\nX-Smuggled: 1"]) {
      expect(
        rejected(
          req({
            headers: [
              ["host", "app"],
              ["x-a", value],
            ],
          }),
        ),
      ).toEqual({
        status: 400,
        details: "invalid_header_value",
        flag: "DPE",
      });
    }
    // A tab and obs-text are field content (RFC 9110 §5.5).
    expect(
      validateRequest(
        req({
          headers: [
            ["host", "app"],
            ["x-a", "a\tb\xe9"],
          ],
        }),
      ),
    ).toBeUndefined();
  });

  it("a header name that is not a token, a bad method or path → 400", () => {
    expect(
      rejected(
        req({
          headers: [
            ["host", "app"],
            ["x a", "v"],
          ],
        }),
      )?.details,
    ).toBe("invalid_header_name");
    expect(
      rejected(
        req({
          headers: [
            ["host", "app"],
            ["x:a", "v"],
          ],
        }),
      )?.details,
    ).toBe("invalid_header_name");
    expect(rejected(req({ method: "GE T" }))?.details).toBe("invalid_method");
    expect(rejected(req({ path: "/a b" }))?.details).toBe("invalid_path");
    expect(rejected(req({ path: "/a\r\nb" }))?.details).toBe("invalid_path");
    expect(rejected(req({ path: "" }))?.details).toBe("invalid_path");
  });

  it("Host: missing on HTTP/1.1 and HTTP/2, duplicated or malformed → 400; absent on HTTP/1.0 is fine", () => {
    expect(rejected(req({ authority: "", headers: [] }))?.details).toBe("missing_host_header");
    expect(rejected(req({ authority: "", headers: [], protocol: "HTTP/2" }))?.details).toBe("missing_host_header");
    expect(validateRequest(req({ authority: "", headers: [], protocol: "HTTP/1.0" }))).toBeUndefined();
    expect(
      rejected(
        req({
          headers: [
            ["host", "app"],
            ["host", "other"],
          ],
        }),
      )?.details,
    ).toBe("duplicate_host_header");
    for (const bad of ["bad host with spaces", "user@app", "app:99999", "app:80:80", "[::1", "app/x", "%zz", "a\tb"]) {
      expect(rejected(req({ authority: bad }))?.details, bad).toBe("invalid_host_header");
    }
    for (const good of [
      "app",
      "app:8080",
      "app:",
      "10.0.0.1:80",
      "[::1]:443",
      "[fe80::1]",
      "xn--bcher-kva.example",
      "a%20b",
      "APP.Example",
    ]) {
      expect(validateRequest(req({ authority: good })), good).toBeUndefined();
    }
  });

  it("request-smuggling framing → 400", () => {
    const h = (...extra: [string, string][]): [string, string][] => [["host", "app"], ...extra];
    expect(rejected(req({ headers: h(["content-length", "5"], ["transfer-encoding", "chunked"]) }))?.details).toBe(
      "content_length_with_transfer_encoding",
    );
    expect(rejected(req({ headers: h(["content-length", "5"], ["content-length", "6"]) }))?.details).toBe("invalid_content_length");
    expect(rejected(req({ headers: h(["content-length", "5"], ["content-length", "5"]) }))?.details).toBe("invalid_content_length");
    for (const bad of ["abc", "-1", "+5", "0x5", "5, 5", "", "1 2"]) {
      expect(rejected(req({ headers: h(["content-length", bad]) }))?.details, bad).toBe("invalid_content_length");
    }
    for (const te of ["gzip", "chunked, gzip", "chunked, chunked", "xchunked"]) {
      expect(rejected(req({ headers: h(["transfer-encoding", te]) }))?.details, te).toBe("invalid_transfer_encoding");
    }
    expect(rejected(req({ headers: h(["transfer-encoding", "gzip"], ["transfer-encoding", "chunked"]) }))).toBeUndefined();
    expect(validateRequest(req({ headers: h(["transfer-encoding", "gzip, Chunked"]) }))).toBeUndefined();
    expect(validateRequest(req({ headers: h(["content-length", "0"]) }))).toBeUndefined();
    expect(rejected(req({ protocol: "HTTP/2", headers: h(["transfer-encoding", "chunked"]) }))?.details).toBe("invalid_transfer_encoding");
  });
});

describe("handleRequest refuses before any filter runs", () => {
  function downstream(init: Partial<DownstreamRequest>): DownstreamRequest {
    return {
      method: "GET",
      path: "/",
      authority: "app",
      scheme: "http",
      protocol: "HTTP/1.1",
      headers: new HeaderMap([["host", "app"]]),
      body: null,
      remoteAddress: "127.0.0.1",
      remotePort: 1,
      localAddress: "127.0.0.1",
      localPort: 2,
      signal: new AbortController().signal,
      ...init,
    };
  }
  const deps = (records: ExchangeRecord[], limits = {}) => ({
    filters: [],
    router: {
      route: () => {
        throw new Error("a refused request must not be routed");
      },
    },
    upstreams: {
      has: () => true,
      send: () => Promise.reject(new Error("a refused request must not go upstream")),
    },
    now: () => 0,
    setTimeout: () => 0,
    clearTimeout: () => {},
    random: () => 0,
    limits,
    onComplete: (r: ExchangeRecord) => records.push(r),
  });

  async function body(stream: AsyncIterable<Uint8Array> | null): Promise<string> {
    let out = "";
    for await (const chunk of stream ?? []) out += new TextDecoder().decode(chunk);
    return out;
  }

  it("answers 414 with DPE, connection: close and a reason, and records the exchange", async () => {
    const records: ExchangeRecord[] = [];
    const res = await handleRequest(downstream({ path: `/${"u".repeat(20)}` }), deps(records, { maxUriSize: 10 }) as never);
    expect(res.status).toBe(414);
    expect(res.headers.get(FLAGS_HEADER)).toBe("DPE");
    expect(res.headers.get("connection")).toBe("close");
    const text = await body(res.body);
    expect(text).toBe("URI Too Long: the request target is 21 bytes, the limit is 10\n");
    expect(res.headers.get("content-length")).toBe(String(text.length));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 414, flags: ["DPE"], details: "request_uri_too_long", attempts: 0 });
  });

  it("HTTP/2 replies carry no connection header (it is forbidden there)", async () => {
    const res = await handleRequest(downstream({ protocol: "HTTP/2", authority: "", headers: new HeaderMap() }), deps([]) as never);
    expect(res.status).toBe(400);
    expect(res.headers.has("connection")).toBe(false);
    expect(await body(res.body)).toBe("Bad Request: missing Host header\n");
  });
});
