// A filter with a root only: streams get no context, so they cost one table lookup each.
export * from "../../../../../sdk/assembly/exports";
import { RootContext, registerFilter } from "../../../../../sdk/assembly";

registerFilter((id: u32): RootContext => new RootContext(id));
