// auth (solo-io/proxy-runtime 0.1.8, AssemblyScript 0.17.14).
//
// onRequestHeaders: dispatches `GET /check` to cluster `auth` (authority `auth`, timeout 1000 ms),
// forwarding the request's `authorization` header when it is non-empty, and returns
// StopIteration. HTTP-call callback: callout `:status` == "200" → adds request header
// `x-auth: ok` and continues the request (proxy_continue_stream(0)); anything else (including a
// failed/cancelled call, headers == 0) → local response 401, details "auth_denied", body
// "unauthorized". If proxy_http_call itself fails → local response 500, details
// "auth_dispatch_failed", body "auth dispatch failed".
//
// API used (node_modules/@solo-io/proxy-runtime/assembly/index.ts exports; runtime.ts):
// RootContext.httpCall(cluster, headers, body, trailers, timeout_ms, origin_context, cb) — the SDK
// stores cb under the returned token; RootContext.onHttpCallResponse calls
// proxy_set_effective_context(origin.context_id) and then cb(origin, headers, body_size, trailers).
// stream_context.headers.http_callback reads HTTP_CALL_RESPONSE_HEADERS; .get() returns "" when
// the header is missing. 0.1.8 has no makeHeaderPair, so pairs are built with new HeaderPair().
export * from "@solo-io/proxy-runtime/proxy";
import {
  RootContext,
  Context,
  registerRootContext,
  FilterHeadersStatusValues,
  GrpcStatusValues,
  HeaderPair,
  Headers,
  WasmResultValues,
  stream_context,
  send_local_response,
} from "@solo-io/proxy-runtime";

function pair(key: string, value: string): HeaderPair {
  return new HeaderPair(String.UTF8.encode(key), String.UTF8.encode(value));
}

function onAuthResponse(origin: Context, headers: u32, body_size: usize, trailers: u32): void {
  // The SDK has already made `origin` the effective context.
  const status = stream_context.headers.http_callback.get(":status");
  if (status == "200") {
    stream_context.headers.request.add("x-auth", "ok");
    origin.continueRequest();
  } else {
    send_local_response(401, "auth_denied", String.UTF8.encode("unauthorized"), [], GrpcStatusValues.InvalidCode);
  }
}

class AuthRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Auth(context_id, this);
  }

  // This filter takes no configuration, so it skips 0.1.8's default onConfigure (add-header keeps
  // it): that passes `configuration_size` as the *return-size pointer* of proxy_get_buffer_bytes
  // (runtime.ts, RootContext.onConfigure), so the host writes 4 bytes at that address, and with an
  // empty configuration it traps (any non-OK result, or OK with a null pointer) or decodes stale
  // memory (OK without writing the out-params).
  onConfigure(configuration_size: u32): bool {
    return true;
  }
}

class Auth extends Context {
  constructor(context_id: u32, root_context: AuthRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const headers: Headers = [pair(":method", "GET"), pair(":path", "/check"), pair(":authority", "auth")];
    const authorization = stream_context.headers.request.get("authorization");
    if (authorization != "") headers.push(pair("authorization", authorization));
    const trailers: Headers = [];
    const result = this.root_context.httpCall("auth", headers, new ArrayBuffer(0), trailers, 1000, this, onAuthResponse);
    if (result != WasmResultValues.Ok) {
      send_local_response(500, "auth_dispatch_failed", String.UTF8.encode("auth dispatch failed"), [], GrpcStatusValues.InvalidCode);
    }
    return FilterHeadersStatusValues.StopIteration;
  }
}

// Must equal the host's `plugin_root_id` property (runtime.ts ensureRootContext).
registerRootContext((context_id: u32) => {
  return new AuthRoot(context_id);
}, "auth");
