// JSON configuration through typed getters; the stream reports what onConfigure read in the
// `x-config` request header. A config starting with "raw:" is used as text, never parsed.
export * from "../../../../../sdk/assembly/exports";
import { Action, Config, HttpContext, RootContext, registerFilter } from "../../../../../sdk/assembly";

class ConfigRoot extends RootContext {
  summary: string = "";

  onConfigure(config: Config): bool {
    if (config.text.startsWith("raw:")) {
      this.summary = config.text;
      return true;
    }
    config.allowOnly(["header", "limit", "ratio", "enabled", "tags", "upstream"]);
    const header = config.getString("header", "x-default");
    const limit = config.requireInt("limit", 1, 1000);
    const ratio = config.getNumber("ratio", 1.0);
    const enabled = config.getBool("enabled", false);
    const tags = config.getStringArray("tags");
    const upstream = config.getObject("upstream");
    let cluster = "none";
    let timeout: i64 = 0;
    if (upstream !== null) {
      cluster = upstream.requireString("cluster");
      timeout = upstream.getInt("timeout_ms", 1000, 0, 60000);
    }
    this.summary =
      header + " " + limit.toString() + " " + ratio.toString() + " " + (enabled ? "on" : "off") + " [" + tags.join("|") + "] " + cluster + " " + timeout.toString();
    return true;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new ConfigStream(id, this);
  }
}

class ConfigStream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    this.requestHeaders.set("x-config", (this.root as ConfigRoot).summary);
    return Action.Continue;
  }
}

registerFilter((id: u32): RootContext => new ConfigRoot(id));
