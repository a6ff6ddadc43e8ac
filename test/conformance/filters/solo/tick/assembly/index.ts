// tick (solo-io/proxy-runtime 0.1.8, AssemblyScript 0.17.14).
//
// onConfigure: set_tick_period_milliseconds(100) (configuration is ignored). onTick: increments
// shared-data key `ticks` (decimal ASCII, missing = 0) with get + set-with-CAS (up to 10 attempts)
// and logs `tick <N>` at info level through proxy_log (level 2).
//
// SDK gaps (see ../counter for the shared-data one): set_tick_period_milliseconds is exported by
// runtime.ts but not re-exported by index.ts, so it is imported from `@solo-io/proxy-runtime/runtime`.
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, registerRootContext, LogLevelValues, WasmResultValues, log } from "@solo-io/proxy-runtime";
import { set_tick_period_milliseconds } from "@solo-io/proxy-runtime/runtime";
import * as imports from "@solo-io/proxy-runtime/imports";
import { free } from "@solo-io/proxy-runtime/malloc";

// Out-parameters of proxy_get_shared_data: value ptr @0, value size @4, cas @8.
const out = new ArrayBuffer(12);

/** Returns the incremented value, or -1 when it could not be stored. */
function incrementShared(key: string): i64 {
  const k = String.UTF8.encode(key);
  const o = changetype<usize>(out);
  for (let attempt = 0; attempt < 10; attempt++) {
    store<usize>(o, 0, 0);
    store<usize>(o, 0, 4);
    store<u32>(o, 0, 8);
    const got = imports.proxy_get_shared_data(changetype<usize>(k), k.byteLength, o, o + 4, o + 8);
    let current: i64 = 0;
    let cas: u32 = 0;
    if (got == WasmResultValues.Ok) {
      const ptr = load<usize>(o, 0);
      const size = load<usize>(o, 4);
      cas = load<u32>(o, 8);
      if (size > 0) current = I64.parseInt(String.UTF8.decodeUnsafe(ptr, size));
      if (ptr != 0) free(ptr);
    } else if (got != WasmResultValues.NotFound) {
      log(LogLevelValues.error, "get_shared_data(" + key + ") failed: " + got.toString());
      return -1;
    }
    const next = current + 1;
    const v = String.UTF8.encode(next.toString());
    const set = imports.proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, cas);
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
  // Also skips 0.1.8's default onConfigure (see ../auth).
  onConfigure(configuration_size: u32): bool {
    set_tick_period_milliseconds(100);
    return true;
  }

  onTick(): void {
    const n = incrementShared("ticks");
    if (n >= 0) log(LogLevelValues.info, "tick " + n.toString());
  }
}

// Must equal the host's `plugin_root_id` property (runtime.ts ensureRootContext).
registerRootContext((context_id: u32) => {
  return new TickRoot(context_id);
}, "tick");
