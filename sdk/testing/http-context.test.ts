/**
 * Pins how `host.http()` drives a stream like weir's filter chain: normalized actions,
 * bodies held while the filter pauses and delivered when it continues, the forwarded body,
 * local responses and resets that stop the stream, teardown, and errors for out-of-order
 * driving. The filters are hand-written WAT, so each behaviour is the host's, not an SDK's.
 */

import { describe, expect, it } from "vitest";
import { AbiError, encodePairs } from "../../proxy/abi/index.ts";
import { buildGuestModule, type GuestModuleSpec } from "../../test/fixtures/proxy-wasm-wat.ts";
import { watString } from "../../test/fixtures/wat.ts";
import { createTestHost } from "./index.ts";
import "./matchers.ts";

/** Strings laid out 64 bytes apart from 4096; `s(i)` is "(ptr) (len)" of string i. */
function strings(list: (string | Uint8Array)[]) {
  const bytes = list.map((v) => (typeof v === "string" ? new TextEncoder().encode(v) : v));
  return {
    data: bytes.map((b, i) => `(data (i32.const ${4096 + 64 * i}) ${watString(b)})`),
    s: (i: number) => `(i32.const ${4096 + 64 * i}) (i32.const ${bytes[i].byteLength})`,
  };
}
const load = (spec: GuestModuleSpec, options: Parameters<typeof createTestHost>[0] = {}) =>
  createTestHost({ wasm: buildGuestModule(spec), name: "flow", limits: { fuel: false }, ...options });

const { data, s } = strings(["trailers", "log", "done", "delete", "XY", "denied by policy", "no", encodePairs([["x-reason", "bad"]])]);
const log = (i: number) => `(drop (call $proxy_log (i32.const 2) ${s(i)}))`;
const reply = (status: number) => `(drop (call $proxy_send_local_response (i32.const ${status}) ${s(5)} ${s(6)} ${s(7)} (i32.const -1)))`;

/** Pauses request headers, buffers the body until its end, continues the request from on_tick. */
const HOLDER: GuestModuleSpec = {
  data,
  callbacks: {
    proxy_on_request_headers: "(i32.store (i32.const 3000) (local.get $0)) (i32.const 1)",
    proxy_on_request_body: "(if (result i32) (local.get $2) (then (i32.const 0)) (else (i32.const 1)))",
    proxy_on_request_trailers: `${log(0)} (i32.const 0)`,
    proxy_on_response_headers: "(i32.store (i32.const 3000) (local.get $0)) (i32.const 1)",
    proxy_on_tick: `
      (drop (call $proxy_set_effective_context (i32.load (i32.const 3000))))
      (drop (call $proxy_continue_stream (i32.load (i32.const 3004))))`,
  },
};

describe("actions", () => {
  it("holds body and trailers while the filter pauses from headers, and delivers them when it continues", async () => {
    const host = await load(HOLDER);
    const http = host.http();
    expect(http.requestHeaders({ ":path": "/" })).toPause();
    expect(http.requestBody("ab")).toMatchObject({ action: "pause", statusName: "StopIterationAndBuffer" });
    expect(http.requestBody("cd")).toPause();
    expect(http.requestTrailers({ "x-t": "1" })).toMatchObject({ action: "pause", statusName: "StopIteration" });
    expect([http.action, http.request.paused, host.logs.info]).toEqual(["pause", true, []]);
    host.tick();
    expect(http.continues).toEqual(["request"]);
    expect(http.results.slice(4).map((r) => [r.callback, r.action, r.redelivered])).toEqual([
      ["requestBody", "pause", true],
      ["requestTrailers", "continue", true],
    ]);
    expect(host.logs.info).toEqual(["trailers"]);
    expect([http.action, http.request.body, http.request.ended]).toEqual(["continue", "abcd", true]);
  });

  it("passes a continued body on and shows the body a buffering filter replaced", async () => {
    const host = await load({
      data,
      callbacks: {
        proxy_on_request_body: `
          (if (result i32) (local.get $2)
            (then (drop (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (local.get $1) ${s(4)})) (i32.const 0))
            (else (i32.const 1)))`,
        proxy_on_response_body: "(i32.const 0)",
      },
    });
    const http = host.http();
    expect(http.requestHeaders({ ":path": "/upload" })).toContinue();
    expect(http.requestBody("hello ")).toPause();
    expect(http.request.body).toBe("hello ");
    expect(http.requestBody("world", { endOfStream: true })).toContinue();
    expect(http.request.body).toBe("XY");
    http.responseHeaders({ ":status": "200" });
    http.responseBody("a");
    http.responseBody("b", { endOfStream: true });
    expect([http.response.body, new TextDecoder().decode(http.response.bodyBytes)]).toEqual(["ab", "ab"]);
  });

  it("resumes a paused response and delivers its held body", async () => {
    const host = await load(HOLDER);
    const http = host.http();
    http.requestHeaders({ ":path": "/" }, { endOfStream: true });
    host.tick();
    expect(http.responseHeaders({ ":status": "200" })).toPause();
    expect(http.responseBody("body", { endOfStream: true })).toPause();
    new DataView(host.filter.vm.exports.memory.buffer).setUint32(3004, 1, true); // continue the response on the next tick
    host.tick();
    expect([http.continues, http.action, http.response.body]).toEqual([["request", "response"], "continue", "body"]);
  });

  it("stops at a local response: toRespondWith, later callbacks skip the filter, no upstream response", async () => {
    const host = await load({ data, callbacks: { proxy_on_request_headers: `${reply(403)} (i32.const 0)` } });
    const http = host.http();
    const result = http.requestHeaders({ ":path": "/admin" });
    expect(result).toStop();
    expect(result.statusName).toBe("StopAllIterationAndWatermark");
    expect(http).toRespondWith(403, { body: "no", details: "denied_by_policy", headers: { "x-reason": "bad" } });
    expect(http.localResponse?.grpcStatus).toBeUndefined();
    expect(http.requestBody("late", { endOfStream: true })).toMatchObject({ action: "stop", statusName: "StopIterationNoBuffer" });
    expect(() => http.responseHeaders({ ":status": "200" })).toThrow(
      "http.responseHeaders called after the filter sent a local response (403): no upstream answers such a stream",
    );
  });

  it("reports a reset: proxy_close_stream, or a local response after the response started", async () => {
    const host = await load({
      data,
      callbacks: {
        proxy_on_request_trailers: "(drop (call $proxy_close_stream (i32.const 0))) (i32.const 0)",
        proxy_on_response_body: `${reply(500)} (i32.const 0)`,
      },
    });
    const closed = host.http();
    closed.requestHeaders({ ":path": "/" });
    expect(closed.requestTrailers({ "x-t": "1" })).toStop();
    expect([closed.reset, closed.action]).toEqual(["wasm_close_stream", "stop"]);
    const late = host.http();
    late.requestHeaders({ ":path": "/" }, { endOfStream: true });
    late.responseHeaders({ ":status": "200" });
    expect(late.responseBody("x", { endOfStream: true })).toStop();
    expect([late.reset, late.localResponse]).toEqual(["wasm_local_reply_after_response_started", undefined]);
  });

  it("gives a trapped filter's stream its failure policy: 503 fail-closed, or skipped fail-open", async () => {
    const trap = { callbacks: { proxy_on_request_headers: "(unreachable)" } };
    const closed = await load(trap);
    const http = closed.http();
    const result = http.requestHeaders({ ":path": "/" });
    expect(result).toStop();
    expect(result.failure?.message).toBe("filter flow: proxy_on_request_headers: trapped: unreachable");
    expect(http).toRespondWith(503, { details: "wasm_fail_stream", body: /filter failed/ });
    expect(closed.failure?.kind).toBe("trap");
    expect(closed.logs.error).toEqual(["[host] filter flow: proxy_on_request_headers: trapped: unreachable"]);
    const open = await load(trap, { failurePolicy: "fail-open" });
    expect(open.http().requestHeaders({ ":path": "/" })).toContinue();
  });
});

describe("teardown and order", () => {
  it("complete() runs on_log, on_done, on_delete, and nothing may be driven after it", async () => {
    const host = await load({
      data,
      callbacks: { proxy_on_log: log(1), proxy_on_done: `${log(2)} (i32.const 1)`, proxy_on_delete: log(3) },
    });
    const http = host.http();
    http.requestHeaders({ ":path": "/" }, { endOfStream: true });
    http.complete();
    http.complete();
    expect([host.logs.info, http.completed]).toEqual([["log", "done", "delete"], true]);
    expect(() => http.responseHeaders({ ":status": "200" })).toThrow("http.responseHeaders called after http.complete()");
  });

  it("says what was attempted when the stream is driven out of order", async () => {
    const host = await load(HOLDER);
    const http = host.http();
    expect(() => http.requestBody("x")).toThrow(new AbiError("http.requestBody called before requestHeaders"));
    expect(() => http.responseHeaders({ ":status": "200" })).toThrow("http.responseHeaders called before requestHeaders");
    http.requestHeaders({ ":path": "/" }, { endOfStream: true });
    expect(() => http.requestHeaders({ ":path": "/" })).toThrow("http.requestHeaders called twice: the request headers were already sent");
    expect(() => http.requestTrailers({})).toThrow(
      "http.requestTrailers called after the request ended (endOfStream or trailers were already sent)",
    );
    expect(() => http.responseHeaders({ ":status": "200" })).toThrow(
      "http.responseHeaders called while the filter holds the request (it paused and has not continued)",
    );
    expect(() => http.responseBody("x")).toThrow("http.responseBody called before responseHeaders");
  });

  it("gives each context its own id and creates it in the VM at its first callback", async () => {
    const host = await load({
      data,
      callbacks: { proxy_on_context_create: `(if (local.get $1) (then ${log(1)}))` },
    });
    const [a, b] = [host.http(), host.http()];
    expect(a.id).not.toBe(b.id);
    expect(host.logs.info).toEqual([]);
    b.requestHeaders({ ":path": "/" });
    expect(host.logs.info).toEqual(["log"]);
  });
});
