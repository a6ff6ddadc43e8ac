/**
 * Pins Envoy's stream flow semantics (shared/reference/proxy-wasm-abi.md §5.1 pause/continue,
 * §5.2 bodies, §1.7 trailers): a paused request holds its body, a continue is deferred until
 * the guest returns, buffering accumulates, trailers reach a buffering filter, and
 * `proxy_set_buffer_bytes` follows `Buffer::copyFrom`. Local replies: local-reply.test.ts.
 */

import { describe, expect, it } from "vitest";
import { mem, RECORDER, recorded, status } from "../../test/fixtures/guest-probe.ts";
import { buildGuestModule, type GuestModuleSpec } from "../../test/fixtures/proxy-wasm-wat.ts";
import { createHost, DataStatus, type Filter, HeaderMap, HeadersStatus, type LocalReply, Status, TrailersStatus } from "./index.ts";

const set = (f: Filter, addr: number, value: number) => mem(f).setUint32(addr, value, true);
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const load = (spec: GuestModuleSpec) =>
  createHost({ logger: () => {} }).loadFilter({
    name: "flow",
    module: buildGuestModule({ extra: RECORDER, ...spec }),
    limits: { fuel: false },
  });

/**
 * Driven by words the test writes into guest memory: 3000 stream id for on_tick, 3004 body
 * return value, 3008 "set the body" flag with start 3012 / size 3016, 3020 headers return
 * value, 3024 "continue from headers" flag. Body callbacks record 11, size, eos; trailers 12, count;
 * on_tick ends with 99.
 */
const CONTROLLED = {
  data: [`(data (i32.const 1024) "XY")`],
  callbacks: {
    proxy_on_request_headers: `
      (if (i32.load (i32.const 3024)) (then (i32.store (i32.const 2060) (call $proxy_continue_stream (i32.const 0)))))
      (i32.load (i32.const 3020))`,
    proxy_on_request_body: `
      (call $rec (i32.const 11)) (call $rec (local.get $1)) (call $rec (local.get $2))
      (if (i32.load (i32.const 3008)) (then (i32.store (i32.const 2048)
        (call $proxy_set_buffer_bytes (i32.const 0) (i32.load (i32.const 3012)) (i32.load (i32.const 3016)) (i32.const 1024) (i32.const 2)))))
      (i32.load (i32.const 3004))`,
    proxy_on_request_trailers: "(call $rec (i32.const 12)) (call $rec (local.get $1)) (i32.const 0)",
    proxy_on_tick: `
      (i32.store (i32.const 2052) (call $proxy_set_effective_context (i32.load (i32.const 3000))))
      (i32.store (i32.const 2056) (call $proxy_continue_stream (i32.const 0)))
      (call $rec (i32.const 99))`,
  },
} satisfies GuestModuleSpec;

describe("pause and continue (§5.1)", () => {
  it("turns a Pause from request headers into STOP_ALL_WATERMARK and holds body chunks without calling the filter", async () => {
    const filter = await load(CONTROLLED);
    set(filter, 3020, 1);
    const stream = filter.createStream();
    expect(stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(stream.onRequestBody(bytes("abc"), false)).toBe(DataStatus.STOP_BUFFER);
    expect(stream.onRequestBody(bytes("de"), false)).toBe(DataStatus.STOP_BUFFER);
    expect(stream.requestPaused).toBe(true);
    expect(stream.requestBodyPending).toBe(true);
    expect(recorded(filter)).toEqual([]);
  });

  it("applies proxy_continue_stream from on_tick (effective context) once, after on_tick returned; then delivers the whole buffered body", async () => {
    const filter = await load(CONTROLLED);
    set(filter, 3020, 1);
    const continued: { inGuest: boolean; events: number[] }[] = [];
    const stream = filter.createStream({ continueRequest: () => continued.push({ inGuest: filter.vm.inGuest, events: recorded(filter) }) });
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    stream.onRequestBody(bytes("abc"), false);
    stream.onRequestBody(bytes("de"), false);
    set(filter, 3000, stream.id);
    filter.tick();
    expect([status(filter, 1), status(filter, 2)]).toEqual([Status.OK, Status.OK]);
    expect(continued).toEqual([{ inGuest: false, events: [99] }]);
    expect(stream.requestPaused).toBe(false);
    filter.tick(); // a second continue of a running stream changes nothing
    expect(continued).toHaveLength(1);
    expect(stream.onRequestBody(new Uint8Array(0), true)).toBe(DataStatus.CONTINUE);
    expect(recorded(filter).slice(2)).toEqual([11, 5, 1]);
    expect(text(stream.takeRequestBody())).toBe("abcde");
  });

  it("refuses proxy_set_effective_context to an unknown id (BAD_ARGUMENT); a continue without a stream is Envoy's OK no-op", async () => {
    const misuse: string[] = [];
    const filter = await createHost({ logger: () => {}, onAbiMisuse: (_f, m) => misuse.push(m) }).loadFilter({
      name: "flow",
      module: buildGuestModule({ extra: RECORDER, ...CONTROLLED }),
      limits: { fuel: false },
    });
    set(filter, 3020, 1);
    let continued = 0;
    const stream = filter.createStream({ continueRequest: () => continued++ });
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    set(filter, 3000, 999);
    filter.tick();
    expect([status(filter, 1), status(filter, 2)]).toEqual([Status.BAD_ARGUMENT, Status.OK]);
    expect(misuse).toEqual(["proxy_on_tick: proxy_continue_stream outside a stream context (ignored)"]);
    expect(continued).toBe(0);
    expect(stream.requestPaused).toBe(true);
  });

  it("treats a header callback result of 0xFFFFFFFF as StopAllIterationAndWatermark (cpp-host: > 4), not as a VM failure", async () => {
    const filter = await load(CONTROLLED);
    set(filter, 3020, 0xffffffff);
    const replies: LocalReply[] = [];
    const stream = filter.createStream({ sendLocalReply: (r) => replies.push(r) });
    expect(stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(replies).toEqual([]);
    expect(filter.state).toBe("ready");
    expect(stream.requestPaused).toBe(true);
  });

  it("folds a proxy_continue_stream made inside the pausing callback into Continue", async () => {
    const filter = await load(CONTROLLED);
    set(filter, 3020, 1);
    set(filter, 3024, 1);
    let continued = 0;
    const stream = filter.createStream({ continueRequest: () => continued++ });
    expect(stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false)).toBe(HeadersStatus.CONTINUE);
    expect(status(filter, 3)).toBe(Status.OK);
    expect(continued).toBe(0);
    expect(stream.onRequestBody(bytes("x"), true)).toBe(DataStatus.CONTINUE);
    expect(recorded(filter)).toEqual([11, 1, 1]);
  });
});

describe("bodies (§5.2)", () => {
  it("accumulates under StopIterationAndBuffer: each body callback sees the total; Continue releases the buffer", async () => {
    const filter = await load(CONTROLLED);
    set(filter, 3004, 1);
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    expect(stream.onRequestBody(bytes("abc"), false)).toBe(DataStatus.STOP_BUFFER);
    expect(stream.onRequestBody(bytes("de"), false)).toBe(DataStatus.STOP_BUFFER);
    set(filter, 3004, 0);
    expect(stream.onRequestBody(bytes("f"), true)).toBe(DataStatus.CONTINUE);
    expect(recorded(filter)).toEqual([11, 3, 0, 11, 5, 0, 11, 6, 1]);
    expect(text(stream.takeRequestBody())).toBe("abcdef");
  });

  it("delivers trailers to a filter that buffers the body (only a stop from headers holds them, Envoy decodeTrailers)", async () => {
    const filter = await load(CONTROLLED);
    set(filter, 3004, 1);
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    expect(stream.onRequestBody(bytes("abc"), false)).toBe(DataStatus.STOP_BUFFER);
    expect(stream.onRequestTrailers(new HeaderMap({ "grpc-status": "0" }))).toBe(TrailersStatus.CONTINUE);
    expect(stream.requestTrailersPending).toBe(false);
    expect(recorded(filter)).toEqual([11, 3, 0, 12, 1]);
    expect(text(stream.takeRequestBody())).toBe("abc");
  });

  it("holds trailers while the request is stopped from headers", async () => {
    const filter = await load(CONTROLLED);
    set(filter, 3020, 1);
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    expect(stream.onRequestTrailers(new HeaderMap({ "grpc-status": "0" }))).toBe(TrailersStatus.STOP);
    expect(stream.requestTrailersPending).toBe(true);
    expect(recorded(filter)).toEqual([]);
  });

  it.each([
    ["start=0,size=0 prepends", 0, 0, Status.OK, "XYhello"],
    ["start=0,size=len replaces", 0, 5, Status.OK, "XY"],
    ["start=0,size>len replaces", 0, 100, Status.OK, "XY"],
    ["start=len appends", 5, 0, Status.OK, "helloXY"],
    ["start=0xFFFFFFFF appends", 0xffffffff, 0, Status.OK, "helloXY"],
    ["start=0xFFFFFFFF,size=0xFFFFFFFF appends", 0xffffffff, 0xffffffff, Status.OK, "helloXY"],
    ["a splice (start=1,size=1) is BAD_ARGUMENT", 1, 1, Status.BAD_ARGUMENT, "hello"],
    ["start=0,size=1 (partial replace) is BAD_ARGUMENT", 0, 1, Status.BAD_ARGUMENT, "hello"],
  ])("proxy_set_buffer_bytes on a 5-byte body: %s", async (_name, start, size, expected, body) => {
    const filter = await load(CONTROLLED);
    set(filter, 3008, 1);
    set(filter, 3012, start);
    set(filter, 3016, size);
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    expect(stream.onRequestBody(bytes("hello"), true)).toBe(DataStatus.CONTINUE);
    expect(status(filter, 0)).toBe(expected);
    expect(text(stream.takeRequestBody())).toBe(body);
  });

  it("creates request trailers when the last body callback (end_of_stream) adds to map 1, and only then", async () => {
    const filter = await load({
      data: [`(data (i32.const 1024) "x-trailer")`, `(data (i32.const 1040) "yes")`],
      callbacks: {
        proxy_on_request_body: `
          (i32.store (i32.add (i32.const 2048) (i32.shl (local.get $2) (i32.const 2)))
            (call $proxy_add_header_map_value (i32.const 1) (i32.const 1024) (i32.const 9) (i32.const 1040) (i32.const 3)))
          (i32.const 0)`,
      },
    });
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    stream.onRequestBody(bytes("a"), false);
    expect(status(filter, 0)).toBe(Status.BAD_ARGUMENT);
    expect(stream.requestTrailers).toBeUndefined();
    stream.onRequestBody(bytes("b"), true);
    expect(status(filter, 1)).toBe(Status.OK);
    expect(stream.requestTrailers?.entries()).toEqual([["x-trailer", "yes"]]);
  });
});
