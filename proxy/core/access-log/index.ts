/**
 * The access log: one line per request in Envoy's default text format (or a custom Envoy
 * format string) or JSON, with Envoy's response flags plus weir's own for Wasm filter
 * outcomes, and the `x-weir-response-flags` header helper.
 *
 * @example
 * ```ts
 * import { addResponseFlag, createAccessLogger, createAccessLogRecord, ResponseFlag } from "./access-log/index.ts";
 * const logger = createAccessLogger({ format: "text", sink });
 * const record = createAccessLogRecord({ startTime: Date.now(), method: "GET", path: "/", protocol: "HTTP/1.1" });
 * record.responseCode = 404;
 * addResponseFlag(record.responseFlags, ResponseFlag.NR);
 * logger.log(record);
 * ```
 */

export { formatJson, JSON_KEYS } from "./format-json.ts";
export { type CompiledFormat, compileFormat, ENVOY_DEFAULT_FORMAT, formatText } from "./format-text.ts";
export {
  type AccessLogFormatName,
  type AccessLogger,
  type AccessLoggerOptions,
  type AccessLogSink,
  createAccessLogger,
  createMemorySink,
  type MemorySink,
} from "./logger.ts";
export { type AccessLogRecord, createAccessLogRecord, type HeaderLookup } from "./record.ts";
export {
  addResponseFlag,
  filterLocalReplyFlags,
  formatResponseFlags,
  isResponseFlag,
  parseResponseFlags,
  RESPONSE_FLAGS,
  RESPONSE_FLAGS_HEADER,
  ResponseFlag,
  type ResponseFlagInfo,
  responseFlagInfo,
  setResponseFlagsHeader,
} from "./response-flags.ts";
export { compileStartTime, isoStartTime } from "./start-time.ts";
