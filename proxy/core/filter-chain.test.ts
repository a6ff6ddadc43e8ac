/**
 * Pins the filter chain: order (request forward, response in reverse), held headers and
 * body, buffering filters, trailers reaching a buffering filter, local replies travelling back
 * through earlier filters only, and a failed filter's 503.
 */

import { describe, expect, it } from "vitest";
import { buildGuestModule, type GuestModuleSpec } from "../../test/fixtures/proxy-wasm-wat.ts";
import { createHost, type Filter, HeaderMap, type LocalReply } from "../abi/index.ts";
import { type ChainSink, FilterChain } from "./filter-chain.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A guest whose data segment holds "x-order" at 1024 and its own tag at 1040. */
function tagged(tag: string, callbacks: GuestModuleSpec["callbacks"] = {}, extra = ""): Uint8Array {
  return buildGuestModule({
    data: [`(data (i32.const 1024) "x-order")`, `(data (i32.const 1040) "${tag}")`, `(data (i32.const 1056) "denied")`],
    callbacks: {
      proxy_on_request_headers: `(drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 1024) (i32.const 7) (i32.const 1040) (i32.const ${tag.length}))) (i32.const 0)`,
      proxy_on_response_headers: `(drop (call $proxy_add_header_map_value (i32.const 2) (i32.const 1024) (i32.const 7) (i32.const 1040) (i32.const ${tag.length}))) (i32.const 0)`,
      ...callbacks,
    },
    extra,
  });
}

/** Pauses request headers and resumes them from on_tick (Go SDK's postpone_requests pattern). */
const PAUSER = {
  proxy_on_request_headers: "(global.set $held (local.get $0)) (i32.const 1)",
  proxy_on_tick:
    "(if (global.get $held) (then (drop (call $proxy_set_effective_context (global.get $held))) (drop (call $proxy_continue_stream (i32.const 0))) (global.set $held (i32.const 0))))",
};
const HELD_GLOBAL = "(global $held (mut i32) (i32.const 0))";

interface Recorded {
  events: string[];
  requestBody: string;
  responseBody: string;
  replies: LocalReply[];
}

function recordingSink(): ChainSink & Recorded {
  const rec: Recorded = { events: [], requestBody: "", responseBody: "", replies: [] };
  return Object.assign(rec, {
    requestHeaders: (h: HeaderMap, end: boolean) =>
      void rec.events.push(`req-headers ${h.getAll("x-order").join(",")}${end ? " end" : ""}`),
    requestData: (c: Uint8Array, end: boolean) => {
      rec.requestBody += dec(c);
      rec.events.push(`req-data ${dec(c)}${end ? " end" : ""}`);
    },
    requestTrailers: (t: HeaderMap) => void rec.events.push(`req-trailers ${t.get("grpc-status") ?? ""}`),
    responseHeaders: (h: HeaderMap, end: boolean) =>
      void rec.events.push(`res-headers ${h.get(":status")} ${h.getAll("x-order").join(",")}${end ? " end" : ""}`),
    responseData: (c: Uint8Array, end: boolean) => {
      rec.responseBody += dec(c);
      rec.events.push(`res-data ${dec(c)}${end ? " end" : ""}`);
    },
    responseTrailers: () => void rec.events.push("res-trailers"),
    reset: (d: string) => void rec.events.push(`reset ${d}`),
    localReply: (r: LocalReply) => void rec.replies.push(r),
  });
}

async function load(...modules: Uint8Array[]): Promise<Filter[]> {
  const host = createHost({ logger: () => {} });
  return Promise.all(modules.map((module, i) => host.loadFilter({ name: `f${i}`, module })));
}

const request = () => new HeaderMap({ ":method": "POST", ":path": "/", ":authority": "app" });

describe("FilterChain", () => {
  it("runs the request path in order and the response path in reverse", async () => {
    const sink = recordingSink();
    const chain = new FilterChain(await load(tagged("a"), tagged("b")), sink);
    chain.requestHeaders(request(), false);
    chain.requestData(enc("hi"), true);
    chain.responseHeaders(new HeaderMap({ ":status": "200" }), false);
    chain.responseData(enc("ok"), true);
    chain.complete();
    expect(sink.events).toEqual(["req-headers a,b", "req-data hi end", "res-headers 200 b,a", "res-data ok end"]);
  });

  it("holds headers and body behind a paused filter, then lets them through in order on continue", async () => {
    const sink = recordingSink();
    const [pauser, tail] = await load(tagged("a", PAUSER, HELD_GLOBAL), tagged("b"));
    const chain = new FilterChain([pauser, tail], sink);
    chain.requestHeaders(request(), false);
    chain.requestData(enc("one "), false);
    chain.requestData(enc("two"), true);
    expect(sink.events).toEqual([]);
    pauser.tick();
    // The pauser adds no x-order of its own (its headers callback only pauses).
    expect(sink.events).toEqual(["req-headers b", "req-data one two end"]);
  });

  it("passes a buffering filter's whole body on once it continues", async () => {
    const buffering = tagged("a", { proxy_on_request_body: "(if (result i32) (local.get $2) (then (i32.const 0)) (else (i32.const 1)))" });
    const sink = recordingSink();
    const chain = new FilterChain(await load(buffering, tagged("b")), sink);
    chain.requestHeaders(request(), false);
    chain.requestData(enc("a"), false);
    chain.requestData(enc("b"), false);
    expect(sink.events).toEqual(["req-headers a,b"]);
    chain.requestData(enc("c"), true);
    expect(sink.events).toEqual(["req-headers a,b", "req-data abc end"]);
  });

  it("regression: trailers reach a filter buffering the body, which then lets body and trailers go", async () => {
    const buffering = tagged("a", {
      proxy_on_request_body: "(i32.const 1)",
      proxy_on_request_trailers: "(i32.const 0)",
    });
    const sink = recordingSink();
    const chain = new FilterChain(await load(buffering, tagged("b")), sink);
    chain.requestHeaders(request(), false);
    chain.requestData(enc("payload"), false);
    chain.requestTrailers(new HeaderMap({ "grpc-status": "0" }));
    expect(sink.events).toEqual(["req-headers a,b", "req-data payload", "req-trailers 0"]);
  });

  it("sends a local reply back through the filters before the sender only", async () => {
    const denier = tagged("b", {
      proxy_on_request_headers:
        "(drop (call $proxy_send_local_response (i32.const 403) (i32.const 1056) (i32.const 6) (i32.const 1056) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const -1))) (i32.const 0)",
    });
    const sink = recordingSink();
    const chain = new FilterChain(await load(tagged("a"), denier, tagged("c")), sink);
    chain.requestHeaders(request(), true);
    expect(chain.finished).toBe(true);
    expect(sink.replies.map((r) => r.status)).toEqual([403]);
    expect(sink.events).toEqual(["res-headers 403 a", "res-data denied end"]);
    chain.complete();
  });

  it("answers 503 wasm_fail_stream for a trapping filter, through the filters before it", async () => {
    const sink = recordingSink();
    const chain = new FilterChain(await load(tagged("a"), tagged("b", { proxy_on_request_headers: "(unreachable)" })), sink);
    chain.requestHeaders(request(), true);
    expect(sink.replies[0]).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(sink.events[0]).toBe("res-headers 503 a");
  });

  it("skips a trapping fail-open filter and carries on", async () => {
    const host = createHost({ logger: () => {} });
    const broken = await host.loadFilter({
      name: "broken",
      module: tagged("x", { proxy_on_request_headers: "(unreachable)" }),
      failurePolicy: "fail-open",
    });
    const sink = recordingSink();
    const chain = new FilterChain([broken, await host.loadFilter({ name: "b", module: tagged("b") })], sink);
    chain.requestHeaders(request(), true);
    expect(sink.events).toEqual(["req-headers b end"]);
  });
});
