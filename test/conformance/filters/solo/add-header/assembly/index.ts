// add-header (solo-io/proxy-runtime 0.1.8, AssemblyScript 0.17.14).
//
// Plugin configuration: `<name>=<value>` (split at the first '='), e.g. `x-weir-added=yes`.
// The header is added to the request (onRequestHeaders) and to the response (onResponseHeaders).
// Empty configuration or no '=' → nothing is added.
//
// Written like the README's "Hello, World" (node_modules/@solo-io/proxy-runtime/README.md):
// the README import paths `@solo-io/proxy-runtime/proxy` and `@solo-io/proxy-runtime` are the ones
// AS 0.17 resolves (it maps them to the package's `assembly/` folder); the `/assembly/...` form
// used by the SDK's later git HEAD fails on AS 0.17 with TS6054.
export * from "@solo-io/proxy-runtime/proxy"; // README: "this exports the required functions for the proxy to interact with us."
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";

class AddHeaderRoot extends RootContext {
  // getConfiguration() returns what the default RootContext.onConfigure read from
  // PLUGIN_CONFIGURATION (assembly/runtime.ts, RootContext.onConfigure).
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

// The name must equal the `plugin_root_id` property the host returns (runtime.ts ensureRootContext).
registerRootContext((context_id: u32) => {
  return new AddHeaderRoot(context_id);
}, "add-header");
