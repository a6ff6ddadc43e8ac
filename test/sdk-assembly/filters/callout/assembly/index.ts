// Http calls made for a stream, answered at the root and routed back: `x-mode: callback`
// uses a callback function, `x-mode: method` the context's onHttpCallResponse, `x-mode:
// unknown` calls a cluster the proxy does not know. `x-mode: deny` answers locally.
export * from "../../../../../sdk/assembly/exports";
import { Action, Config, Context, HeaderPair, HttpCallResponse, HttpContext, logInfo, RootContext, registerFilter } from "../../../../../sdk/assembly";

function authRequest(path: string): HeaderPair[] {
  return [new HeaderPair(":method", "GET"), new HeaderPair(":path", path), new HeaderPair(":authority", "auth")];
}

/** The callback variant: routes to the stream that made the call. */
function onAuth(origin: Context, response: HttpCallResponse): void {
  (origin as Callout).finish(response, "callback");
}

class Callout extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const mode = this.requestHeaders.get("x-mode");
    if (mode == "deny") {
      this.sendLocalResponse(403, "denied\n", [new HeaderPair("x-reason", "test")], "test denied", 7);
      return Action.Pause;
    }
    if (mode == "unknown") {
      this.requestHeaders.set("x-token", this.httpCall("nope", authRequest("/check")).toString());
      return Action.Continue;
    }
    const body = String.UTF8.encode("who?");
    const token = mode == "callback" ? this.httpCall("auth", authRequest("/check"), body, 1000, onAuth) : this.httpCall("auth", authRequest("/check"), body, 1000);
    return token == 0 ? Action.Continue : Action.Pause;
  }

  onHttpCallResponse(token: u32, response: HttpCallResponse): void {
    this.finish(response, "method");
  }

  finish(response: HttpCallResponse, how: string): void {
    if (response.failed) {
      this.sendLocalResponse(503, "auth failed: " + response.failureReason() + "\n", [], "auth_failed");
      return;
    }
    if (response.status != 200) {
      this.sendLocalResponse(403, response.bodyText());
      return;
    }
    const user = response.header("x-user");
    const headers = this.requestHeaders;
    headers.set("x-auth-via", how);
    headers.set("x-auth-user", user === null ? "none" : user);
    headers.set("x-auth-body", response.bodyText() + "/" + response.bodySize.toString());
    headers.set("x-auth-token", response.token.toString());
    this.continueRequest();
  }
}

class CalloutRoot extends RootContext {
  onConfigure(config: Config): bool {
    // A call on the root's own behalf: its response goes to the root's onHttpCallResponse.
    if (config.text == "warm-up") this.httpCall("auth", authRequest("/warm-up"), null, 1000);
    return true;
  }

  onHttpCallResponse(token: u32, response: HttpCallResponse): void {
    logInfo("root: warm-up answered " + response.status.toString() + " for " + orNone(response.header("x-user")));
  }

  createHttpContext(id: u32): HttpContext | null {
    return new Callout(id, this);
  }
}

function orNone(value: string | null): string {
  return value === null ? "none" : value;
}

registerFilter((id: u32): RootContext => new CalloutRoot(id));
