// counter (solo-io/proxy-runtime 0.1.8, AssemblyScript 0.17.14).
//
// onRequestHeaders: increments shared-data key `requests` (value = decimal ASCII, e.g. "3";
// missing key = 0) with get + set-with-CAS, retrying on CAS_MISMATCH up to 10 attempts, then adds
// request header `x-request-count: <new value>`. If all attempts fail (or get/set returns anything
// but OK / NOT_FOUND / CAS_MISMATCH) no header is added and an error is logged.
//
// SDK gap: 0.1.8's index.ts does not export shared-data helpers, and runtime.ts's own
// `get_shared_data(key, value)` / `set_shared_data(key)` cannot be used (they pass the value
// buffer and size as the out-pointers, the set takes no value, neither exposes the CAS). So this
// filter calls the SDK's declared host imports (`@solo-io/proxy-runtime/imports`:
// proxy_get_shared_data(key_ptr, key_size, value_ptr_ptr, value_size_ptr, cas_ptr) and
// proxy_set_shared_data(key_ptr, key_size, value_ptr, value_size, cas)) and releases the
// host-allocated value with the SDK's `free` (malloc.ts), as runtime.ts's ArrayBufferReference does.
export * from "@solo-io/proxy-runtime/proxy";
import {
  RootContext,
  Context,
  registerRootContext,
  FilterHeadersStatusValues,
  LogLevelValues,
  WasmResultValues,
  log,
  stream_context,
} from "@solo-io/proxy-runtime";
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

class CounterRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Counter(context_id, this);
  }

  // No configuration; see the note in ../auth about 0.1.8's default onConfigure.
  onConfigure(configuration_size: u32): bool {
    return true;
  }
}

class Counter extends Context {
  constructor(context_id: u32, root_context: CounterRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const count = incrementShared("requests");
    if (count >= 0) stream_context.headers.request.add("x-request-count", count.toString());
    return FilterHeadersStatusValues.Continue;
  }
}

// Must equal the host's `plugin_root_id` property (runtime.ts ensureRootContext).
registerRootContext((context_id: u32) => {
  return new CounterRoot(context_id);
}, "counter");
