// tick (@gcoredev/proxy-wasm-sdk-as 1.2.3, AssemblyScript 0.28 + @assemblyscript/wasi-shim).
//
// onConfigure: reads the configuration as the SDK default does, then
// set_tick_period_milliseconds(100). onTick: increments shared-data key `ticks` (decimal ASCII,
// missing = 0) with get + set-with-CAS (up to 10 attempts) and logs `tick <N>` at info level.
//
// Note: this SDK's log() does NOT call proxy_log. It prints `[INFO]: tick <N>\n` to WASI stdout
// (wasi_snapshot_preview1.fd_write, fd 1) via the wasi-shim's process.stdout — "Temporary fix for
// proxy_log not being implemented in FastEdge" (assembly/fastedge/utils/runtime.ts). Messages
// below the module's own level (default info, setLogLevel()) are dropped without a host call.
export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";
import {
  RootContext,
  registerRootContext,
  LogLevelValues,
  WasmResultValues,
  get_shared_data,
  log,
  set_shared_data,
  set_tick_period_milliseconds,
} from "@gcoredev/proxy-wasm-sdk-as/assembly";

/** Returns the incremented value, or -1 when it could not be stored. */
function incrementShared(key: string): i64 {
  for (let attempt = 0; attempt < 10; attempt++) {
    const got = get_shared_data(key);
    let current: i64 = 0;
    let cas: u32 = 0;
    if (got.result == WasmResultValues.Ok) {
      const value = got.value;
      if (value !== null && value.byteLength > 0) current = I64.parseInt(String.UTF8.decode(value));
      cas = got.cas;
    } else if (got.result != WasmResultValues.NotFound) {
      log(LogLevelValues.error, "get_shared_data(" + key + ") failed: " + got.result.toString());
      return -1;
    }
    const next = current + 1;
    const set = set_shared_data(key, String.UTF8.encode(next.toString()), cas);
    if (set == WasmResultValues.Ok) return next;
    if (set != WasmResultValues.CasMismatch) {
      log(LogLevelValues.error, "set_shared_data(" + key + ") failed: " + set.toString());
      return -1;
    }
  }
  log(LogLevelValues.error, "set_shared_data(" + key + "): CAS mismatch 10 times");
  return -1;
}

class TickRoot extends RootContext {
  onConfigure(configuration_size: u32): bool {
    const ok = super.onConfigure(configuration_size);
    set_tick_period_milliseconds(100);
    return ok;
  }

  onTick(): void {
    const n = incrementShared("ticks");
    if (n >= 0) log(LogLevelValues.info, "tick " + n.toString());
  }
}

registerRootContext((context_id: u32) => {
  return new TickRoot(context_id);
}, "tick");
