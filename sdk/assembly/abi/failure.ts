// How the SDK fails. Statuses a call can legitimately return become values at the call site
// (NOT_FOUND → null); anything else means the filter or the host broke the ABI's contract,
// and the filter stops with a message that names the call, its arguments and the status —
// `proxy_get_header_map_value(response headers, "x-a") failed: BAD_ARGUMENT` — logged at
// critical, then a trap. Never a bare abort.
//
// `weir_abort` is AssemblyScript's `abort` for filters built with `--use abort=weir_abort`
// (see asconfig.json): `throw new Error(...)`, failed assertions and out-of-range indexes all
// end up here.

import { LogLevel, statusName } from "./enums";
import { logDirect } from "./log";

/** `call(args) failed: STATUS`, the message for an unexpected status. */
export function callFailed(call: string, args: string, status: u32): string {
  return call + "(" + args + ") failed: " + statusName(status);
}

/** `value` in double quotes, shortened to 80 characters, for error messages. */
export function quote(value: string): string {
  const short = value.length > 80 ? value.substring(0, 80) + "…" : value;
  return "\"" + short + "\"";
}

/**
 * The filter's abort handler: logs the message at critical (with the source location when
 * it is not inside this SDK) and traps. Wired in with `--use abort=weir_abort`.
 */
// @ts-ignore: decorator
@global
export function weir_abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = message !== null ? message : "abort";
  if (fileName !== null && !fileName.includes("sdk/assembly/")) {
    text += " (at " + fileName + ":" + line.toString() + ":" + column.toString() + ")";
  }
  logDirect(LogLevel.Critical, text);
  unreachable();
}
