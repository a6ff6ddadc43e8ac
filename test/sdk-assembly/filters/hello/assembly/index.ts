// examples/hello-filter (written there with the G-Core SDK) written with weir's SDK, for an
// apples-to-apples benchmark. Config `<header>=<value>`: adds that request header, strips
// `x-internal-token`, answers 403 under /admin, and marks responses `x-filtered-by: weir`.
export * from "../../../../../sdk/assembly/exports";
import { Action, Config, HttpContext, RootContext, registerFilter } from "../../../../../sdk/assembly";

class HelloRoot extends RootContext {
  name: string = "";
  value: string = "";

  onConfigure(config: Config): bool {
    const text = config.text;
    const eq = text.indexOf("=");
    if (eq > 0) {
      this.name = text.substring(0, eq);
      this.value = text.substring(eq + 1);
    }
    return true;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new Hello(id, this);
  }
}

class Hello extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const headers = this.requestHeaders;
    const path = headers.get(":path");
    if (path !== null && path.startsWith("/admin")) {
      this.sendLocalResponse(403, "forbidden\n", [], "admin_blocked", 7);
      return Action.Pause;
    }
    const root = this.root as HelloRoot;
    if (root.name.length > 0) headers.add(root.name, root.value);
    headers.remove("x-internal-token");
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    this.responseHeaders.add("x-filtered-by", "weir");
    return Action.Continue;
  }
}

registerFilter((id: u32): RootContext => new HelloRoot(id));
