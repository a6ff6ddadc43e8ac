// Calls made where the ABI does not allow them, chosen by `x-misuse`, to pin the SDK's error
// messages: the call, its arguments and the status — never a bare abort.
export * from "../../../../../sdk/assembly/exports";
import { Action, HttpContext, RootContext, registerFilter } from "../../../../../sdk/assembly";

class Misuse extends HttpContext {
  misuse: string = "";

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const misuse = this.requestHeaders.get("x-misuse");
    this.misuse = misuse === null ? "" : misuse;
    if (this.misuse == "read-response-headers") this.responseHeaders.get("x-a");
    if (this.misuse == "index") {
      const list = new Array<string>();
      this.requestHeaders.set("x-never", list[3]);
    }
    if (this.misuse == "throw") throw new Error("the filter gave up on " + this.misuse);
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    if (this.misuse == "late-request-header") this.requestHeaders.set("x-late", "1");
    return Action.Continue;
  }
}

class MisuseRoot extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new Misuse(id, this);
  }
}

registerFilter((id: u32): RootContext => new MisuseRoot(id));
