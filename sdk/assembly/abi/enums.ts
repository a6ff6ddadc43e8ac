// The numeric enumerations of the proxy-wasm ABI 0.2.1, with the names the SDK uses in
// error messages. Values follow the C++ SDK's `proxy_wasm_common.h` / `proxy_wasm_enums.h`
// and the spec's "Types" section (shared/reference/proxy-wasm-abi.md §1.5).

/** `proxy_status_t`: what every host call returns. */
export enum Status {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  BadExpression = 5,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  ResultMismatch = 9,
  InternalFailure = 10,
  BrokenConnection = 11,
  Unimplemented = 12,
}

/** The spec's name of a status, e.g. `BAD_ARGUMENT`, for error messages. */
export function statusName(status: u32): string {
  switch (status) {
    case Status.Ok: return "OK";
    case Status.NotFound: return "NOT_FOUND";
    case Status.BadArgument: return "BAD_ARGUMENT";
    case Status.SerializationFailure: return "SERIALIZATION_FAILURE";
    case Status.ParseFailure: return "PARSE_FAILURE";
    case Status.BadExpression: return "BAD_EXPRESSION";
    case Status.InvalidMemoryAccess: return "INVALID_MEMORY_ACCESS";
    case Status.Empty: return "EMPTY";
    case Status.CasMismatch: return "CAS_MISMATCH";
    case Status.ResultMismatch: return "RESULT_MISMATCH";
    case Status.InternalFailure: return "INTERNAL_FAILURE";
    case Status.BrokenConnection: return "BROKEN_CONNECTION";
    case Status.Unimplemented: return "UNIMPLEMENTED";
    default: return "status " + status.toString();
  }
}

/** `proxy_log_level_t`. */
export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

/** `proxy_map_type_t`: which header map a call reads or writes. */
export enum MapType {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
  GrpcInitialMetadata = 4,
  GrpcTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
}

/** How error messages name a header map, e.g. `request headers`. */
export function mapName(map: MapType): string {
  switch (map) {
    case MapType.RequestHeaders: return "request headers";
    case MapType.RequestTrailers: return "request trailers";
    case MapType.ResponseHeaders: return "response headers";
    case MapType.ResponseTrailers: return "response trailers";
    case MapType.GrpcInitialMetadata: return "grpc initial metadata";
    case MapType.GrpcTrailingMetadata: return "grpc trailing metadata";
    case MapType.HttpCallResponseHeaders: return "http call response headers";
    case MapType.HttpCallResponseTrailers: return "http call response trailers";
    default: return "map " + (<u32>map).toString();
  }
}

/** `proxy_buffer_type_t`: which byte buffer a call reads or writes. */
export enum BufferType {
  RequestBody = 0,
  ResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcMessage = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  ForeignFunctionArguments = 8,
}

/** How error messages name a buffer, e.g. `request body`. */
export function bufferName(buffer: BufferType): string {
  switch (buffer) {
    case BufferType.RequestBody: return "request body";
    case BufferType.ResponseBody: return "response body";
    case BufferType.DownstreamData: return "downstream data";
    case BufferType.UpstreamData: return "upstream data";
    case BufferType.HttpCallResponseBody: return "http call response body";
    case BufferType.GrpcMessage: return "grpc message";
    case BufferType.VmConfiguration: return "vm configuration";
    case BufferType.PluginConfiguration: return "plugin configuration";
    case BufferType.ForeignFunctionArguments: return "foreign function arguments";
    default: return "buffer " + (<u32>buffer).toString();
  }
}

/** `proxy_stream_type_t` (ABI 0.2.0+). */
export enum StreamType {
  Request = 0,
  Response = 1,
  Downstream = 2,
  Upstream = 3,
}

/** `proxy_metric_type_t`. */
export enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}
