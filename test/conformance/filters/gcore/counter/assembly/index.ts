// counter (@gcoredev/proxy-wasm-sdk-as 1.2.3, AssemblyScript 0.28 + @assemblyscript/wasi-shim).
//
// onRequestHeaders: increments shared-data key `requests` (value = decimal ASCII, e.g. "3";
// missing key = 0) with get + set-with-CAS, retrying on CAS_MISMATCH up to 10 attempts, then adds
// request header `x-request-count: <new value>`. If all attempts fail (or get/set returns anything
// but OK / NOT_FOUND / CAS_MISMATCH) no header is added and an error is logged.
//
// API used (node_modules/@gcoredev/proxy-wasm-sdk-as/assembly/index.ts exports; runtime.ts):
// get_shared_data(key) → { value, result, cas } (value/cas only set when result is Ok) and
// set_shared_data(key, value, cas).
export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";
import {
  RootContext,
  Context,
  registerRootContext,
  FilterHeadersStatusValues,
  LogLevelValues,
  WasmResultValues,
  get_shared_data,
  log,
  set_shared_data,
  stream_context,
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

class CounterRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Counter(context_id, this);
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

registerRootContext((context_id: u32) => {
  return new CounterRoot(context_id);
}, "counter");
