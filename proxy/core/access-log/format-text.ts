/**
 * Envoy-style format strings: literal text with `%OPERATOR%`, `%OPERATOR(arg)%` and
 * `%OPERATOR(arg):N%` (truncate to N characters) command operators, unset values printed `-`
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#format-strings).
 * A format is compiled once into a list of literal parts and field readers; an unknown
 * operator is an error at compile time, as Envoy rejects it at config load.
 */

import type { AccessLogRecord } from "./record.ts";
import { formatResponseFlags } from "./response-flags.ts";
import { compileStartTime, isoStartTime } from "./start-time.ts";

/** Envoy's default access log format, byte for byte (newline included). */
export const ENVOY_DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ' +
  "%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% " +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

type Value = string | number | undefined;
type Reader = (r: AccessLogRecord) => Value;

/** Operators without an argument. */
const FIELDS: Record<string, Reader> = {
  START_TIME: (r) => isoStartTime(r.startTime),
  PROTOCOL: (r) => r.protocol,
  RESPONSE_CODE: (r) => r.responseCode,
  RESPONSE_CODE_DETAILS: (r) => r.responseCodeDetails,
  RESPONSE_FLAGS: (r) => formatResponseFlags(r.responseFlags),
  RESPONSE_FLAGS_LONG: (r) => formatResponseFlags(r.responseFlags, true),
  BYTES_RECEIVED: (r) => r.bytesReceived,
  BYTES_SENT: (r) => r.bytesSent,
  DURATION: (r) => Math.trunc(r.duration),
  UPSTREAM_HOST: (r) => r.upstreamHost,
  UPSTREAM_CLUSTER: (r) => r.upstreamCluster,
  ROUTE_NAME: (r) => r.routeName,
  UPSTREAM_REQUEST_ATTEMPT_COUNT: (r) => r.upstreamRequestAttemptCount,
  DOWNSTREAM_REMOTE_ADDRESS: (r) => r.downstreamRemoteAddress,
  DOWNSTREAM_LOCAL_ADDRESS: (r) => r.downstreamLocalAddress,
};

/** Request headers the record holds as fields; any other name is read from `requestHeaders`. */
const REQUEST_FIELDS: Record<string, Reader> = {
  ":method": (r) => r.method,
  ":path": (r) => r.path,
  ":authority": (r) => r.authority,
  host: (r) => r.authority,
  "user-agent": (r) => r.userAgent,
  "x-forwarded-for": (r) => r.xForwardedFor,
  "x-request-id": (r) => r.requestId,
  // `path` already is the path before any rewrite; never trust a client-sent copy.
  "x-envoy-original-path": () => undefined,
};

const RESPONSE_FIELDS: Record<string, Reader> = {
  ":status": (r) => r.responseCode,
  "x-envoy-upstream-service-time": (r) => (r.upstreamServiceTime === undefined ? undefined : Math.trunc(r.upstreamServiceTime)),
};

function headerReader(fields: Record<string, Reader>, side: "requestHeaders" | "responseHeaders", name: string): Reader {
  const field = fields[name];
  if (field) return field;
  return (r) => r[side]?.get(name) ?? undefined;
}

/** `REQ(A?B)`: header A, or B when A is unset. */
function headersOperator(fields: Record<string, Reader>, side: "requestHeaders" | "responseHeaders", arg: string): Reader {
  const [main, alt, ...extra] = arg.toLowerCase().split("?");
  if (!main || extra.length > 0 || alt === "") throw new Error(`expected a header name or NAME?ALTERNATIVE, got ${JSON.stringify(arg)}`);
  const first = headerReader(fields, side, main);
  if (alt === undefined) return first;
  const second = headerReader(fields, side, alt);
  return (r) => {
    const v = first(r);
    return v === undefined || v === "" ? second(r) : v;
  };
}

function operator(name: string, arg: string | undefined): Reader {
  if (arg === undefined) {
    const field = FIELDS[name];
    if (field) return field;
    if (name === "REQ" || name === "RESP" || name === "FILTER_STATE")
      throw new Error(`${name} needs an argument, e.g. %${name}(x-request-id)%`);
    throw new Error("unknown operator");
  }
  switch (name) {
    case "START_TIME": {
      const render = compileStartTime(arg);
      return (r) => render(r.startTime);
    }
    case "REQ":
      return headersOperator(REQUEST_FIELDS, "requestHeaders", arg);
    case "RESP":
      return headersOperator(RESPONSE_FIELDS, "responseHeaders", arg);
    case "FILTER_STATE":
      return (r) => r.filterState?.[arg];
    default:
      if (FIELDS[name]) throw new Error(`${name} takes no argument`);
      throw new Error("unknown operator");
  }
}

/** A compiled format: record in, line out. */
export type CompiledFormat = (record: AccessLogRecord) => string;

const OPERATOR = /%([A-Z][A-Z0-9_]*)(?:\((.*?)\))?(?::(\d+))?%/y;

/**
 * Compiles a format string. Throws `SyntaxError` naming the operator and its position when the
 * format uses one weir does not support or a `%` that starts no operator.
 *
 * @example
 * ```ts
 * const line = compileFormat('%REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS%\n');
 * line(record); // "GET 503 UO\n"
 * ```
 */
export function compileFormat(format: string): CompiledFormat {
  const parts: (string | Reader)[] = [];
  let literal = "";
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c !== "%") {
      literal += c;
      i++;
      continue;
    }
    OPERATOR.lastIndex = i;
    const m = OPERATOR.exec(format);
    if (!m)
      throw new SyntaxError(`Cannot compile access log format: "%" at ${i} starts no operator: ${JSON.stringify(format.slice(i, i + 24))}`);
    let read: Reader;
    try {
      read = operator(m[1], m[2]);
    } catch (err) {
      throw new SyntaxError(`Cannot compile access log format: ${m[0]} at ${i}: ${(err as Error).message}`, { cause: err });
    }
    if (m[3] !== undefined) read = truncated(read, Number(m[3]));
    if (literal) parts.push(literal);
    literal = "";
    parts.push(read);
    i = OPERATOR.lastIndex;
  }
  if (literal) parts.push(literal);
  return (record) => {
    let out = "";
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      if (typeof p === "string") {
        out += p;
        continue;
      }
      const v = p(record);
      out += v === undefined || v === "" ? "-" : v;
    }
    return out;
  };
}

function truncated(read: Reader, max: number): Reader {
  return (r) => {
    const v = read(r);
    return typeof v === "string" && v.length > max ? v.slice(0, max) : v;
  };
}

const compiled = new Map<string, CompiledFormat>();

/**
 * One access log line in `format` (Envoy's default unless given). Formats are compiled on
 * first use and cached; compile a configured format up front with `compileFormat` to fail early.
 *
 * @example
 * ```ts
 * formatText(record);
 * // [2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-…" "locations" "10.0.2.1:80"
 * ```
 */
export function formatText(record: AccessLogRecord, format: string = ENVOY_DEFAULT_FORMAT): string {
  let compile = compiled.get(format);
  if (compile === undefined) {
    compile = compileFormat(format);
    compiled.set(format, compile);
  }
  return compile(record);
}
