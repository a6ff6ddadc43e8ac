/**
 * Pins the failure policies (shared/reference/proxy-wasm-abi.md §5.5): a trap fails the whole
 * VM; fail-open skips the filter for that and later streams; reload answers 503
 * `wasm_fail_stream` until the backoff elapsed, then serves from a fresh VM; a stream held
 * by the filter (waiting for an http call) gets the policy when the VM fails meanwhile.
 */

import { describe, expect, it } from "vitest";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { watString } from "../../test/fixtures/wat.ts";
import {
  createHost,
  DataStatus,
  encodePairs,
  type FailurePolicy,
  type Filter,
  HeaderMap,
  HeadersStatus,
  type HttpCallRequest,
  type HttpCallResponse,
  type LocalReply,
} from "./index.ts";

const AUTH_HEADERS = encodePairs([
  [":method", "GET"],
  [":path", "/"],
  [":authority", "auth"],
]);
const has = (key: number, len: number) =>
  `(i32.eqz (call $proxy_get_header_map_value (i32.const 0) (i32.const ${key}) (i32.const ${len}) (i32.const 256) (i32.const 260)))`;
/** Traps when the request has `x-crash`; with `x-call` dispatches an http call and pauses. Counts requests at 300, logs at 304, call answers at 308. */
const MODULE = buildGuestModule({
  data: [
    `(data (i32.const 1024) "x-crash")`,
    `(data (i32.const 1032) "x-call")`,
    `(data (i32.const 1040) "auth")`,
    `(data (i32.const 4096) ${watString(AUTH_HEADERS)})`,
  ],
  callbacks: {
    proxy_on_request_headers: `
      (if ${has(1024, 7)} (then (unreachable)))
      (i32.store (i32.const 300) (i32.add (i32.load (i32.const 300)) (i32.const 1)))
      (if ${has(1032, 6)} (then
        (drop (call $proxy_http_call (i32.const 1040) (i32.const 4) (i32.const 4096) (i32.const ${AUTH_HEADERS.byteLength})
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 264)))
        (return (i32.const 1))))
      (i32.const 0)`,
    proxy_on_log: "(i32.store (i32.const 304) (i32.add (i32.load (i32.const 304)) (i32.const 1)))",
    proxy_on_http_call_response: "(i32.store (i32.const 308) (i32.add (i32.load (i32.const 308)) (i32.const 1)))",
  },
});

const counter = (f: Filter, addr: number) => new DataView(f.vm.exports.memory.buffer).getUint32(addr, true);

async function setUp(policy: FailurePolicy) {
  let now = 0;
  const calls: { signal: AbortSignal; resolve: (r: HttpCallResponse) => void }[] = [];
  const upstream = {
    hasCluster: () => true,
    call: (_req: HttpCallRequest, signal: AbortSignal) => new Promise<HttpCallResponse>((resolve) => calls.push({ signal, resolve })),
  };
  const host = createHost({ logger: () => {}, upstream, timers: { monotonic: () => now } });
  const filter = await host.loadFilter({
    name: "crashy",
    module: MODULE,
    failurePolicy: policy,
    reloadBackoff: { baseMs: 100 },
    limits: { fuel: false },
  });
  const open = (headers: Record<string, string> = {}) => {
    const replies: LocalReply[] = [];
    let continued = 0;
    const stream = filter.createStream({ sendLocalReply: (r) => replies.push(r), continueRequest: () => continued++ });
    const status = stream.onRequestHeaders(new HeaderMap({ ":path": "/", ...headers }), false);
    return { stream, status, replies, continued: () => continued };
  };
  return { filter, open, calls, advance: (ms: number) => (now += ms) };
}

describe("fail-open", () => {
  it("skips a trapping filter for that stream and every later one", async () => {
    const { filter, open } = await setUp("fail-open");
    const first = open({ "x-crash": "1" });
    expect(first.status).toBe(HeadersStatus.CONTINUE);
    expect(first.replies).toEqual([]);
    expect(filter.state).toBe("failed");
    expect(first.stream.onRequestBody(new Uint8Array([1]), true)).toBe(DataStatus.CONTINUE);
    expect(first.stream.onResponseHeaders(new HeaderMap({ ":status": "200" }), true)).toBe(HeadersStatus.CONTINUE);
    first.stream.complete();
    const later = open();
    expect(later.status).toBe(HeadersStatus.CONTINUE);
    expect(later.replies).toEqual([]);
    later.stream.complete();
    expect(counter(filter, 300)).toBe(0); // the guest was never entered again
    expect(counter(filter, 304)).toBe(0);
  });
});

describe("reload", () => {
  it("answers 503 wasm_fail_stream until the backoff elapsed, then runs new streams on a fresh VM", async () => {
    const { filter, open, advance } = await setUp("reload");
    const crashed = filter.vm;
    const first = open({ "x-crash": "1" });
    expect(first.status).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(first.replies).toHaveLength(1);
    expect(first.replies[0]).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(filter.counters.failures).toBe(1);
    advance(99);
    const early = open();
    expect(early.replies.map((r) => r.status)).toEqual([503]);
    expect(filter.counters.reloads).toBe(0);
    advance(1);
    const fresh = open();
    expect(fresh.status).toBe(HeadersStatus.CONTINUE);
    expect(fresh.replies).toEqual([]);
    expect(filter.counters.reloads).toBe(1);
    expect(filter.state).toBe("ready");
    expect(filter.vm).not.toBe(crashed);
    expect(counter(filter, 300)).toBe(1);
  });
});

describe("a stream held for an http call when the VM fails", () => {
  it.each(["fail-closed", "reload"] as const)("gets one 503 under %s, and the call is abandoned", async (policy) => {
    const { filter, open, calls } = await setUp(policy);
    const held = open({ "x-call": "1" });
    expect(held.status).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(calls).toHaveLength(1);
    const crasher = open({ "x-crash": "1" });
    expect(crasher.replies.map((r) => r.details)).toEqual(["wasm_fail_stream"]);
    expect(held.replies).toHaveLength(1);
    expect(held.replies[0]).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(held.continued()).toBe(0);
    expect(calls[0].signal.aborted).toBe(true);
    calls[0].resolve({ headers: [[":status", "200"]], body: new Uint8Array(0), trailers: [] });
    await new Promise((r) => setTimeout(r, 0));
    expect(counter(filter, 308)).toBe(0);
    held.stream.complete();
    expect(held.replies).toHaveLength(1);
  });

  it("is continued once under fail-open, without a reply", async () => {
    const { open } = await setUp("fail-open");
    const held = open({ "x-call": "1" });
    expect(held.status).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    const crasher = open({ "x-crash": "1" });
    expect(crasher.status).toBe(HeadersStatus.CONTINUE);
    expect(held.continued()).toBe(1);
    expect(held.replies).toEqual([]);
    expect(held.stream.requestPaused).toBe(false);
    expect(held.stream.onRequestBody(new Uint8Array([1]), true)).toBe(DataStatus.CONTINUE);
  });
});
