// auth (@gcoredev/proxy-wasm-sdk-as 1.2.3, AssemblyScript 0.28 + @assemblyscript/wasi-shim).
//
// onRequestHeaders: dispatches `GET /check` to cluster `auth` (authority `auth`, timeout 1000 ms),
// forwarding the request's `authorization` header when it is non-empty, and returns
// StopIteration. HTTP-call callback: callout `:status` == "200" → adds request header
// `x-auth: ok` and continues the request (proxy_continue_stream(0)); anything else (including a
// failed/cancelled call, headers == 0) → local response 401, details "auth_denied", body
// "unauthorized". If proxy_http_call itself fails → local response 500, details
// "auth_dispatch_failed", body "auth dispatch failed".
//
// API used (node_modules/@gcoredev/proxy-wasm-sdk-as/assembly/runtime.ts; same shape as the
// upstream examples/httpCall): RootContext.httpCall(cluster, headers, body, trailers, timeout_ms,
// origin_context, cb); the default RootContext.onHttpCallResponse looks the token up, calls
// proxy_set_effective_context(origin.context_id), then cb(origin, headers, body_size, trailers).
// send_http_response(code, details, body, headers) is send_local_response with grpc_status -1.
// Envoy-style flow: on FastEdge itself the runtime re-invokes the originating hook instead
// (upstream context/architecture/PROXY_WASM_LIFECYCLE.md); this filter does not rely on that.
export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";
import {
  BaseContext,
  RootContext,
  Context,
  registerRootContext,
  FilterHeadersStatusValues,
  HeaderPair,
  WasmResultValues,
  makeHeaderPair,
  stream_context,
  send_http_response,
} from "@gcoredev/proxy-wasm-sdk-as/assembly";

function onAuthResponse(origin: BaseContext, headers: u32, body_size: usize, trailers: u32): void {
  // The SDK has already made `origin` the effective context.
  const status = stream_context.headers.http_callback.get(":status");
  if (status == "200") {
    stream_context.headers.request.add("x-auth", "ok");
    origin.continueRequest();
  } else {
    send_http_response(401, "auth_denied", String.UTF8.encode("unauthorized"), []);
  }
}

class AuthRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Auth(context_id, this);
  }
}

class Auth extends Context {
  constructor(context_id: u32, root_context: AuthRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const headers = new Array<HeaderPair>();
    headers.push(makeHeaderPair(":method", "GET"));
    headers.push(makeHeaderPair(":path", "/check"));
    headers.push(makeHeaderPair(":authority", "auth"));
    const authorization = stream_context.headers.request.get("authorization");
    if (authorization != "") headers.push(makeHeaderPair("authorization", authorization));
    const result = this.root_context.httpCall("auth", headers, new ArrayBuffer(0), new Array<HeaderPair>(), 1000, this, onAuthResponse);
    if (result != WasmResultValues.Ok) {
      send_http_response(500, "auth_dispatch_failed", String.UTF8.encode("auth dispatch failed"), []);
    }
    return FilterHeadersStatusValues.StopIteration;
  }
}

registerRootContext((context_id: u32) => {
  return new AuthRoot(context_id);
}, "auth");
