/**
 * Pins the context lifecycle against cpp-host/Envoy (shared/reference/proxy-wasm-abi.md §1.2,
 * §5.4, §5.6): start functions, root create → vm_start → configure with the root id, lazy
 * stream creation, Envoy's log → done → delete teardown, configuration windows, plugin
 * properties, and ABI version detection.
 */

import { describe, expect, it } from "vitest";
import { mem, RECORDER, recorded, status } from "../../test/fixtures/guest-probe.ts";
import { buildGuestModule, type GuestModuleSpec } from "../../test/fixtures/proxy-wasm-wat.ts";
import { watString } from "../../test/fixtures/wat.ts";
import { createHost, type Filter, FilterLoadError, type FilterOptions, HeaderMap, type HostOptions, Status } from "./index.ts";

/** The bytes a host call returned through the (ptr, size) slots at `slot`, `slot + 4`. */
const returned = (f: Filter, slot: number) => {
  const ptr = mem(f).getUint32(slot, true);
  const size = mem(f).getUint32(slot + 4, true);
  return new TextDecoder().decode(new Uint8Array(f.vm.exports.memory.buffer, ptr, size));
};

const load = (spec: GuestModuleSpec, options: HostOptions = {}, filter: Partial<FilterOptions> = {}) =>
  createHost({ logger: () => {}, ...options }).loadFilter({
    name: "life",
    module: buildGuestModule(spec),
    limits: { fuel: false },
    ...filter,
  });

// Event codes: 1 create, 2 vm_start, 3 configure, 10..15 stream callbacks, 20 log, 21 done, 22 delete.
const ev = (code: number, args: string) => `(call $rec (i32.const ${code})) ${args}`;
const RECORDING: GuestModuleSpec = {
  extra: RECORDER,
  callbacks: {
    proxy_on_context_create: ev(1, "(call $rec (local.get $0)) (call $rec (local.get $1))"),
    proxy_on_vm_start: `${ev(2, "(call $rec (local.get $0)) (call $rec (local.get $1))")} (i32.const 1)`,
    proxy_on_configure: `${ev(3, "(call $rec (local.get $0)) (call $rec (local.get $1))")} (i32.const 1)`,
    proxy_on_request_headers: `${ev(10, "(call $rec (local.get $0)) (call $rec (local.get $1)) (call $rec (local.get $2))")} (i32.const 0)`,
    proxy_on_request_body: `${ev(11, "(call $rec (local.get $0)) (call $rec (local.get $1)) (call $rec (local.get $2))")} (i32.const 0)`,
    proxy_on_request_trailers: `${ev(12, "(call $rec (local.get $0)) (call $rec (local.get $1))")} (i32.const 0)`,
    proxy_on_response_headers: `${ev(13, "(call $rec (local.get $0)) (call $rec (local.get $1)) (call $rec (local.get $2))")} (i32.const 0)`,
    proxy_on_response_body: `${ev(14, "(call $rec (local.get $0)) (call $rec (local.get $1)) (call $rec (local.get $2))")} (i32.const 0)`,
    proxy_on_log: ev(20, "(call $rec (local.get $0))"),
    proxy_on_done: `${ev(21, "(call $rec (local.get $0))")} (i32.const 1)`,
    proxy_on_delete: ev(22, "(call $rec (local.get $0))"),
  },
};

const bytes = (s: string) => new TextEncoder().encode(s);

describe("plugin and stream lifecycle", () => {
  it("creates the root as context 1 and calls vm_start/configure with its id and the config sizes", async () => {
    const filter = await load(RECORDING, {}, { vmConfig: "vm", config: "abc" });
    expect(recorded(filter)).toEqual([1, 1, 0, 2, 1, 2, 3, 1, 3]);
  });

  it("creates a stream context lazily and runs callbacks in Envoy's order, ending log → done → delete", async () => {
    const filter = await load(RECORDING);
    const stream = filter.createStream();
    expect(recorded(filter)).toHaveLength(9); // nothing for the stream until its first callback
    expect(stream.id).toBe(2);
    stream.onRequestHeaders(new HeaderMap({ ":path": "/", ":method": "POST" }), false);
    stream.onRequestBody(bytes("hello"), false);
    stream.onRequestTrailers(new HeaderMap({ "x-t": "1" }));
    stream.onResponseHeaders(new HeaderMap({ ":status": "200" }), false);
    stream.onResponseBody(bytes("abc"), true);
    stream.complete();
    // biome-ignore format: one callback per line
    expect(recorded(filter).slice(9)).toEqual([
      1, 2, 1,
      10, 2, 2, 0,
      11, 2, 5, 0,
      12, 2, 1,
      13, 2, 1, 0,
      14, 2, 3, 1,
      20, 2,
      21, 2,
      22, 2,
    ]);
    expect(filter.vm.contexts.has(stream.id)).toBe(false);
  });

  it('runs the spec\'s done → log → delete with teardownOrder "spec"', async () => {
    const filter = await load(RECORDING, { teardownOrder: "spec" });
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
    stream.complete();
    expect(recorded(filter).slice(-6)).toEqual([21, 2, 20, 2, 22, 2]);
  });

  it("creates the stream context from complete() when no callback ran (Envoy Context::log)", async () => {
    const filter = await load(RECORDING);
    filter.createStream().complete();
    expect(recorded(filter).slice(9)).toEqual([1, 2, 1, 20, 2, 21, 2, 22, 2]);
  });
});

describe("plugin shutdown (§1.2 item 8)", () => {
  it("keeps a root whose on_done returned false until proxy_done, then calls on_delete after that call returned", async () => {
    const filter = await load({
      extra: RECORDER,
      callbacks: {
        proxy_on_configure: "(i32.store (i32.const 2048) (call $proxy_done)) (i32.const 1)",
        proxy_on_done: "(call $rec (i32.const 21)) (call $rec (local.get $0)) (i32.const 0)",
        proxy_on_tick: "(i32.store (i32.const 2052) (call $proxy_done)) (call $rec (i32.const 99))",
        proxy_on_delete: "(call $rec (i32.const 22)) (call $rec (local.get $0))",
      },
    });
    expect(status(filter, 0)).toBe(Status.NOT_FOUND); // nothing pending yet
    filter.close();
    expect(recorded(filter)).toEqual([21, 1]);
    expect(filter.vm.closed).toBe(false);
    filter.tick();
    expect(status(filter, 1)).toBe(Status.OK);
    expect(recorded(filter)).toEqual([21, 1, 99, 22, 1]);
    expect(filter.vm.closed).toBe(true);
  });
});

describe("configuration windows", () => {
  // get_buffer_bytes(type, 0, 100, slot, slot + 4) → status i
  const get = (type: number, slot: number, i: number) =>
    `(i32.store (i32.const ${2048 + 4 * i}) (call $proxy_get_buffer_bytes (i32.const ${type}) (i32.const 0) (i32.const 100) (i32.const ${slot}) (i32.const ${slot + 4})))`;
  const spec: GuestModuleSpec = {
    callbacks: {
      proxy_on_vm_start: `${get(6, 256, 0)} ${get(7, 264, 1)} (i32.const 1)`,
      proxy_on_configure: `${get(7, 272, 2)} ${get(6, 280, 3)} (i32.const 1)`,
      proxy_on_request_headers: `${get(7, 288, 4)} ${get(6, 296, 5)} (i32.const 0)`,
    },
  };

  it("exposes VM_CONFIGURATION only in on_vm_start and PLUGIN_CONFIGURATION only in on_configure", async () => {
    const filter = await load(spec, {}, { vmConfig: "vm-config", config: "plugin-config" });
    filter.createStream().onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
    expect([0, 1, 2, 3, 4, 5].map((i) => status(filter, i))).toEqual([
      Status.OK,
      Status.NOT_FOUND,
      Status.OK,
      Status.NOT_FOUND,
      Status.NOT_FOUND,
      Status.NOT_FOUND,
    ]);
    expect(returned(filter, 256)).toBe("vm-config");
    expect(returned(filter, 272)).toBe("plugin-config");
  });

  it("rejects a filter whose on_configure returns false, with the filter's own log lines", async () => {
    const error = await load({
      data: [`(data (i32.const 1024) "config: missing upstream")`],
      callbacks: { proxy_on_configure: `(drop (call $proxy_log (i32.const 4) (i32.const 1024) (i32.const 24))) (i32.const 0)` },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FilterLoadError);
    expect((error as FilterLoadError).problems[0]).toMatch(/proxy_on_configure returned false/);
    expect((error as FilterLoadError).logs).toContain("config: missing upstream");
  });
});

describe("plugin properties", () => {
  it("answers plugin_root_id, plugin_name and plugin_vm_id with the configured strings", async () => {
    const paths = ["plugin_root_id", "plugin_name", "plugin_vm_id"];
    const data = paths.map((p, i) => `(data (i32.const ${1024 + 32 * i}) ${watString(p)})`);
    const calls = paths.map(
      (p, i) =>
        `(i32.store (i32.const ${2048 + 4 * i}) (call $proxy_get_property (i32.const ${1024 + 32 * i}) (i32.const ${p.length}) (i32.const ${256 + 8 * i}) (i32.const ${260 + 8 * i})))`,
    );
    const filter = await load(
      { data, callbacks: { proxy_on_configure: `${calls.join(" ")} (i32.const 1)` } },
      {},
      { rootId: "root-a", vmId: "vm-a" },
    );
    expect([0, 1, 2].map((i) => status(filter, i))).toEqual([Status.OK, Status.OK, Status.OK]);
    expect([0, 1, 2].map((i) => returned(filter, 256 + 8 * i))).toEqual(["root-a", "life", "vm-a"]);
  });
});

describe("ABI detection", () => {
  it("runs a 0.2.0 module (Go SDK marker) with end_of_stream on header callbacks", async () => {
    const filter = await load({ ...RECORDING, abi: "0_2_0" });
    expect(filter.abi).toBe("0.2.0");
    filter.createStream().onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
    expect(recorded(filter).slice(12, 16)).toEqual([10, 2, 1, 1]);
  });

  it("runs a 0.1.0 module: 2-argument header callbacks, OK+empty for a missing header, proxy_get_configuration", async () => {
    const filter = await load(
      {
        abi: "0_1_0",
        extra: RECORDER,
        data: [`(data (i32.const 1024) "x-missing")`],
        callbacks: {
          proxy_on_configure: `(i32.store (i32.const 2048) (call $proxy_get_configuration (i32.const 256) (i32.const 260))) (i32.const 1)`,
          proxy_on_request_headers: `
            (call $rec (local.get $0)) (call $rec (local.get $1))
            (i32.store (i32.const 264) (i32.const 77)) (i32.store (i32.const 268) (i32.const 77))
            (i32.store (i32.const 2052) (call $proxy_get_header_map_value (i32.const 0) (i32.const 1024) (i32.const 9) (i32.const 264) (i32.const 268)))
            (i32.store (i32.const 2056) (call $proxy_get_configuration (i32.const 272) (i32.const 276)))
            (i32.const 0)`,
        },
      },
      {},
      { config: "legacy" },
    );
    expect(filter.abi).toBe("0.1.0");
    filter.createStream().onRequestHeaders(new HeaderMap({ ":path": "/", ":method": "GET" }), true);
    expect(recorded(filter)).toEqual([2, 2]);
    expect(status(filter, 0)).toBe(Status.OK);
    expect(returned(filter, 256)).toBe("legacy");
    expect(status(filter, 1)).toBe(Status.OK); // 0.2.x says NOT_FOUND
    expect([mem(filter).getUint32(264, true), mem(filter).getUint32(268, true)]).toEqual([0, 0]);
    expect(status(filter, 2)).toBe(Status.NOT_FOUND); // configuration only during on_configure
  });
});

describe("start functions", () => {
  const main = `(func (export "main") (param i32 i32) (result i32) (call $rec (i32.const 32)) (i32.const 0))`;
  it("calls _initialize then main, and not _start, when _initialize is exported", async () => {
    const filter = await load({
      extra: RECORDER + main,
      callbacks: {
        _initialize: "(call $rec (i32.const 30))",
        _start: "(call $rec (i32.const 31))",
        proxy_on_context_create: "(call $rec (i32.const 1))",
      },
    });
    expect(recorded(filter)).toEqual([30, 32, 1]);
  });

  it("calls _start when _initialize is not exported", async () => {
    const filter = await load({
      extra: RECORDER,
      callbacks: { _start: "(call $rec (i32.const 31))", proxy_on_context_create: "(call $rec (i32.const 1))" },
    });
    expect(recorded(filter)).toEqual([31, 1]);
  });
});
