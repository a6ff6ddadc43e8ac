/**
 * Pins `proxy_http_call` and ticks against Envoy/cpp-host (shared/reference/proxy-wasm-abi.md
 * §1.7 "HTTP callouts", "Timers", §5.6): Envoy's argument checks, tokens 4, 8, …, delivery to
 * the ROOT context with the call's maps readable only then, failures and timeouts reported as
 * status 11, no delivery for a stream that ended, and on_tick with the root id.
 */

import { describe, expect, it } from "vitest";
import { buildGuestModule, type GuestModuleSpec } from "../../test/fixtures/proxy-wasm-wat.ts";
import { watString } from "../../test/fixtures/wat.ts";
import {
  createHost,
  encodePairs,
  type Filter,
  HeaderMap,
  HeadersStatus,
  type HttpCallRequest,
  type HttpCallResponse,
  Status,
  type Timers,
} from "./index.ts";

const mem = (f: Filter) => new DataView(f.vm.exports.memory.buffer);
const u32 = (f: Filter, addr: number) => mem(f).getUint32(addr, true);
const status = (f: Filter, i: number) => u32(f, 2048 + 4 * i);
const returned = (f: Filter, slot: number) =>
  new TextDecoder().decode(new Uint8Array(f.vm.exports.memory.buffer, u32(f, slot), u32(f, slot + 4)));
const at = (i: number, call: string) => `(i32.store (i32.const ${2048 + 4 * i}) ${call})`;
const settle = () => new Promise((r) => setTimeout(r, 0));

function fakeUpstream() {
  const calls: { request: HttpCallRequest; signal: AbortSignal; resolve: (r: HttpCallResponse) => void; reject: (e: Error) => void }[] = [];
  const upstream = {
    hasCluster: (name: string) => name === "auth",
    call: (request: HttpCallRequest, signal: AbortSignal) =>
      new Promise<HttpCallResponse>((resolve, reject) => calls.push({ request, signal, resolve, reject })),
  };
  return { upstream, calls };
}

function manualTimers() {
  let next = 1;
  const timeouts = new Map<number, { fn: () => void; ms: number }>();
  const intervals = new Map<number, { fn: () => void; ms: number }>();
  const add = (into: typeof timeouts, fn: () => void, ms: number) => {
    into.set(next, { fn, ms });
    return next++;
  };
  const timers: Partial<Timers> = {
    setTimeout: (fn, ms) => add(timeouts, fn, ms),
    clearTimeout: (h) => timeouts.delete(h as number),
    setInterval: (fn, ms) => add(intervals, fn, ms),
    clearInterval: (h) => intervals.delete(h as number),
  };
  return { timers, timeouts, intervals };
}

const GOOD = encodePairs([
  [":method", "GET"],
  [":path", "/check"],
  [":authority", "auth.local"],
]);
const NO_AUTHORITY = encodePairs([
  [":method", "GET"],
  [":path", "/check"],
]);
const call = (cluster: number, headers: Uint8Array, at: number, out: number) =>
  `(call $proxy_http_call (i32.const ${cluster}) (i32.const 4) (i32.const ${at}) (i32.const ${headers.byteLength}) (i32.const 1040) (i32.const 4) (i32.const 0) (i32.const 0) (i32.load (i32.const 3000)) (i32.const ${out}))`;

/** 3000: timeout ms; the stream id is kept at 3004; response args at 320..336, delivery count at 340. */
const CALLER: GuestModuleSpec = {
  data: [
    `(data (i32.const 1024) "nope")`,
    `(data (i32.const 1032) "auth")`,
    `(data (i32.const 1040) "ping")`,
    `(data (i32.const 1048) ":status")`,
    `(data (i32.const 4096) ${watString(GOOD)})`,
    `(data (i32.const 4608) ${watString(NO_AUTHORITY)})`,
  ],
  callbacks: {
    proxy_on_request_headers: `
      ${at(0, call(1024, GOOD, 4096, 256))} ${at(1, call(1032, NO_AUTHORITY, 4608, 256))}
      ${at(2, call(1032, GOOD, 4096, 256))} ${at(3, call(1032, GOOD, 4096, 260))}
      (i32.store (i32.const 3004) (local.get $0))
      (i32.const 1)`,
    proxy_on_http_call_response: `
      (i32.store (i32.const 320) (local.get $0)) (i32.store (i32.const 324) (local.get $1)) (i32.store (i32.const 328) (local.get $2))
      (i32.store (i32.const 332) (local.get $3)) (i32.store (i32.const 336) (local.get $4))
      (i32.store (i32.const 340) (i32.add (i32.load (i32.const 340)) (i32.const 1)))
      ${at(4, "(call $proxy_get_header_map_value (i32.const 6) (i32.const 1048) (i32.const 7) (i32.const 344) (i32.const 348))")}
      ${at(5, "(call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (i32.const 100) (i32.const 352) (i32.const 356))")}
      ${at(6, "(call $proxy_get_status (i32.const 360) (i32.const 364) (i32.const 368))")}
      ${at(7, "(call $proxy_set_effective_context (i32.load (i32.const 3004)))")}
      ${at(8, "(call $proxy_continue_stream (i32.const 0))")}`,
    proxy_on_tick: `
      ${at(9, "(call $proxy_get_header_map_value (i32.const 6) (i32.const 1048) (i32.const 7) (i32.const 372) (i32.const 376))")}
      ${at(10, "(call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (i32.const 100) (i32.const 380) (i32.const 384))")}`,
  },
};

async function setUp(timeoutMs = 0) {
  const { upstream, calls } = fakeUpstream();
  const manual = manualTimers();
  const host = createHost({ logger: () => {}, upstream, timers: manual.timers });
  const filter = await host.loadFilter({ name: "caller", module: buildGuestModule(CALLER), limits: { fuel: false } });
  mem(filter).setUint32(3000, timeoutMs, true);
  let continued = 0;
  const stream = filter.createStream({ continueRequest: () => continued++ });
  const headersStatus = stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
  return { filter, stream, calls, headersStatus, timers: manual, continued: () => continued };
}
const delivered = (f: Filter) => ({
  root: u32(f, 320),
  token: u32(f, 324),
  headers: u32(f, 328),
  body: u32(f, 332),
  trailers: u32(f, 336),
  count: u32(f, 340),
});

describe("proxy_http_call", () => {
  it("refuses an unknown cluster and headers without :authority (BAD_ARGUMENT) and hands out tokens 4, 8", async () => {
    const { filter, calls, headersStatus } = await setUp();
    expect([0, 1, 2, 3].map((i) => status(filter, i))).toEqual([Status.BAD_ARGUMENT, Status.BAD_ARGUMENT, Status.OK, Status.OK]);
    expect([u32(filter, 256), u32(filter, 260)]).toEqual([4, 8]);
    expect(headersStatus).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    expect(calls).toHaveLength(2);
    expect(calls[0].request).toMatchObject({ cluster: "auth", timeoutMs: 0, trailers: [] });
    expect(calls[0].request.headers).toContainEqual([":authority", "auth.local"]);
    expect(calls[0].request.headers).toContainEqual(["content-length", "4"]);
    expect(new TextDecoder().decode(calls[0].request.body)).toBe("ping");
  });

  it("delivers the answer to the ROOT context; its headers and body are readable only during the callback", async () => {
    const { filter, stream, calls, continued } = await setUp();
    expect(stream.id).not.toBe(filter.vm.root.id);
    calls[0].resolve({
      headers: [
        [":status", "200"],
        ["x-a", "1"],
      ],
      body: new TextEncoder().encode("pong!"),
      trailers: [["t", "1"]],
    });
    await settle();
    expect(delivered(filter)).toEqual({ root: filter.vm.root.id, token: 4, headers: 2, body: 5, trailers: 1, count: 1 });
    expect([4, 5, 6, 7, 8].map((i) => status(filter, i))).toEqual([Status.OK, Status.OK, Status.OK, Status.OK, Status.OK]);
    expect(returned(filter, 344)).toBe("200");
    expect(returned(filter, 352)).toBe("pong!");
    expect(u32(filter, 360)).toBe(0);
    expect(continued()).toBe(1); // continued from the callback through the effective context
    filter.tick();
    expect([status(filter, 9), status(filter, 10)]).toEqual([Status.BAD_ARGUMENT, Status.NOT_FOUND]);
  });

  it("reports a failed call as (0, 0, 0) with proxy_get_status code 11", async () => {
    const { filter, calls } = await setUp();
    calls[1].reject(new Error("connection refused"));
    await settle();
    expect(delivered(filter)).toEqual({ root: filter.vm.root.id, token: 8, headers: 0, body: 0, trailers: 0, count: 1 });
    expect(status(filter, 6)).toBe(Status.OK);
    expect(u32(filter, 360)).toBe(11);
    expect(returned(filter, 364)).toMatch(/^reset/);
  });

  it('times a call out: code 11 "timeout", the upstream request aborted, a late answer dropped', async () => {
    const { filter, calls, timers } = await setUp(50);
    expect([...timers.timeouts.values()].map((t) => t.ms)).toEqual([50, 50]);
    const [first] = timers.timeouts.values();
    first.fn();
    expect(calls[0].signal.aborted).toBe(true);
    expect(delivered(filter)).toMatchObject({ token: 4, headers: 0, body: 0, trailers: 0, count: 1 });
    expect(u32(filter, 360)).toBe(11);
    expect(returned(filter, 364)).toBe("timeout");
    calls[0].resolve({ headers: [[":status", "200"]], body: new Uint8Array(0), trailers: [] });
    await settle();
    expect(delivered(filter).count).toBe(1);
    expect(timers.timeouts.size).toBe(1); // the answered call's timer is gone, the other still runs
  });

  it("does not deliver the answer to a call whose stream completed first, and aborts the request", async () => {
    const { filter, stream, calls } = await setUp();
    stream.complete();
    expect(calls.map((c) => c.signal.aborted)).toEqual([true, true]);
    expect(filter.vm.pendingCallTokens).toEqual([]);
    for (const c of calls) c.resolve({ headers: [[":status", "200"]], body: new Uint8Array(0), trailers: [] });
    await settle();
    expect(delivered(filter).count).toBe(0);
  });
});

describe("ticks", () => {
  it("calls proxy_on_tick with the root id at the period set; period 0 (even from a stream) stops it", async () => {
    const manual = manualTimers();
    const host = createHost({ logger: () => {}, timers: manual.timers });
    const filter = await host.loadFilter({
      name: "ticker",
      limits: { fuel: false },
      module: buildGuestModule({
        callbacks: {
          proxy_on_configure: `${at(0, "(call $proxy_set_tick_period_milliseconds (i32.const 100))")} (i32.const 1)`,
          proxy_on_tick:
            "(i32.store (i32.const 300) (local.get $0)) (i32.store (i32.const 304) (i32.add (i32.load (i32.const 304)) (i32.const 1)))",
          proxy_on_request_headers: `${at(1, "(call $proxy_set_tick_period_milliseconds (i32.const 0))")} (i32.const 0)`,
        },
      }),
    });
    expect(status(filter, 0)).toBe(Status.OK);
    expect([...manual.intervals.values()].map((t) => t.ms)).toEqual([100]);
    for (const t of manual.intervals.values()) t.fn();
    for (const t of manual.intervals.values()) t.fn();
    expect([u32(filter, 300), u32(filter, 304)]).toEqual([filter.vm.root.id, 2]);
    filter.createStream().onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
    expect(status(filter, 1)).toBe(Status.OK);
    expect(manual.intervals.size).toBe(0);
  });
});
