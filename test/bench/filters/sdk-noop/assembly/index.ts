// A filter that does nothing: every callback keeps the SDK's default ("continue"). Measures
// the host's fixed cost per stream.
export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";

import { Context, RootContext, registerRootContext } from "@gcoredev/proxy-wasm-sdk-as/assembly";

class NoopRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Context(context_id, this);
  }
}

registerRootContext((context_id: u32) => new NoopRoot(context_id), "noop");
