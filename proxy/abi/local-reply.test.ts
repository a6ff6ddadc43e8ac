/**
 * Pins local replies and stream close against Envoy/cpp-host (shared/reference/proxy-wasm-abi.md
 * §5.3, §1.7 "Local responses", "Continue / pause / close"): the reply is sent once after the
 * guest returned and forces the callback to stop; headers are lower-cased, details get no
 * whitespace, gRPC status -1 means none; after the response started the stream is reset
 * instead; `proxy_close_stream` resets with `wasm_close_stream`.
 */

import { describe, expect, it } from "vitest";
import { mem, RECORDER, recorded, status } from "../../test/fixtures/guest-probe.ts";
import { buildGuestModule, type GuestModuleSpec } from "../../test/fixtures/proxy-wasm-wat.ts";
import { watString } from "../../test/fixtures/wat.ts";
import { createHost, DataStatus, encodePairs, type Filter, HeaderMap, HeadersStatus, type LocalReply, Status } from "./index.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

const PAIRS = encodePairs([["X-Reason", "Bad"]]);
/** send_local_response(401, "access denied", "no", {X-Reason: Bad}, grpc) */
const reply = (
  grpc: number,
) => `(call $proxy_send_local_response (i32.const 401) (i32.const 1024) (i32.const 13) (i32.const 1040) (i32.const 2)
  (i32.const 4096) (i32.const ${PAIRS.byteLength}) (i32.const ${grpc}))`;
const load = (callbacks: GuestModuleSpec["callbacks"]) =>
  createHost({ logger: () => {} }).loadFilter({
    name: "reply",
    limits: { fuel: false },
    module: buildGuestModule({
      extra: RECORDER,
      data: [`(data (i32.const 1024) "access denied")`, `(data (i32.const 1040) "no")`, `(data (i32.const 4096) ${watString(PAIRS)})`],
      callbacks,
    }),
  });

function open(filter: Filter) {
  const seen: { reply?: LocalReply; reset?: string; inGuest: boolean; events: number[] }[] = [];
  let continued = 0;
  const stream = filter.createStream({
    sendLocalReply: (r) => seen.push({ reply: r, inGuest: filter.vm.inGuest, events: recorded(filter) }),
    resetStream: (d) => seen.push({ reset: d, inGuest: filter.vm.inGuest, events: recorded(filter) }),
    continueRequest: () => continued++,
  });
  return { stream, seen, continued: () => continued };
}

describe("proxy_send_local_response", () => {
  it("forces a stop although the filter returned Continue, and sends the reply once after the guest returned", async () => {
    const filter = await load({
      proxy_on_request_headers: `(i32.store (i32.const 2048) ${reply(-1)}) (drop ${reply(-1)}) (call $rec (i32.const 5)) (i32.const 0)`,
      proxy_on_request_body: "(call $rec (i32.const 11)) (i32.const 0)",
    });
    const { stream, seen } = open(filter);
    expect(stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(status(filter, 0)).toBe(Status.OK);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ inGuest: false, events: [5] });
    const r = seen[0].reply as LocalReply;
    expect({ status: r.status, headers: r.headers, body: text(r.body), details: r.details, grpcStatus: r.grpcStatus }).toEqual({
      status: 401,
      headers: [["x-reason", "Bad"]],
      body: "no",
      details: "access_denied",
      grpcStatus: undefined,
    });
    expect(stream.requestPaused).toBe(false);
    expect(stream.onRequestBody(new Uint8Array([1]), true)).toBe(DataStatus.STOP_NO_BUFFER);
    stream.complete();
    expect(seen).toHaveLength(1);
    expect(recorded(filter)).toEqual([5]); // the body callback never ran
  });

  it("answers a held stream from on_tick through the effective context, without continuing it", async () => {
    const filter = await load({
      proxy_on_request_headers: "(i32.const 1)",
      proxy_on_tick: `(drop (call $proxy_set_effective_context (i32.load (i32.const 3000)))) (i32.store (i32.const 2048) ${reply(7)}) (call $rec (i32.const 99))`,
    });
    const { stream, seen, continued } = open(filter);
    expect(stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    mem(filter).setUint32(3000, stream.id, true);
    filter.tick();
    expect(status(filter, 0)).toBe(Status.OK);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ inGuest: false, events: [99], reply: { status: 401, grpcStatus: 7 } });
    expect(continued()).toBe(0);
    expect(stream.requestPaused).toBe(false);
  });

  it("resets the stream instead once the response headers left (tetratelabs/proxy-wasm-go-sdk#364), still forcing a stop", async () => {
    const filter = await load({ proxy_on_response_body: `(drop ${reply(-1)}) (i32.const 0)` });
    const { stream, seen } = open(filter);
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
    stream.onResponseHeaders(new HeaderMap({ ":status": "200" }), false);
    stream.markResponseStarted();
    expect(stream.onResponseBody(new Uint8Array([1]), true)).toBe(DataStatus.STOP_NO_BUFFER);
    expect(seen).toEqual([{ reset: "wasm_local_reply_after_response_started", inGuest: false, events: [] }]);
    expect(stream.localReply).toBeUndefined();
  });
});

describe("stream actions without a stream", () => {
  it("answers OK and does nothing for a local reply or close from the root context (Envoy), reporting the misuse", async () => {
    const misuse: string[] = [];
    const filter = await createHost({ logger: () => {}, onAbiMisuse: (_f, m) => misuse.push(m) }).loadFilter({
      name: "reply",
      limits: { fuel: false },
      module: buildGuestModule({
        data: [`(data (i32.const 1024) "access denied")`, `(data (i32.const 1040) "no")`, `(data (i32.const 4096) ${watString(PAIRS)})`],
        callbacks: {
          proxy_on_request_headers: "(i32.const 1)",
          proxy_on_tick: `(i32.store (i32.const 2048) ${reply(-1)}) (i32.store (i32.const 2052) (call $proxy_close_stream (i32.const 0)))`,
        },
      }),
    });
    const { stream, seen } = open(filter);
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    filter.tick();
    expect([status(filter, 0), status(filter, 1)]).toEqual([Status.OK, Status.OK]);
    expect(seen).toEqual([]);
    expect(stream.requestPaused).toBe(true);
    expect(misuse).toHaveLength(2);
  });
});

describe("proxy_close_stream", () => {
  it('resets the stream with "wasm_close_stream" after the guest returned', async () => {
    const filter = await load({
      proxy_on_request_headers:
        "(i32.store (i32.const 2048) (call $proxy_close_stream (i32.const 0))) (call $rec (i32.const 5)) (i32.const 0)",
    });
    const { stream, seen } = open(filter);
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    expect(status(filter, 0)).toBe(Status.OK);
    expect(seen).toEqual([{ reset: "wasm_close_stream", inGuest: false, events: [5] }]);
    expect(stream.resetDetails).toBe("wasm_close_stream");
  });
});
