/**
 * `weir/testing`: unit-test proxy-wasm filters in vitest against weir's real host, with
 * in-memory I/O. Load a filter (any SDK's `.wasm`, or AssemblyScript source), drive it —
 * streams, ticks and time, http-call answers, queue items — then inspect what it did: the
 * action each callback returned, headers and bodies, local responses, logs, metrics, shared
 * data, http calls, foreign-function calls and ABI misuse. See README.md beside this file.
 *
 * @example
 * ```ts
 * import { createTestHost } from "weir/testing";
 * import "weir/testing/matchers";
 *
 * const host = await createTestHost({ wasmPath: "build/add-header.wasm", config: "x-a=1" });
 * const http = host.http();
 * expect(http.requestHeaders({ ":path": "/" }, { endOfStream: true })).toContinue();
 * expect(http.request.headers).toHaveHeader("x-a", "1");
 * ```
 *
 * @module
 */

export { DEFAULT_START_TIME, ManualClock } from "./clock.ts";
export { createTestHost, type TestHostOptions } from "./create-test-host.ts";
export type { ForeignFunctionCall } from "./foreign-functions.ts";
export { type HttpCallAnswer, type HttpCallState, TestHttpCall } from "./http-calls.ts";
export { type EndOfStream, type HttpContextOptions, TestHttpContext } from "./http-context.ts";
export { installMatchers, type ResponseExpectation, type WeirMatchers, weirMatchers } from "./install-matchers.ts";
export type { FilterSource, SourceOptions } from "./load.ts";
export { LOG_LEVELS, TestLogs } from "./logs.ts";
export type { Action, CallbackName, CallbackResult } from "./results.ts";
export { type HistogramSnapshot, MetricsView, PropertiesView, SharedDataView } from "./stores.ts";
export { AbiMisuseError } from "./strict.ts";
export { TestHost } from "./test-host.ts";
export type { LocalResponse, MessageView } from "./views.ts";
