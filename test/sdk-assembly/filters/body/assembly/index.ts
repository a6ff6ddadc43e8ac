// Body edits: the request body is replaced, appended to or prepended to as `x-body-op` asks;
// the response body is buffered to the end and wrapped.
export * from "../../../../../sdk/assembly/exports";
import { Action, HttpContext, RootContext, registerFilter } from "../../../../../sdk/assembly";

class BodyFilter extends HttpContext {
  op: string = "";

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const op = this.requestHeaders.get("x-body-op");
    this.op = op === null ? "" : op;
    return Action.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    const body = this.requestBody;
    if (this.op == "replace") body.replaceText("replaced");
    else if (this.op == "append") body.appendText("+appended");
    else if (this.op == "prepend") body.prependText("prepended+");
    else if (this.op == "bytes") {
      const read = body.read(1, 3);
      body.replace(read === null ? new ArrayBuffer(0) : read);
    } else if (this.op == "size") body.replaceText(bodySize.toString() + "=" + body.size().toString());
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    if (!endOfStream) return Action.Pause;
    const text = this.responseBody.readText();
    this.responseBody.replaceText("[" + (text === null ? "null" : text) + "]");
    return Action.Continue;
  }
}

class BodyRoot extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new BodyFilter(id, this);
  }
}

registerFilter((id: u32): RootContext => new BodyRoot(id));
