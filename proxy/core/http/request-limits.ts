/**
 * Bad input, runtime-neutral: the checks every request passes before any filter sees it, so
 * the same request gets the same answer on Node, Deno and Bun and over HTTP/1.1 and HTTP/2,
 * whatever each runtime's own parser lets through. What this catches, and the status each gets:
 *
 * | check                                                        | status | details                               |
 * |--------------------------------------------------------------|--------|---------------------------------------|
 * | request target longer than `maxUriSize`                      | 414    | `request_uri_too_long`                |
 * | more than `maxHeaders` header fields                         | 431    | `request_headers_too_many`            |
 * | header section larger than `maxHeadersSize`                  | 431    | `request_headers_too_large`           |
 * | a method that is not a token; control characters in the path | 400    | `invalid_method`, `invalid_path`      |
 * | a header name that is not a token                            | 400    | `invalid_header_name`                 |
 * | NUL, CR or LF in a header value (RFC 9110 §5.5: reject)      | 400    | `invalid_header_value`                |
 * | no Host / :authority (HTTP/1.1, HTTP/2), two Host fields     | 400    | `missing_host_header`, `duplicate_host_header` |
 * | a Host that is not `host[:port]` (RFC 3986 §3.2.2)           | 400    | `invalid_host_header`                 |
 * | Content-Length not digits, or given twice                    | 400    | `invalid_content_length`              |
 * | Content-Length with Transfer-Encoding (RFC 9112 §6.1; Envoy rejects, so does weir) | 400 | `content_length_with_transfer_encoding` |
 * | Transfer-Encoding whose last coding is not chunked, or on HTTP/2 | 400 | `invalid_transfer_encoding`          |
 *
 * Each is a local reply with the response flag DPE (Envoy's "downstream protocol error"),
 * answered before the filter chain is created, as Envoy's connection manager answers codec
 * and header-validation errors. On HTTP/1.x the reply closes the connection: after a
 * malformed message the next one on the same connection cannot be trusted to start where we
 * think it does. The body limit (413 when a filter buffers more than `maxBufferedBody`) is
 * enforced while the body streams, in proxy-stream.ts.
 *
 * Node's own parser (llhttp) already refuses most framing errors, obs-fold, bad characters
 * and oversize header sections before a request reaches the core; the Node listener answers
 * those itself (runtime/node/http-server.ts, `clientError`). These checks are the same rules
 * for whatever gets past a runtime's parser.
 */

import { HeaderMap } from "../../abi/header-map.ts";
import { DEFAULTS } from "../config/defaults.ts";
import type { ListenerLimits } from "../config/types.ts";
import type { ExchangeRecord } from "./proxy-stream.ts";
import type { DownstreamRequest, ProxyResponse } from "./types.ts";

/** Same header name as proxy-stream.ts's FLAGS_HEADER (not imported: proxy-stream imports this module). */
const FLAGS_HEADER = "x-weir-response-flags";

/** The listener limits the request checks use (config `listeners[].limits`). */
export type RequestLimits = Pick<ListenerLimits, "maxHeaders" | "maxHeadersSize" | "maxUriSize" | "maxBufferedBody">;

export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = Object.freeze({
  maxHeaders: DEFAULTS.listener.limits.maxHeaders,
  maxHeadersSize: DEFAULTS.listener.limits.maxHeadersSize,
  maxUriSize: DEFAULTS.listener.limits.maxUriSize,
  maxBufferedBody: DEFAULTS.listener.limits.maxBufferedBody,
});

/** Why a request is refused: the status, the response flag, the details for the access log, a body for the client. */
export interface RequestRejection {
  status: 400 | 413 | 414 | 431;
  flag: "DPE";
  details: string;
  message: string;
}

/** What the checks read of a request. */
export type CheckedRequest = Pick<DownstreamRequest, "method" | "path" | "authority" | "protocol" | "headers">;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** NUL, CR, LF: RFC 9110 §5.5 says reject (or replace with SP; weir rejects, as Envoy's parsers do). */
const BAD_VALUE_CHAR = /[\0\r\n]/;
/** A request target never holds controls, space or DEL (they would end or split the request line). */
const BAD_TARGET_CHAR = /[\0-\x20\x7f]/;
/** RFC 3986 §3.2.2 host (IP-literal, IPv4 or reg-name; no userinfo) and an optional port. */
const AUTHORITY =
  /^(?:\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::([0-9]{0,5}))?$/;
const DIGITS = /^[0-9]+$/;

function reject(status: RequestRejection["status"], details: string, message: string): RequestRejection {
  return { status, flag: "DPE", details, message: `${message}\n` };
}

/**
 * Checks a request against the listener's limits and HTTP's syntax rules; returns why it must
 * be refused, or undefined when it may go on. Never echoes request bytes into the message.
 */
export function validateRequest(req: CheckedRequest, limits: Partial<RequestLimits> = {}): RequestRejection | undefined {
  const maxUri = limits.maxUriSize ?? DEFAULT_REQUEST_LIMITS.maxUriSize;
  const maxHeaders = limits.maxHeaders ?? DEFAULT_REQUEST_LIMITS.maxHeaders;
  const maxBytes = limits.maxHeadersSize ?? DEFAULT_REQUEST_LIMITS.maxHeadersSize;
  const headers = req.headers;

  if (req.path.length > maxUri)
    return reject(414, "request_uri_too_long", `URI Too Long: the request target is ${req.path.length} bytes, the limit is ${maxUri}`);
  if (headers.size > maxHeaders)
    return reject(
      431,
      "request_headers_too_many",
      `Request Header Fields Too Large: ${headers.size} header fields, the limit is ${maxHeaders}`,
    );
  // Envoy counts a header map's keys and values; the request line's parts count too.
  let bytes = req.method.length + req.path.length + req.authority.length;
  for (let i = 0; i < headers.size; i++) bytes += headers.nameAt(i).length + headers.valueAt(i).length;
  if (bytes > maxBytes)
    return reject(431, "request_headers_too_large", `Request Header Fields Too Large: ${bytes} bytes of headers, the limit is ${maxBytes}`);

  if (!TOKEN.test(req.method)) return reject(400, "invalid_method", "Bad Request: the method is not a token");
  if (req.path.length === 0 || BAD_TARGET_CHAR.test(req.path))
    return reject(400, "invalid_path", "Bad Request: the request target is empty or holds control characters or spaces");

  let hosts = 0;
  let contentLengths = 0;
  let transferEncoding: string | undefined;
  for (let i = 0; i < headers.size; i++) {
    const name = headers.nameAt(i);
    const value = headers.valueAt(i);
    if (!TOKEN.test(name)) return reject(400, "invalid_header_name", "Bad Request: a header name is not a token");
    if (BAD_VALUE_CHAR.test(value))
      return reject(400, "invalid_header_value", `Bad Request: NUL, CR or LF in the value of header "${name}"`);
    if (name === "host") hosts++;
    else if (name === "content-length") {
      contentLengths++;
      if (!DIGITS.test(value.trim())) return reject(400, "invalid_content_length", "Bad Request: Content-Length is not a number");
    } else if (name === "transfer-encoding") transferEncoding = transferEncoding === undefined ? value : `${transferEncoding},${value}`;
  }

  // Host (RFC 9112 §3.2: 400 for HTTP/1.1 without one, for more than one, for an invalid one).
  if (hosts > 1) return reject(400, "duplicate_host_header", "Bad Request: more than one Host header");
  const authority = req.authority;
  if (authority === "") {
    if (req.protocol !== "HTTP/1.0") return reject(400, "missing_host_header", "Bad Request: missing Host header");
  } else {
    const m = AUTHORITY.exec(authority);
    if (m === null || (m[1] !== undefined && m[1] !== "" && Number(m[1]) > 65535))
      return reject(400, "invalid_host_header", "Bad Request: the Host header is not a valid host[:port]");
  }

  // Framing: the request-smuggling cases (RFC 9112 §6.1, §6.3).
  if (contentLengths > 1) return reject(400, "invalid_content_length", "Bad Request: more than one Content-Length");
  if (transferEncoding !== undefined) {
    if (req.protocol === "HTTP/2")
      return reject(400, "invalid_transfer_encoding", "Bad Request: Transfer-Encoding is not allowed in HTTP/2");
    if (contentLengths > 0)
      return reject(400, "content_length_with_transfer_encoding", "Bad Request: both Content-Length and Transfer-Encoding");
    const codings = transferEncoding.split(",").map((c) => c.trim().toLowerCase());
    if (codings[codings.length - 1] !== "chunked" || codings.indexOf("chunked") !== codings.length - 1)
      return reject(400, "invalid_transfer_encoding", "Bad Request: chunked must be the last and only final transfer coding");
  }
  return undefined;
}

/** The reply for a rejection; HTTP/1.x replies close the connection. */
export function rejectionResponse(rejection: RequestRejection, protocol: DownstreamRequest["protocol"]): ProxyResponse {
  const body = new TextEncoder().encode(rejection.message);
  const headers = new HeaderMap([
    ["content-type", "text/plain"],
    ["content-length", String(body.byteLength)],
    [FLAGS_HEADER, rejection.flag],
  ]);
  if (protocol !== "HTTP/2") headers.add("connection", "close");
  return {
    status: rejection.status,
    headers,
    body: (async function* () {
      yield body;
    })(),
    trailers: () => undefined,
  };
}

/**
 * Answers a request refused before the filter chain: no filter runs (Envoy creates no filter
 * chain for a request its codec or connection manager refuses), but the exchange is recorded
 * like any other, so the access log and the stats show it with its flag and details.
 */
export function rejectRequest(
  req: DownstreamRequest,
  rejection: RequestRejection,
  deps: { now(): number; onComplete?(record: ExchangeRecord): void },
): ProxyResponse {
  const start = deps.now();
  const requestHeaders = new HeaderMap([
    [":method", req.method],
    [":path", req.path],
    [":authority", req.authority],
    [":scheme", req.scheme],
  ]);
  for (let i = 0; i < req.headers.size; i++) requestHeaders.add(req.headers.nameAt(i), req.headers.valueAt(i));
  const response = rejectionResponse(rejection, req.protocol);
  deps.onComplete?.({
    startTime: start,
    durationMs: deps.now() - start,
    request: req,
    requestHeaders,
    status: rejection.status,
    flags: [rejection.flag],
    route: undefined,
    cluster: undefined,
    upstreamHost: undefined,
    attempts: 0,
    bytesReceived: 0,
    bytesSent: Number(response.headers.get("content-length")),
    details: rejection.details,
  });
  return response;
}
