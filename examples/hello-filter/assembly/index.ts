// hello-filter: the filter `npm start` runs. Written with a public AssemblyScript proxy-wasm SDK
// (@gcoredev/proxy-wasm-sdk-as), so it would run unchanged in Envoy too.
//
// Plugin configuration: `<header>=<value>`, e.g. `x-hello=weir`. On each request it
// - adds that header to the request,
// - removes `x-internal-token` (a credential that must not reach the app),
// - answers 403 itself for paths under /admin,
// and marks every response with `x-filtered-by: weir`.
export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";

import {
  Context,
  FilterHeadersStatusValues,
  GrpcStatusValues,
  RootContext,
  registerRootContext,
  send_local_response,
  stream_context,
} from "@gcoredev/proxy-wasm-sdk-as/assembly";

class HelloRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Hello(context_id, this);
  }
}

class Hello extends Context {
  constructor(context_id: u32, root_context: HelloRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const path = stream_context.headers.request.get(":path");
    if (path.startsWith("/admin")) {
      send_local_response(403, "admin_blocked", String.UTF8.encode("forbidden\n"), [], GrpcStatusValues.PermissionDenied);
      return FilterHeadersStatusValues.StopIteration;
    }
    const config = this.root_context.getConfiguration();
    const eq = config.indexOf("=");
    if (eq > 0) stream_context.headers.request.add(config.substring(0, eq), config.substring(eq + 1));
    stream_context.headers.request.remove("x-internal-token");
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("x-filtered-by", "weir");
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => new HelloRoot(context_id), "hello");
