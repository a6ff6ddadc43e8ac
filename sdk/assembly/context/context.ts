// What root and stream contexts share: an id, liveness, and the http calls they make (routed
// back to them by `pending-calls.ts`).

import { httpCall } from "../abi/http-call";
import { useContext } from "../abi/stream";
import { HttpCallResponse } from "../http-call-response";
import { HeaderPair } from "../pairs";
import { registerCall } from "./pending-calls";

/** A function that receives an http call's response instead of `onHttpCallResponse`. Cast `origin` to your class. */
export type HttpCallback = (origin: Context, response: HttpCallResponse) => void;

/** A proxy-wasm context: the plugin's root or one HTTP stream. */
export class Context {
  /** The host's id for this context. */
  readonly id: u32;
  /** False once the host deleted the context. */
  alive: bool = true;
  /** Http calls made by this context that have not been answered. */
  pendingCalls: i32 = 0;

  constructor(id: u32) {
    this.id = id;
  }

  /**
   * Makes this context the one host calls act on. Needed only to act on a context from
   * another one's callback (say, a root resuming a stream in `onTick`); the accessors of
   * `HttpContext` do it for you.
   */
  makeCurrent(): void {
    useContext(this.id);
  }

  /**
   * Sends a request to `cluster` (a cluster name the proxy knows, not a URL) on behalf of this
   * context. `headers` must include `:method`, `:path` and `:authority`. The response is
   * passed to `callback` if given, otherwise to `onHttpCallResponse`, with this context
   * effective again. Returns the call's token, or 0 when the host refused the call (logged).
   * Not allowed during module start.
   *
   * @example
   * ```ts
   * this.httpCall("auth", [new HeaderPair(":method", "GET"), new HeaderPair(":path", "/check"),
   *   new HeaderPair(":authority", "auth")], null, 1000);
   * return Action.Pause; // continue from onHttpCallResponse
   * ```
   */
  httpCall(
    cluster: string,
    headers: HeaderPair[],
    body: ArrayBuffer | null = null,
    timeoutMs: u32 = 5000,
    callback: HttpCallback | null = null,
    trailers: HeaderPair[] = [],
  ): u32 {
    useContext(this.id);
    const data = body === null ? 0 : changetype<usize>(body);
    const size = body === null ? 0 : <usize>body.byteLength;
    const token = httpCall(cluster, headers, data, size, trailers, timeoutMs);
    if (token != 0) registerCall(token, this, callback);
    return token;
  }

  /** Receives the responses to this context's http calls that were made without a callback. */
  onHttpCallResponse(token: u32, response: HttpCallResponse): void {}
}
