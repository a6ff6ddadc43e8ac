/**
 * The numeric enumerations of the proxy-wasm ABI (0.2.1, 0.2.0 and 0.1.0).
 *
 * Values follow `proxy_wasm_common.h` / `proxy_wasm_enums.h` of the C++ SDK and the spec's
 * "Types" section (shared/reference/proxy-wasm-abi.md §1.5). SDKs trap on unexpected statuses,
 * so every host call must return exactly the status these tables name.
 */

/** `proxy_status_t` / `WasmResult`. */
export const Status = {
  OK: 0,
  NOT_FOUND: 1,
  BAD_ARGUMENT: 2,
  SERIALIZATION_FAILURE: 3,
  PARSE_FAILURE: 4,
  BAD_EXPRESSION: 5,
  INVALID_MEMORY_ACCESS: 6,
  EMPTY: 7,
  CAS_MISMATCH: 8,
  RESULT_MISMATCH: 9,
  INTERNAL_FAILURE: 10,
  BROKEN_CONNECTION: 11,
  UNIMPLEMENTED: 12,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** `proxy_log_level_t`. */
export const LogLevel = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, CRITICAL: 5 } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];
export const LOG_LEVEL_NAMES = ["trace", "debug", "info", "warn", "error", "critical"] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

/** `proxy_map_type_t`. */
export const MapType = {
  HTTP_REQUEST_HEADERS: 0,
  HTTP_REQUEST_TRAILERS: 1,
  HTTP_RESPONSE_HEADERS: 2,
  HTTP_RESPONSE_TRAILERS: 3,
  GRPC_CALL_INITIAL_METADATA: 4,
  GRPC_CALL_TRAILING_METADATA: 5,
  HTTP_CALL_RESPONSE_HEADERS: 6,
  HTTP_CALL_RESPONSE_TRAILERS: 7,
} as const;
export type MapType = (typeof MapType)[keyof typeof MapType];

/** `proxy_buffer_type_t`; 6-8 exist from ABI 0.2.0 on. */
export const BufferType = {
  HTTP_REQUEST_BODY: 0,
  HTTP_RESPONSE_BODY: 1,
  DOWNSTREAM_DATA: 2,
  UPSTREAM_DATA: 3,
  HTTP_CALL_RESPONSE_BODY: 4,
  GRPC_CALL_MESSAGE: 5,
  VM_CONFIGURATION: 6,
  PLUGIN_CONFIGURATION: 7,
  FOREIGN_FUNCTION_ARGUMENTS: 8,
} as const;
export type BufferType = (typeof BufferType)[keyof typeof BufferType];

/** `proxy_stream_type_t` (0.2.0+). */
export const StreamType = { HTTP_REQUEST: 0, HTTP_RESPONSE: 1, DOWNSTREAM: 2, UPSTREAM: 3 } as const;
export type StreamType = (typeof StreamType)[keyof typeof StreamType];

/** `proxy_metric_type_t`. */
export const MetricType = { COUNTER: 0, GAUGE: 1, HISTOGRAM: 2 } as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

/**
 * What a header callback asks of the filter chain, normalized the way cpp-host does
 * (`src/context.cc:491-505`): raw `1` (StopIteration) and anything above 4 become
 * `STOP_ALL_WATERMARK`, so body callbacks are held until `proxy_continue_stream`.
 */
export const HeadersStatus = {
  CONTINUE: 0,
  CONTINUE_AND_END_STREAM: 2,
  STOP_ALL_BUFFER: 3,
  STOP_ALL_WATERMARK: 4,
} as const;
export type HeadersStatus = (typeof HeadersStatus)[keyof typeof HeadersStatus];

/** `FilterDataStatus`; raw values above 3 become `STOP_NO_BUFFER` (cpp-host `context.cc:507-513`). */
export const DataStatus = { CONTINUE: 0, STOP_BUFFER: 1, STOP_WATERMARK: 2, STOP_NO_BUFFER: 3 } as const;
export type DataStatus = (typeof DataStatus)[keyof typeof DataStatus];

/** `FilterTrailersStatus`. */
export const TrailersStatus = { CONTINUE: 0, STOP: 1 } as const;
export type TrailersStatus = (typeof TrailersStatus)[keyof typeof TrailersStatus];

/** WASI preview1 errno values the host returns (spec §Types, cpp-host `exports.cc`). */
export const Errno = {
  SUCCESS: 0,
  BADF: 8,
  FAULT: 21,
  INVAL: 28,
  NOENT: 44,
  NOSYS: 52,
  NOTSUP: 58,
  NOTCAPABLE: 76,
} as const;

/** The proxy-wasm ABI versions weir hosts, as detected from `proxy_abi_version_*` exports. */
export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";
