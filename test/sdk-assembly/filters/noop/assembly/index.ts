// The benchmark's empty filter: a stream context per stream that overrides nothing, so every
// callback is the SDK's default "continue" (the same shape as test/bench/filters/sdk-noop).
export * from "../../../../../sdk/assembly/exports";
import { HttpContext, RootContext, registerFilter } from "../../../../../sdk/assembly";

class NoopRoot extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new HttpContext(id, this);
  }
}

registerFilter((id: u32): RootContext => new NoopRoot(id));
