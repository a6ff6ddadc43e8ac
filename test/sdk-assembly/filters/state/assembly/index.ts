// Per-stream state across many concurrent streams, and a root acting on streams from its own
// callback: requests with `x-hold` wait until the next tick releases them.
export * from "../../../../../sdk/assembly/exports";
import { Action, Config, HttpContext, RootContext, registerFilter } from "../../../../../sdk/assembly";

class StateRoot extends RootContext {
  held: StateStream[] = [];

  onConfigure(config: Config): bool {
    this.setTickPeriod(60_000);
    return true;
  }

  onTick(): void {
    const held = this.held;
    this.held = [];
    for (let i = 0; i < held.length; i++) {
      const stream = held[i];
      if (!stream.alive) continue;
      stream.requestHeaders.set("x-released", "tick");
      stream.continueRequest();
    }
  }

  createHttpContext(id: u32): HttpContext | null {
    return new StateStream(id, this);
  }
}

class StateStream extends HttpContext {
  tag: string = "";

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const tag = this.requestHeaders.get("x-id");
    this.tag = tag === null ? "" : tag;
    if (!this.requestHeaders.has("x-hold")) return Action.Continue;
    (this.root as StateRoot).held.push(this);
    return Action.Pause;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    this.responseHeaders.set("x-id", this.tag + "/" + this.id.toString());
    return Action.Continue;
  }
}

registerFilter((id: u32): RootContext => new StateRoot(id));
