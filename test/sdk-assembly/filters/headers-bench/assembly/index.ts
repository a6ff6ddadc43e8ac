// test/bench/filters/raw-headers written with the SDK: reads 10 request headers (sums their
// lengths) and adds one request and one response header.
export * from "../../../../../sdk/assembly/exports";
import { Action, HttpContext, RootContext, registerFilter } from "../../../../../sdk/assembly";

const NAMES: string[] = [":method", ":path", ":authority", "user-agent", "accept", "x-request-id", "authorization", "x-b3-traceid", "cookie", "content-type"];

class HeadersBench extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const headers = this.requestHeaders;
    let total = 0;
    for (let i = 0; i < NAMES.length; i++) {
      const value = headers.get(unchecked(NAMES[i]));
      if (value !== null) total += String.UTF8.byteLength(value);
    }
    headers.add("x-seen-bytes", total.toString());
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    this.responseHeaders.add("x-filtered", "1");
    return Action.Continue;
  }
}

class HeadersBenchRoot extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new HeadersBench(id, this);
  }
}

registerFilter((id: u32): RootContext => new HeadersBenchRoot(id));
