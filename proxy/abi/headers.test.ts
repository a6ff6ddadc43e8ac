/**
 * Pins the header-map host calls against Envoy (shared/reference/proxy-wasm-abi.md §1.6, §1.7
 * "HTTP headers/trailers", §5.1): statuses, lower-cased keys, add/replace/remove semantics,
 * the pairs wire format (shared golden fixtures), and the windows in which maps exist and
 * may be written.
 */

import { describe, expect, it } from "vitest";
import { HEADER_MAP_GOLDEN, HEADER_MAP_MALFORMED, REFERENCE_EXAMPLE } from "../../test/fixtures/header-map-golden.ts";
import { buildGuestModule, type GuestModuleSpec } from "../../test/fixtures/proxy-wasm-wat.ts";
import { watString } from "../../test/fixtures/wat.ts";
import { createHost, encodePairs, type Filter, HeaderMap, HeadersStatus, Status } from "./index.ts";

const mem = (f: Filter) => new DataView(f.vm.exports.memory.buffer);
const status = (f: Filter, i: number) => mem(f).getUint32(2048 + 4 * i, true);
const statuses = (f: Filter, n: number) => Array.from({ length: n }, (_, i) => status(f, i));
/** Bytes returned through the (ptr, size) slots at `slot`, `slot + 4`. */
const returned = (f: Filter, slot: number) => {
  const ptr = mem(f).getUint32(slot, true);
  const size = mem(f).getUint32(slot + 4, true);
  return new Uint8Array(f.vm.exports.memory.buffer, ptr, size).slice();
};
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const load = (spec: GuestModuleSpec) =>
  createHost({ logger: () => {} }).loadFilter({ name: "headers", module: buildGuestModule(spec), limits: { fuel: false } });

// Strings: "X-Foo" 1024, "missing" 1040, "X-Rep" 1056, "X-Del" 1072, "X-New" 1088, "a" 1104, "b" 1108.
const DATA = [
  `(data (i32.const 1024) "X-Foo")`,
  `(data (i32.const 1040) "missing")`,
  `(data (i32.const 1056) "X-Rep")`,
  `(data (i32.const 1072) "X-Del")`,
  `(data (i32.const 1088) "X-New")`,
  `(data (i32.const 1104) "a")`,
  `(data (i32.const 1108) "b")`,
];
const at = (i: number, call: string) => `(i32.store (i32.const ${2048 + 4 * i}) ${call})`;
const KEY = { foo: "(i32.const 1024) (i32.const 5)", missing: "(i32.const 1040) (i32.const 7)", rep: "(i32.const 1056) (i32.const 5)" };
const KEY2 = { del: "(i32.const 1072) (i32.const 5)", new: "(i32.const 1088) (i32.const 5)" };
const A = "(i32.const 1104) (i32.const 1)";
const B = "(i32.const 1108) (i32.const 1)";

describe("header map statuses", () => {
  it("returns the first value for a key in any case, NOT_FOUND for a missing key, BAD_ARGUMENT for map type 8", async () => {
    const filter = await load({
      data: DATA,
      callbacks: {
        proxy_on_request_headers: `
          ${at(0, `(call $proxy_get_header_map_value (i32.const 0) ${KEY.foo} (i32.const 256) (i32.const 260))`)}
          ${at(1, `(call $proxy_get_header_map_value (i32.const 0) ${KEY.missing} (i32.const 264) (i32.const 268))`)}
          ${at(2, `(call $proxy_get_header_map_value (i32.const 8) ${KEY.foo} (i32.const 272) (i32.const 276))`)}
          ${at(3, "(call $proxy_get_header_map_pairs (i32.const 8) (i32.const 280) (i32.const 284))")}
          ${at(4, `(call $proxy_add_header_map_value (i32.const 8) ${KEY.foo} ${A})`)}
          ${at(5, `(call $proxy_remove_header_map_value (i32.const 8) ${KEY.foo})`)}
          (i32.const 0)`,
      },
    });
    const headers = new HeaderMap([
      ["x-foo", "first"],
      ["x-foo", "second"],
    ]);
    filter.createStream().onRequestHeaders(headers, true);
    expect(statuses(filter, 6)).toEqual([
      Status.OK,
      Status.NOT_FOUND,
      Status.BAD_ARGUMENT,
      Status.BAD_ARGUMENT,
      Status.BAD_ARGUMENT,
      Status.BAD_ARGUMENT,
    ]);
    expect(text(returned(filter, 256))).toBe("first");
  });

  it("lower-cases keys; add keeps duplicates, replace replaces every value (or adds), remove of an absent key is OK", async () => {
    const filter = await load({
      data: DATA,
      callbacks: {
        proxy_on_request_headers: `
          ${at(0, `(call $proxy_add_header_map_value (i32.const 0) ${KEY.foo} ${A})`)}
          ${at(1, `(call $proxy_add_header_map_value (i32.const 0) ${KEY.foo} ${B})`)}
          ${at(2, `(call $proxy_replace_header_map_value (i32.const 0) ${KEY.rep} ${A})`)}
          ${at(3, `(call $proxy_replace_header_map_value (i32.const 0) ${KEY2.new} ${B})`)}
          ${at(4, `(call $proxy_remove_header_map_value (i32.const 0) ${KEY.missing})`)}
          ${at(5, `(call $proxy_remove_header_map_value (i32.const 0) ${KEY2.del})`)}
          (i32.const 0)`,
      },
    });
    const headers = new HeaderMap([
      [":path", "/"],
      ["x-foo", "0"],
      ["x-rep", "1"],
      ["x-del", "gone"],
      ["x-rep", "2"],
    ]);
    filter.createStream().onRequestHeaders(headers, true);
    expect(statuses(filter, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(headers.entries()).toEqual([
      [":path", "/"],
      ["x-foo", "0"],
      ["x-rep", "a"],
      ["x-foo", "a"],
      ["x-foo", "b"],
      ["x-new", "b"],
    ]);
  });
});

describe("pairs encoding through the ABI", () => {
  const filterPromise = load({
    callbacks: {
      proxy_on_request_headers: `
        ${at(0, "(call $proxy_get_header_map_pairs (i32.const 0) (i32.const 256) (i32.const 260))")}
        ${at(1, "(call $proxy_get_header_map_size (i32.const 0) (i32.const 264))")}
        (i32.const 0)`,
    },
  });
  for (const fixture of HEADER_MAP_GOLDEN) {
    it(`get_header_map_pairs returns exactly the golden bytes for ${fixture.name}`, async () => {
      const filter = await filterPromise;
      filter.createStream().onRequestHeaders(new HeaderMap(fixture.pairs), true);
      expect(statuses(filter, 2)).toEqual([Status.OK, Status.OK]);
      expect(returned(filter, 256)).toEqual(fixture.bytes);
      if (fixture.bytes.byteLength === 0) expect(mem(filter).getUint32(256, true)).toBe(0); // ptr 0 for an empty map
      expect(mem(filter).getUint32(264, true)).toBe(fixture.bytes.byteLength);
    });
  }

  it("set_header_map_pairs replaces the whole map and lower-cases keys; a malformed buffer is BAD_ARGUMENT and changes nothing", async () => {
    const upper = encodePairs([["X-Up", "1"]]);
    const malformed = HEADER_MAP_MALFORMED.find((m) => m.name === "trailing garbage")?.bytes as Uint8Array;
    const filter = await load({
      data: [
        `(data (i32.const 4096) ${watString(malformed)})`,
        `(data (i32.const 4608) ${watString(REFERENCE_EXAMPLE.bytes)})`,
        `(data (i32.const 5120) ${watString(upper)})`,
      ],
      callbacks: {
        proxy_on_request_headers: `
          ${at(0, `(call $proxy_set_header_map_pairs (i32.const 0) (i32.const 4096) (i32.const ${malformed.byteLength}))`)}
          ${at(1, "(call $proxy_get_header_map_pairs (i32.const 0) (i32.const 256) (i32.const 260))")}
          ${at(2, `(call $proxy_set_header_map_pairs (i32.const 0) (i32.const 4608) (i32.const ${REFERENCE_EXAMPLE.bytes.byteLength}))`)}
          (i32.const 0)`,
        proxy_on_response_headers: `
          ${at(3, `(call $proxy_set_header_map_pairs (i32.const 2) (i32.const 5120) (i32.const ${upper.byteLength}))`)}
          (i32.const 0)`,
      },
    });
    const stream = filter.createStream();
    const request = new HeaderMap({ ":path": "/old", "x-old": "1" });
    stream.onRequestHeaders(request, true);
    expect(statuses(filter, 3)).toEqual([Status.BAD_ARGUMENT, Status.OK, Status.OK]);
    expect(returned(filter, 256)).toEqual(
      encodePairs([
        [":path", "/old"],
        ["x-old", "1"],
      ]),
    );
    expect(request.entries()).toEqual(REFERENCE_EXAMPLE.pairs);
    const response = new HeaderMap({ ":status": "200" });
    stream.onResponseHeaders(response, true);
    expect(status(filter, 3)).toBe(Status.OK);
    expect(response.entries()).toEqual([["x-up", "1"]]);
  });
});

describe("header map windows", () => {
  const write = (map: number, i: number) => at(i, `(call $proxy_add_header_map_value (i32.const ${map}) ${KEY.foo} ${A})`);
  const read = (map: number, i: number) =>
    at(i, `(call $proxy_get_header_map_value (i32.const ${map}) ${KEY.foo} (i32.const 256) (i32.const 260))`);

  it("refuses the response maps during the request phase with BAD_ARGUMENT", async () => {
    const filter = await load({
      data: DATA,
      callbacks: { proxy_on_request_headers: `${read(2, 0)} ${write(2, 1)} ${write(3, 2)} (i32.const 0)` },
    });
    filter.createStream().onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    expect(statuses(filter, 3)).toEqual([Status.BAD_ARGUMENT, Status.BAD_ARGUMENT, Status.BAD_ARGUMENT]);
  });

  it("answers an unavailable map's pairs with OK and no pairs, as Envoy's getHeaderMapPairs (the Rust SDK panics otherwise)", async () => {
    const filter = await load({
      callbacks: {
        proxy_on_request_headers: `
          (i32.store (i32.const 256) (i32.const 77)) (i32.store (i32.const 260) (i32.const 77))
          ${at(0, "(call $proxy_get_header_map_pairs (i32.const 2) (i32.const 256) (i32.const 260))")}
          (i32.const 0)`,
      },
    });
    filter.createStream().onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    expect(status(filter, 0)).toBe(Status.OK);
    expect([mem(filter).getUint32(256, true), mem(filter).getUint32(260, true)]).toEqual([0, 0]);
  });

  it("reads every existing map in on_log; a map the stream never had is NOT_FOUND there (Envoy access-log phase)", async () => {
    const filter = await load({
      data: DATA,
      callbacks: {
        proxy_on_log: `${read(0, 0)} ${read(2, 1)} ${read(3, 2)}
          ${at(3, "(call $proxy_get_header_map_pairs (i32.const 3) (i32.const 264) (i32.const 268))")}`,
      },
    });
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/", "x-foo": "req" }), true);
    stream.onResponseHeaders(new HeaderMap({ ":status": "200", "x-foo": "res" }), true);
    stream.complete();
    expect(statuses(filter, 4)).toEqual([Status.OK, Status.OK, Status.NOT_FOUND, Status.OK]);
    expect(text(returned(filter, 256))).toBe("res");
    expect(mem(filter).getUint32(268, true)).toBe(0);
  });

  it("refuses writes to request headers once they were forwarded (on_request_body, on_response_headers)", async () => {
    const filter = await load({
      data: DATA,
      callbacks: { proxy_on_request_body: `${write(0, 0)} (i32.const 0)`, proxy_on_response_headers: `${write(0, 1)} (i32.const 0)` },
    });
    const stream = filter.createStream();
    const request = new HeaderMap({ ":path": "/" });
    expect(stream.onRequestHeaders(request, false)).toBe(HeadersStatus.CONTINUE);
    stream.onRequestBody(new Uint8Array([1]), true);
    stream.onResponseHeaders(new HeaderMap({ ":status": "200" }), true);
    expect(statuses(filter, 2)).toEqual([Status.BAD_ARGUMENT, Status.BAD_ARGUMENT]);
    expect(request.has("x-foo")).toBe(false);
  });

  it("keeps request headers writable while the filter holds them (from on_tick with the effective context)", async () => {
    const filter = await load({
      data: DATA,
      callbacks: {
        proxy_on_request_headers: "(i32.const 1)",
        proxy_on_tick: `
          ${at(0, "(call $proxy_set_effective_context (i32.load (i32.const 3000)))")}
          ${write(0, 1)}
          ${at(2, "(call $proxy_continue_stream (i32.const 0))")}
          ${write(0, 3)}`,
      },
    });
    const stream = filter.createStream();
    const request = new HeaderMap({ ":path": "/" });
    expect(stream.onRequestHeaders(request, false)).toBe(HeadersStatus.STOP_ALL_WATERMARK);
    mem(filter).setUint32(3000, stream.id, true);
    filter.tick();
    // The continue is deferred until on_tick returns, so the second write still lands (Envoy).
    expect(statuses(filter, 4)).toEqual([Status.OK, Status.OK, Status.OK, Status.OK]);
    expect(request.getAll("x-foo")).toEqual(["a", "a"]);
    filter.tick();
    expect(status(filter, 1)).toBe(Status.BAD_ARGUMENT); // continued: no longer writable
  });
});
