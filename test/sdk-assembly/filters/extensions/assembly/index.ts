// weir's extensions and the standard attributes: the request reports what it read in
// response-side headers set on the request, picks a cluster from `x-cluster`, checks an HS256
// signature from `x-signed: <data>.<signature>`; a 503 response asks for a retry.
export * from "../../../../../sdk/assembly/exports";
import {
  Action,
  connectionMtls,
  HttpContext,
  peerIdentity,
  pluginName,
  requestHost,
  requestId,
  requestMethod,
  requestPath,
  requestRetry,
  requestScheme,
  RootContext,
  registerFilter,
  setUpstreamCluster,
  SignatureCheck,
  sourceAddress,
  sourcePort,
  upstreamAttempt,
  upstreamCluster,
  verifySignature,
} from "../../../../../sdk/assembly";

function orNone(value: string | null): string {
  return value === null ? "none" : value;
}

class Extensions extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const headers = this.requestHeaders;
    const cluster = headers.get("x-cluster");
    if (cluster !== null) headers.set("x-cluster-set", setUpstreamCluster(cluster) ? "yes" : "no");
    headers.set("x-cluster-now", orNone(upstreamCluster()));
    headers.set("x-attempt", upstreamAttempt().toString());
    headers.set("x-peer", orNone(peerIdentity()));
    headers.set(
      "x-attributes",
      orNone(requestMethod()) + " " + orNone(requestScheme()) + "://" + orNone(requestHost()) + orNone(requestPath()) + " id=" + orNone(requestId()),
    );
    headers.set("x-connection", orNone(sourceAddress()) + " port=" + sourcePort().toString() + " mtls=" + (connectionMtls() ? "true" : "false"));
    headers.set("x-plugin", orNone(pluginName()));
    const signed = headers.get("x-signed");
    if (signed !== null) {
      const dot = signed.lastIndexOf(".");
      const check = verifySignature("HS256", "secret", signed.substring(0, dot), signed.substring(dot + 1));
      headers.set("x-signature", check == SignatureCheck.Valid ? "valid" : check == SignatureCheck.Invalid ? "invalid" : check == SignatureCheck.Unavailable ? "unavailable" : "bad");
    }
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    if (this.responseHeaders.get(":status") == "503") {
      const accepted = requestRetry(this.responseHeaders.has("x-retry-later") ? 250 : -1);
      this.responseHeaders.set("x-retry", accepted ? "accepted" : "refused");
    }
    return Action.Continue;
  }
}

class ExtensionsRoot extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new Extensions(id, this);
  }
}

registerFilter((id: u32): RootContext => new ExtensionsRoot(id));
