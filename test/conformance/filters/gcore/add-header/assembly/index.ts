// add-header (@gcoredev/proxy-wasm-sdk-as 1.2.3, AssemblyScript 0.28 + @assemblyscript/wasi-shim).
//
// Plugin configuration: `<name>=<value>` (split at the first '='), e.g. `x-weir-added=yes`.
// The header is added to the request (onRequestHeaders) and to the response (onResponseHeaders).
// Empty configuration or no '=' → nothing is added.
//
// Written like the README's "Hello, World" (node_modules/@gcoredev/proxy-wasm-sdk-as/README.md),
// including its import paths. The plugin configuration is read by the SDK's default
// RootContext.onConfigure (PLUGIN_CONFIGURATION buffer, skipped when its size is 0) and exposed as
// RootContext.getConfiguration() (assembly/runtime.ts).
export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@gcoredev/proxy-wasm-sdk-as/assembly";

class AddHeaderRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new AddHeader(context_id, this);
  }
}

class AddHeader extends Context {
  constructor(context_id: u32, root_context: AddHeaderRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const config = this.root_context.getConfiguration();
    const eq = config.indexOf("=");
    if (eq > 0) stream_context.headers.request.add(config.substring(0, eq), config.substring(eq + 1));
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const config = this.root_context.getConfiguration();
    const eq = config.indexOf("=");
    if (eq > 0) stream_context.headers.response.add(config.substring(0, eq), config.substring(eq + 1));
    return FilterHeadersStatusValues.Continue;
  }
}

// registerRootContext's name is "accepted for API compatibility ... but ignored" (runtime.ts JSDoc):
// the SDK keeps a single factory and never reads `plugin_root_id`.
registerRootContext((context_id: u32) => {
  return new AddHeaderRoot(context_id);
}, "add-header");
