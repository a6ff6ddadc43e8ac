// Header operations: reads, missing → null, set/add/remove, pairs, trailers; onLog logs at
// every level.
export * from "../../../../../sdk/assembly/exports";
import {
  Action,
  HeaderPair,
  HttpContext,
  log,
  LogLevel,
  logDebug,
  logError,
  logInfo,
  logLevel,
  logTrace,
  logWarn,
  RootContext,
  registerFilter,
} from "../../../../../sdk/assembly";

class Headers extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const h = this.requestHeaders;
    const present = h.get("x-present");
    const missing = h.get("x-missing");
    h.set("x-seen", present === null ? "null" : present);
    h.add("x-missing-was", missing === null ? "null" : missing);
    h.add("x-count", headerCount.toString() + "/" + h.pairs().length.toString());
    h.remove("x-remove-me");
    h.set("x-has", h.has("x-present") ? "yes" : "no");
    h.setInteger("x-zero", 0);
    h.setInteger("x-int", 1234567890);
    h.setInteger("x-negative", -42);
    h.setInteger("x-max", i64.MAX_VALUE);
    h.setInteger("x-min", i64.MIN_VALUE);
    h.setInteger("x-replaced", 7);
    // getBytesInto: the same length reuses the buffer, another length gets a new one.
    const three = new ArrayBuffer(3);
    const same = h.getBytesInto("x-present", three);
    const other = h.getBytesInto("x-seen", new ArrayBuffer(1));
    const absent = h.getBytesInto("x-missing", three);
    if (same !== null && other !== null) {
      const reused = same === three ? "reused:" : "new:";
      const grown = other.byteLength == 3 ? "new:" + String.UTF8.decode(other) : "wrong";
      h.set("x-bytes-into", reused + String.UTF8.decode(same) + "," + grown + "," + (absent === null ? "null" : "found"));
    }
    return Action.Continue;
  }

  onRequestTrailers(trailerCount: u32): Action {
    const trailers = this.requestTrailers;
    const checksum = trailers.get("x-checksum");
    trailers.set("x-checked", checksum === null ? "missing" : checksum + "/" + trailerCount.toString());
    trailers.remove("x-drop");
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    // Trailers can be added from the last body callback of a stream that has none.
    if (endOfStream) this.responseTrailers.add("x-trailer", "added");
    return Action.Continue;
  }

  onLog(): void {
    const level = logLevel();
    logTrace("trace line");
    logDebug("debug line");
    logInfo("info line, level " + level.toString());
    logWarn("warn line");
    logError("error line");
    log(LogLevel.Critical, "critical line, path " + (this.requestHeaders.get(":path") as string));
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    this.responseHeaders.setPairs([new HeaderPair(":status", "201"), new HeaderPair("x-all", this.responseHeaders.getAll("x-multi").join(","))]);
    return Action.Continue;
  }
}

class HeadersRoot extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new Headers(id, this);
  }
}

registerFilter((id: u32): RootContext => new HeadersRoot(id));
