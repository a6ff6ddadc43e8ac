// Shared state: a request increments the shared counter "hits" with updateSharedData. With
// `x-interfere: once|always` the update function first calls the foreign function
// `test.interfere`, through which the test makes another filter (same vm_id) write "hits" in
// between — a real CAS race. The root also registers queue "events"; requests enqueue their
// path (resolved by vm_id) and onQueueReady logs what it dequeues.
export * from "../../../../../sdk/assembly/exports";
import {
  Action,
  callForeignFunction,
  Config,
  getSharedData,
  HttpContext,
  logInfo,
  readSharedDataAt,
  RootContext,
  registerFilter,
  SharedQueue,
  SharedValue,
  updateSharedData,
} from "../../../../../sdk/assembly";

// readSharedDataAt reads into this one value; x-read-reused says whether its buffer survived.
const kept = new SharedValue(new ArrayBuffer(0), 7);

let interfere = "";
let attempts = 0;

function increment(current: ArrayBuffer | null): ArrayBuffer | null {
  attempts++;
  if (interfere == "always" || (interfere == "once" && attempts == 1)) callForeignFunction("test.interfere");
  const next = new ArrayBuffer(8);
  store<u64>(changetype<usize>(next), (current === null ? 0 : load<u64>(changetype<usize>(current))) + 1);
  return next;
}

class SharedStream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const headers = this.requestHeaders;
    const mode = headers.get("x-interfere");
    interfere = mode === null ? "" : mode;
    attempts = 0;
    const updated = updateSharedData("hits", increment, 3);
    const hits = getSharedData("hits");
    headers.set("x-updated", updated ? "true" : "false");
    headers.set("x-attempts", attempts.toString());
    headers.set("x-hits", hits === null ? "none" : load<u64>(changetype<usize>(hits.value)).toString());
    const readKey = headers.get("x-read");
    if (readKey !== null) {
      const before = changetype<usize>(kept.value);
      const key = String.UTF8.encode(readKey);
      const found = readSharedDataAt(changetype<usize>(key), <usize>key.byteLength, kept);
      headers.set("x-read-found", found ? "true" : "false");
      headers.set("x-read-cas", kept.cas.toString());
      headers.set("x-read-bytes", kept.value.byteLength.toString());
      if (kept.value.byteLength == 8) headers.set("x-read-value", load<u64>(changetype<usize>(kept.value)).toString());
      headers.set("x-read-reused", changetype<usize>(kept.value) == before ? "true" : "false");
      if (hits !== null) headers.set("x-hits-cas", hits.cas.toString());
    }
    const path = headers.get(":path");
    const queue = SharedQueue.resolve("shared", "events");
    if (queue !== null && path !== null) queue.enqueueText(path);
    const missing = SharedQueue.resolve("shared", "no-such-queue");
    headers.set("x-missing-queue", missing === null ? "null" : "found");
    return Action.Continue;
  }
}

class SharedRoot extends RootContext {
  queue: SharedQueue | null = null;

  onConfigure(config: Config): bool {
    if (config.text == "consumer") this.queue = SharedQueue.register("events");
    return true;
  }

  onQueueReady(queueId: u32): void {
    const queue = this.queue;
    if (queue === null || queue.id != queueId) return;
    for (let item = queue.dequeueText(); item !== null; item = queue.dequeueText()) logInfo("dequeued " + item);
  }

  createHttpContext(id: u32): HttpContext | null {
    return new SharedStream(id, this);
  }
}

registerFilter((id: u32): RootContext => new SharedRoot(id));
