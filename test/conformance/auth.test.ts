/**
 * Pins the SDKs' HTTP-callout flow (`RootContext.httpCall` + its callback) through the real host
 * with a scripted upstream, for `@solo-io/proxy-runtime@0.1.8` and `@gcoredev/proxy-wasm-sdk-as@1.2.3`:
 * the `auth` filter pauses the request (StopIteration → STOP_ALL_WATERMARK), calls cluster `auth`,
 * and on `:status` 200 adds `x-auth: ok` and continues; otherwise (another status, a reset, a
 * timeout — the SDK then sees 0 headers) it answers 401; a refused dispatch answers 500.
 *
 * Relies on: `assembly/runtime.ts` of both SDKs (`RootContext.httpCall` keeps the callback by
 * token; `RootContext.onHttpCallResponse` calls `proxy_set_effective_context(origin)` then the
 * callback; `BaseContext.continueRequest` = `proxy_continue_stream(0)`; `send_local_response` /
 * `send_http_response`); `test/conformance/filters/README.md` ("auth"); shared/reference/
 * proxy-wasm-abi.md §1.7 "HTTP callouts", §3.3 item 6, §5.1 (pause/continue), §5.3 (local
 * replies), §5.6 (callout responses go to the root, the SDK switches context).
 */

import { beforeAll, describe, expect, it } from "vitest";
import { createHost, DataStatus, type Filter, HeadersStatus, type HttpCallUpstream, type Timers } from "../../proxy/abi/index.ts";
import {
  clientRequest,
  loadFilter,
  macrotask,
  manualTimers,
  PREPARE_TIMEOUT_MS,
  prepare,
  recordedStream,
  recordLogs,
  SDK_CASES,
  scriptedUpstream,
  statusOnly,
  text,
} from "./support.ts";

const CHECK = [
  [":method", "GET"],
  [":path", "/check"],
  [":authority", "auth"],
];

describe.each(SDK_CASES)("auth on $sdk ($package)", ({ sdk }) => {
  let wasm: Uint8Array;
  beforeAll(async () => {
    wasm = (await prepare(sdk, ["auth"])).auth;
  }, PREPARE_TIMEOUT_MS);

  /** The host log of the last `load`. */
  let logs = recordLogs();
  const load = (upstream: HttpCallUpstream, options: { timers?: Partial<Timers>; clusters?: string[] } = {}): Promise<Filter> => {
    logs = recordLogs();
    const host = createHost({ logger: logs.logger, upstream, timers: options.timers });
    return loadFilter(host, sdk, "auth", wasm, options.clusters ? { capabilities: { clusters: options.clusters } } : {});
  };

  it("callout 200: pauses, calls GET /check on cluster auth, then adds x-auth: ok and continues once", async () => {
    const { upstream, calls } = scriptedUpstream(["auth"], () => statusOnly(200));
    const filter = await load(upstream);
    const { stream, seen } = recordedStream(filter);
    const request = clientRequest({ authorization: "Bearer token-1" });

    expect(stream.onRequestHeaders(request, false)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(stream.requestPaused).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0].request).toMatchObject({
      cluster: "auth",
      headers: [...CHECK, ["authorization", "Bearer token-1"]],
      trailers: [],
      timeoutMs: 1000,
    });
    expect(calls[0].request.body.byteLength).toBe(0);
    // Body data arriving while paused from headers is held, not given to the filter (§5.1).
    expect(stream.onRequestBody(new TextEncoder().encode("payload"), true)).toBe(DataStatus.STOP_BUFFER);
    expect(seen.continues).toBe(0);

    await macrotask();
    expect(seen.continues).toBe(1);
    expect(seen.replies).toEqual([]);
    expect(request.getAll("x-auth")).toEqual(["ok"]);
    expect(request.get("authorization")).toBe("Bearer token-1");
    expect(stream.requestPaused).toBe(false);
    expect(stream.requestBodyPending).toBe(true);
    expect(stream.onRequestBody(new Uint8Array(), true)).toBe(DataStatus.CONTINUE);
    expect(text(stream.takeRequestBody())).toBe("payload");
    stream.complete();
    expect(filter.state).toBe("ready");
    expect(calls[0].signal.aborted).toBe(false);
  });

  it("sends no authorization header when the request has none", async () => {
    const { upstream, calls } = scriptedUpstream(["auth"], () => statusOnly(200));
    const { stream, seen } = recordedStream(await load(upstream));
    expect(stream.onRequestHeaders(clientRequest(), true)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(calls[0].request.headers).toEqual(CHECK);
    await macrotask();
    expect(seen.continues).toBe(1);
  });

  it("callout 403: local reply 401 'unauthorized' (auth_denied), no continue, no x-auth", async () => {
    const { upstream } = scriptedUpstream(["auth"], () => statusOnly(403));
    const filter = await load(upstream);
    const { stream, seen } = recordedStream(filter);
    const request = clientRequest({ authorization: "Bearer bad" });
    expect(stream.onRequestHeaders(request, true)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    await macrotask();
    expect(seen.continues).toBe(0);
    expect(seen.replies).toHaveLength(1);
    expect(seen.replies[0]).toMatchObject({ status: 401, details: "auth_denied", headers: [], grpcStatus: undefined });
    expect(text(seen.replies[0].body)).toBe("unauthorized");
    expect(request.has("x-auth")).toBe(false);
    expect(stream.localReply).toBe(seen.replies[0]);
    stream.complete();
    expect(filter.state).toBe("ready");
  });

  it("upstream rejects (reset): the SDK gets 0 headers and answers 401", async () => {
    const { upstream, calls } = scriptedUpstream(["auth"], () => new Error("connection refused"));
    const filter = await load(upstream);
    const { stream, seen } = recordedStream(filter);
    expect(stream.onRequestHeaders(clientRequest({ authorization: "x" }), true)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(calls).toHaveLength(1);
    await macrotask();
    expect(seen.continues).toBe(0);
    expect(seen.replies.map((r) => [r.status, r.details, text(r.body)])).toEqual([[401, "auth_denied", "unauthorized"]]);
    expect(filter.vm.lastStatus).toEqual({ code: 11, message: "reset: connection refused" });
    expect(filter.state).toBe("ready");
  });

  it("callout timeout (1000 ms on the host clock): the call is aborted and the SDK answers 401", async () => {
    const clock = manualTimers();
    const { upstream, calls } = scriptedUpstream(["auth"]);
    const filter = await load(upstream, { timers: clock.timers });
    const { stream, seen } = recordedStream(filter);
    stream.onRequestHeaders(clientRequest(), true);
    expect(clock.timeouts.map((t) => t.ms)).toEqual([1000]);
    clock.timeouts[0].fn();
    expect(calls[0].signal.aborted).toBe(true);
    expect(seen.replies.map((r) => [r.status, r.details])).toEqual([[401, "auth_denied"]]);
    // A late answer is not delivered a second time.
    calls[0].resolve(statusOnly(200));
    await macrotask();
    expect(seen.continues).toBe(0);
    expect(seen.replies).toHaveLength(1);
  });

  it("unknown cluster: dispatch fails → local reply 500 auth_dispatch_failed, no upstream call", async () => {
    const { upstream, calls } = scriptedUpstream([]);
    const { stream, seen } = recordedStream(await load(upstream));
    expect(stream.onRequestHeaders(clientRequest(), true)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(calls).toEqual([]);
    expect(seen.replies).toHaveLength(1);
    expect(seen.replies[0]).toMatchObject({ status: 500, details: "auth_dispatch_failed" });
    expect(text(seen.replies[0].body)).toBe("auth dispatch failed");
    expect(stream.requestPaused).toBe(false);
    expect(logs.entries).toContainEqual(expect.objectContaining({ level: "warn", message: '[host] http call to unknown cluster "auth"' }));
    await macrotask();
    expect(seen.continues).toBe(0);
  });

  it("an upstream that cannot send (call throws): dispatch fails → 500 auth_dispatch_failed, the VM stays up", async () => {
    // Reference §1.7 "HTTP callouts": a send failure is INTERNAL_FAILURE from proxy_http_call
    // (Envoy `Context::httpCall`); the SDK's httpCall returns it and the filter answers 500.
    // Node's http.request, for one, throws synchronously (e.g. ERR_INVALID_CHAR in a header value).
    const upstream: HttpCallUpstream = {
      hasCluster: (name) => name === "auth",
      call: () => {
        throw new TypeError("cannot send: no connection pool");
      },
    };
    const filter = await load(upstream);
    const { stream, seen } = recordedStream(filter);
    stream.onRequestHeaders(clientRequest(), true);
    expect(filter.lastError?.message).toBeUndefined();
    expect(filter.state).toBe("ready");
    expect(seen.replies.map((r) => [r.status, r.details])).toEqual([[500, "auth_dispatch_failed"]]);
    expect(filter.vm.pendingCallTokens).toEqual([]);
  });

  it("a cluster outside the filter's declared capabilities is refused the same way (500)", async () => {
    const { upstream, calls } = scriptedUpstream(["auth"], () => statusOnly(200));
    const { stream, seen } = recordedStream(await load(upstream, { clusters: ["other"] }));
    stream.onRequestHeaders(clientRequest(), true);
    expect(calls).toEqual([]);
    expect(seen.replies.map((r) => [r.status, r.details])).toEqual([[500, "auth_dispatch_failed"]]);
    expect(logs.entries).toContainEqual(
      expect.objectContaining({ level: "warn", message: expect.stringContaining("not among the clusters") }),
    );
  });

  it("two streams answered out of order each get their own verdict (the SDK switches to the origin)", async () => {
    const clock = manualTimers();
    const { upstream, calls } = scriptedUpstream(["auth"]);
    const filter = await load(upstream, { timers: clock.timers });
    const a = recordedStream(filter);
    const b = recordedStream(filter);
    const requestA = clientRequest({ authorization: "a" });
    const requestB = clientRequest({ authorization: "b" });
    a.stream.onRequestHeaders(requestA, true);
    b.stream.onRequestHeaders(requestB, true);
    expect(calls.map((c) => c.request.headers.at(-1))).toEqual([
      ["authorization", "a"],
      ["authorization", "b"],
    ]);
    calls[1].resolve(statusOnly(403));
    await macrotask();
    expect(b.seen.replies.map((r) => r.status)).toEqual([401]);
    expect(a.seen.replies).toEqual([]);
    calls[0].resolve(statusOnly(200));
    await macrotask();
    expect(a.seen.continues).toBe(1);
    expect(requestA.get("x-auth")).toBe("ok");
    expect(requestB.has("x-auth")).toBe(false);
    expect(b.seen.continues).toBe(0);
    // Both 1000 ms timeouts were cleared once answered.
    expect(clock.timeouts.map((t) => [t.ms, t.cleared])).toEqual([
      [1000, true],
      [1000, true],
    ]);
  });

  it("a stream that ends before the answer: the call is aborted and nothing is delivered", async () => {
    const { upstream, calls } = scriptedUpstream(["auth"]);
    const filter = await load(upstream);
    const { stream, seen } = recordedStream(filter);
    stream.onRequestHeaders(clientRequest(), true);
    stream.complete();
    expect(calls[0].signal.aborted).toBe(true);
    calls[0].resolve(statusOnly(200));
    await macrotask();
    expect(seen).toEqual({ replies: [], resets: [], continues: 0 });
    expect(filter.state).toBe("ready");
    // The filter still serves the next stream.
    const next = recordedStream(filter);
    next.stream.onRequestHeaders(clientRequest(), true);
    calls[1].resolve(statusOnly(200));
    await macrotask();
    expect(next.seen.continues).toBe(1);
  });
});
