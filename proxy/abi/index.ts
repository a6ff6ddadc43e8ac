/**
 * weir's proxy-wasm host: loads filters built with any proxy-wasm SDK (ABI 0.2.1, 0.2.0 and
 * 0.1.0) and runs them sandboxed on Node, Deno and Bun.
 *
 * @example
 * ```ts
 * import { createHost, HeaderMap } from "weir/abi";
 * const host = createHost();
 * const filter = await host.loadFilter({ name: "add-header", module: wasmBytes, config: "x-a=1" });
 * const stream = filter.createStream({ sendLocalReply: (r) => console.log(r.status) });
 * stream.onRequestHeaders(new HeaderMap({ ":method": "GET", ":path": "/" }), true);
 * stream.complete();
 * ```
 */

export {
  type AbiVersion,
  BufferType,
  DataStatus,
  HeadersStatus,
  LOG_LEVEL_NAMES,
  LogLevel,
  type LogLevelName,
  MapType,
  MetricType,
  Status,
  StreamType,
  TrailersStatus,
} from "./enums.ts";
export { AbiError, FilterLoadError, FilterTrapError, type TrapKind, WeirError } from "./errors.ts";
export { Filter, type FilterCounters, type FilterState, type ReloadBackoff } from "./filter.ts";
export { type HeaderInit, HeaderMap } from "./header-map.ts";
export { createHost, DEFAULT_FUEL, DEFAULT_MEMORY_PAGES, type FilterOptions, type Host, type HostOptions } from "./host.ts";
export type { HostState } from "./host-state.ts";
export { type MeterFunction, type ModuleCache, meterBytes, sha256Hex } from "./meter.ts";
export { type Metric, Metrics } from "./metrics.ts";
export { decodePairs, encodePairs, pairsSize } from "./pairs.ts";
export { encodePropertyValue, type PropertyValue, parsePropertyPath } from "./properties.ts";
export { SharedData } from "./shared-data.ts";
export { SharedQueues } from "./shared-queues.ts";
export { HttpStream } from "./stream.ts";
export type * from "./types.ts";
export type { FilterVm } from "./vm.ts";
