// weir's AssemblyScript SDK for proxy-wasm filters (ABI 0.2.1). A filter's entry file
// re-exports the ABI callbacks and registers its root context:
//
//   export * from "../../sdk/assembly/exports";   // or "weir/sdk/assembly/exports"
//   import { Action, HttpContext, RootContext, registerFilter } from "../../sdk/assembly";
//
//   class Hello extends HttpContext {
//     onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
//       this.responseHeaders.set("x-hello", "weir");
//       return Action.Continue;
//     }
//   }
//   class HelloRoot extends RootContext {
//     createHttpContext(id: u32): HttpContext | null { return new Hello(id, this); }
//   }
//   registerFilter((id: u32): RootContext => new HelloRoot(id));
//
// Build with `--use abort=weir_abort` (asconfig.json beside this file). See README.md.

// Contexts and registration
export { Action, HttpContext } from "./context/http-context";
export { RootContext } from "./context/root-context";
export { Context, HttpCallback } from "./context/context";
export { registerFilter, RootFactory } from "./context/dispatcher";

// Headers, bodies, local responses, http calls
export { HeaderMap } from "./headers";
export { HeaderPair, decodePairs, encodePairs } from "./pairs";
export { Body } from "./body";
export { HttpCallResponse } from "./http-call-response";

// Configuration
export { Config } from "./config/config";
export { JsonKind, JsonResult, JsonValue, parseJson } from "./config/json";

// Properties and attributes
export { getProperty, getPropertyBool, getPropertyInt, getPropertySegments, getPropertyString, setProperty, setPropertyString } from "./abi/property";
export * from "./attributes";

// Shared state, metrics, time
export { CasResult, getSharedData, getSharedDataAt, readSharedDataAt, setSharedData, setSharedDataAt, SharedValue } from "./abi/shared-data";
export { getSharedDataString, setSharedDataString, SharedDataUpdate, updateSharedData } from "./shared-data";
export { SharedQueue } from "./shared-queue";
export { Counter, Gauge, Histogram, MetricFamily, taggedMetricName } from "./metrics";
export { currentTimeNanos } from "./abi/timer";

// Logging, foreign functions, weir's extensions
export { log, logCritical, logDebug, logError, logInfo, logLevel, logTrace, logWarn } from "./abi/log";
export { LogLevel, Status } from "./abi/enums";
export { callForeignFunction } from "./abi/foreign-function";
export { peerIdentity, requestRetry, setUpstreamCluster, SignatureCheck, upstreamAttempt, upstreamCluster, verifySignature } from "./weir";
