/**
 * The test host's `proxy_http_call` upstream: every call the filter dispatches is recorded as
 * a {@linkcode TestHttpCall} and stays pending until the test answers it, fails it, or lets it
 * time out. Answers travel the host's real path (a promise the host awaits, then
 * `proxy_on_http_call_response` on the root context), so they arrive asynchronously: await
 * `respond()` / `fail()` or `host.settle()` before inspecting.
 */

import { type HeaderInit, HeaderMap, type HttpCallRequest, type HttpCallResponse, type HttpCallUpstream } from "../../proxy/abi/index.ts";
import type { ManualClock } from "./clock.ts";
import type { TestHttpContext } from "./http-context.ts";

/** Where a dispatched call stands. */
export type HttpCallState = "pending" | "answered" | "failed" | "timed-out" | "cancelled";

/**
 * A response for {@linkcode TestHttpCall.respond}.
 *
 * @example
 * ```ts
 * await call.respond({ status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' });
 * ```
 */
export interface HttpCallAnswer {
  /** Becomes the `:status` header (default 200). */
  status?: number;
  headers?: HeaderInit;
  body?: string | Uint8Array;
  trailers?: HeaderInit;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * One `proxy_http_call` the filter made.
 *
 * @example
 * ```ts
 * const [call] = host.httpCalls;
 * expect(call.cluster).toBe("auth");
 * expect(call.headers).toHaveHeader(":path", "/check");
 * await call.respond({ status: 200, body: "ok" });
 * ```
 */
export class TestHttpCall {
  /** The token the filter got back (4, 8, 12, …). */
  readonly token: number;
  readonly cluster: string;
  /** Request headers as the host sent them (names lower-cased; `content-length` added for a body). */
  readonly headers: HeaderMap;
  readonly bodyBytes: Uint8Array;
  readonly trailers: HeaderMap;
  /** The filter's timeout; 0 means none. */
  readonly timeoutMs: number;
  /** The stream the call was made for, or undefined when the root context made it. */
  readonly http: TestHttpContext | undefined;
  #state: HttpCallState = "pending";
  #resolve: (response: HttpCallResponse) => void = () => {};
  #reject: (error: Error) => void = () => {};
  readonly #settle: () => Promise<void>;
  readonly #timeout: (() => boolean) | undefined;

  /** Made by the test host's upstream. */
  constructor(
    request: HttpCallRequest,
    origin: { token: number; http: TestHttpContext | undefined },
    settle: () => Promise<void>,
    timeout: (() => boolean) | undefined,
  ) {
    this.token = origin.token;
    this.http = origin.http;
    this.cluster = request.cluster;
    this.headers = new HeaderMap(request.headers);
    this.bodyBytes = request.body;
    this.trailers = new HeaderMap(request.trailers);
    this.timeoutMs = request.timeoutMs;
    this.#settle = settle;
    this.#timeout = timeout;
  }

  /** The request body decoded as UTF-8. */
  get body(): string {
    return decoder.decode(this.bodyBytes);
  }

  get state(): HttpCallState {
    return this.#state;
  }

  /** Answers the call; resolves once the filter's `proxy_on_http_call_response` has run. */
  respond(answer: HttpCallAnswer = {}): Promise<void> {
    this.#expectPending("respond");
    const headers = new HeaderMap(answer.headers);
    if (!headers.has(":status") || answer.status !== undefined) headers.set(":status", String(answer.status ?? 200));
    const body = typeof answer.body === "string" ? encoder.encode(answer.body) : (answer.body ?? new Uint8Array(0));
    this.#state = "answered";
    this.#resolve({ headers: headers.entries(), body, trailers: new HeaderMap(answer.trailers).entries() });
    return this.#settle();
  }

  /** Fails the call as a reset or connect failure would; the filter sees no response headers. */
  fail(reason = "connection reset"): Promise<void> {
    this.#expectPending("fail");
    this.#state = "failed";
    this.#reject(new Error(reason));
    return this.#settle();
  }

  /** Lets the call time out now, as if its `timeoutMs` had passed (synchronous, like the host's timer). */
  timeout(): void {
    this.#expectPending("timeout");
    if (this.#timeout === undefined || !this.#timeout()) {
      throw new Error(`timeout() on the http call to "${this.cluster}" (token ${this.token}): the filter gave it no timeout (0 ms)`);
    }
  }

  /** Wires the promise the host awaits (the upstream's `call`). */
  attach(resolve: (response: HttpCallResponse) => void, reject: (error: Error) => void, signal: AbortSignal): void {
    this.#resolve = resolve;
    this.#reject = reject;
    signal.addEventListener("abort", () => {
      if (this.#state !== "pending") return;
      const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
      this.#state = reason === "timeout" ? "timed-out" : "cancelled";
      reject(signal.reason instanceof Error ? signal.reason : new Error(reason));
    });
  }

  #expectPending(method: string): void {
    if (this.#state !== "pending") {
      throw new Error(`${method}() on the http call to "${this.cluster}" (token ${this.token}), which is already ${this.#state}`);
    }
  }
}

/** The in-memory upstream behind `proxy_http_call`. */
export class TestUpstream implements HttpCallUpstream {
  readonly calls: TestHttpCall[] = [];
  readonly #clusters: ReadonlySet<string> | undefined;
  readonly #clock: ManualClock;
  readonly #settle: () => Promise<void>;
  readonly #origin: () => { token: number; http: TestHttpContext | undefined };

  constructor(options: {
    clusters: readonly string[] | undefined;
    clock: ManualClock;
    settle: () => Promise<void>;
    origin: () => { token: number; http: TestHttpContext | undefined };
  }) {
    this.#clusters = options.clusters === undefined ? undefined : new Set(options.clusters);
    this.#clock = options.clock;
    this.#settle = options.settle;
    this.#origin = options.origin;
  }

  /** Every cluster exists unless the test host was given a list. */
  hasCluster(name: string): boolean {
    return this.#clusters === undefined || this.#clusters.has(name);
  }

  call(request: HttpCallRequest, signal: AbortSignal): Promise<HttpCallResponse> {
    // The host arms the call's timer just before it calls us (proxy/abi/host-calls.ts `dispatchHttpCall`).
    const timer = request.timeoutMs > 0 ? this.#clock.lastTimeout() : undefined;
    const fire = timer && timer.ms === request.timeoutMs ? () => this.#clock.fire(timer.id) : undefined;
    const call = new TestHttpCall(request, this.#origin(), this.#settle, fire);
    this.calls.push(call);
    return new Promise<HttpCallResponse>((resolve, reject) => call.attach(resolve, reject, signal));
  }
}
