/**
 * What one stream callback returned, in words. The host hands the filter chain Envoy's
 * statuses (`HeadersStatus`, `DataStatus`, `TrailersStatus`); tests mostly care whether the
 * chain goes on, waits for the filter, or was stopped for good, so each result carries a
 * normalized `action` beside the exact status:
 *
 * - `"continue"`: the chain goes on (Continue, ContinueAndEndStream; or the filter is skipped
 *   after a failure under `fail-open`);
 * - `"pause"`: the filter holds the stream and may resume it later with
 *   `proxy_continue_stream` (StopIteration, StopAllIteration*, a buffering body callback);
 * - `"stop"`: the stream is finished here — the filter sent a local response or reset the
 *   stream, or its VM failed under `fail-closed`.
 */

import { DataStatus, type FilterTrapError, HeadersStatus, TrailersStatus } from "../../proxy/abi/index.ts";

/** The normalized outcome of a stream callback. */
export type Action = "continue" | "pause" | "stop";

/** The stream callbacks a test drives. */
export type CallbackName = "requestHeaders" | "requestBody" | "requestTrailers" | "responseHeaders" | "responseBody" | "responseTrailers";

/**
 * The outcome of one stream callback.
 *
 * @example
 * ```ts
 * const result = http.requestHeaders({ ":path": "/" });
 * result.action; // "pause"
 * result.statusName; // "StopAllIterationAndWatermark"
 * ```
 */
export interface CallbackResult {
  readonly callback: CallbackName;
  readonly action: Action;
  /** The host's status for the filter chain (a `HeadersStatus`, `DataStatus` or `TrailersStatus` value). */
  readonly status: number;
  /** Envoy's name for `status`, e.g. `StopAllIterationAndWatermark`. */
  readonly statusName: string;
  /** Set when the filter's VM failed during this callback. */
  readonly failure: FilterTrapError | undefined;
  /**
   * True for a callback the kit ran on the chain's behalf after the filter continued a paused
   * stream: body chunks and trailers held while it paused reach it then (as in Envoy).
   */
  readonly redelivered: boolean;
}

const HEADERS_NAMES: Record<number, string> = {
  [HeadersStatus.CONTINUE]: "Continue",
  [HeadersStatus.CONTINUE_AND_END_STREAM]: "ContinueAndEndStream",
  [HeadersStatus.STOP_ALL_BUFFER]: "StopAllIterationAndBuffer",
  [HeadersStatus.STOP_ALL_WATERMARK]: "StopAllIterationAndWatermark",
};
const DATA_NAMES: Record<number, string> = {
  [DataStatus.CONTINUE]: "Continue",
  [DataStatus.STOP_BUFFER]: "StopIterationAndBuffer",
  [DataStatus.STOP_WATERMARK]: "StopIterationAndWatermark",
  [DataStatus.STOP_NO_BUFFER]: "StopIterationNoBuffer",
};
const TRAILERS_NAMES: Record<number, string> = {
  [TrailersStatus.CONTINUE]: "Continue",
  [TrailersStatus.STOP]: "StopIteration",
};

/** Envoy's name of `status` as returned for `callback`. */
export function statusName(callback: CallbackName, status: number): string {
  const names = callback.endsWith("Headers") ? HEADERS_NAMES : callback.endsWith("Body") ? DATA_NAMES : TRAILERS_NAMES;
  return names[status] ?? `Unknown(${status})`;
}

/** Builds a result; `stopped` says the stream now has a local response or was reset. */
export function callbackResult(
  callback: CallbackName,
  status: number,
  stopped: boolean,
  failure: FilterTrapError | undefined,
  redelivered = false,
): CallbackResult {
  const goesOn = status === HeadersStatus.CONTINUE || (callback.endsWith("Headers") && status === HeadersStatus.CONTINUE_AND_END_STREAM);
  const action: Action = stopped ? "stop" : goesOn ? "continue" : "pause";
  return new Outcome(callback, action, status, statusName(callback, status), failure, redelivered);
}

/** A `CallbackResult` (a class: one is made per callback, see `Flow` in the host's stream.ts). */
class Outcome implements CallbackResult {
  constructor(
    readonly callback: CallbackName,
    readonly action: Action,
    readonly status: number,
    readonly statusName: string,
    readonly failure: FilterTrapError | undefined,
    readonly redelivered: boolean,
  ) {}
}

/** One line describing a result, for failure messages: `requestHeaders → pause (StopAllIterationAndWatermark)`. */
export function describeResult(result: CallbackResult): string {
  const failed = result.failure ? `; the filter failed: ${result.failure.message}` : "";
  return `${result.callback} → ${result.action} (${result.statusName})${failed}`;
}
