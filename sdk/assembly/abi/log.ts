// Logging: `proxy_log` and `proxy_get_log_level`. Log lines are encoded into a scratch buffer,
// so logging allocates nothing beyond the message string itself.

import { LogLevel } from "./enums";
import { KEY, RETURN_SCALAR } from "./memory";

// @ts-ignore: decorator
@external("env", "proxy_log")
declare function proxy_log(level: u32, message: usize, size: usize): u32;

/**
 * Writes `message` to the host's log at `level`. Allowed in every callback and during
 * module start. The status is ignored: a log line must never fail the filter.
 */
export function log(level: LogLevel, message: string): void {
  const ptr = KEY.encode(message);
  proxy_log(<u32>level, ptr, KEY.length);
}

/**
 * `log` without the shared scratch buffer, for the abort handler (which may run while the
 * scratch is being set up, e.g. when the module's start code fails).
 */
export function logDirect(level: LogLevel, message: string): void {
  const bytes = String.UTF8.encode(message);
  proxy_log(<u32>level, changetype<usize>(bytes), <usize>bytes.byteLength);
}

/** `log(LogLevel.Trace, message)`. */
export function logTrace(message: string): void {
  log(LogLevel.Trace, message);
}
/** `log(LogLevel.Debug, message)`. */
export function logDebug(message: string): void {
  log(LogLevel.Debug, message);
}
/** `log(LogLevel.Info, message)`. */
export function logInfo(message: string): void {
  log(LogLevel.Info, message);
}
/** `log(LogLevel.Warn, message)`. */
export function logWarn(message: string): void {
  log(LogLevel.Warn, message);
}
/** `log(LogLevel.Error, message)`. */
export function logError(message: string): void {
  log(LogLevel.Error, message);
}
/** `log(LogLevel.Critical, message)`. */
export function logCritical(message: string): void {
  log(LogLevel.Critical, message);
}

// @ts-ignore: decorator
@external("env", "proxy_get_log_level")
declare function proxy_get_log_level(returnLevel: usize): u32;

/**
 * The lowest level the host writes (ABI 0.2.1), to skip building messages nobody reads.
 * Hosts without the call (ABI 0.2.0) make this `Trace`.
 */
export function logLevel(): LogLevel {
  if (proxy_get_log_level(RETURN_SCALAR) != 0) return LogLevel.Trace;
  return <LogLevel>load<u32>(RETURN_SCALAR);
}
