/**
 * Pins the process-wide stores against cpp-host/Envoy (shared/reference/proxy-wasm-abi.md §1.7
 * "Shared data", "Shared queues", "Metrics"): CAS semantics and vm_id scoping of shared data,
 * queue registration/resolution/notification with the root id, and metric ids, types and
 * statuses, with i64 values crossing as BigInt.
 */

import { describe, expect, it } from "vitest";
import { buildGuestModule, type GuestModuleSpec } from "../../test/fixtures/proxy-wasm-wat.ts";
import { createHost, type Filter, HeaderMap, type Host, MetricType, Status } from "./index.ts";

const mem = (f: Filter) => new DataView(f.vm.exports.memory.buffer);
const u32 = (f: Filter, addr: number) => mem(f).getUint32(addr, true);
const statuses = (f: Filter, n: number) => Array.from({ length: n }, (_, i) => u32(f, 2048 + 4 * i));
const returned = (f: Filter, slot: number) =>
  new TextDecoder().decode(new Uint8Array(f.vm.exports.memory.buffer, u32(f, slot), u32(f, slot + 4)));
const at = (i: number, call: string) => `(i32.store (i32.const ${2048 + 4 * i}) ${call})`;
const quietHost = () => createHost({ logger: () => {} });
const load = (host: Host, spec: GuestModuleSpec, vmId = "vm-a") =>
  host.loadFilter({ name: "shared", module: buildGuestModule(spec), vmId, limits: { fuel: false } });
const runRequest = (f: Filter) => f.createStream().onRequestHeaders(new HeaderMap({ ":path": "/" }), true);

// "k" 1024, "v1" 1028, "v2" 1032, "v3" 1036, "v4" 1040, "q" 1044, "vm-a" 1048, "nope" 1056, "hello" 1064
const DATA = ["k", "v1", "v2", "v3", "v4", "q", "vm-a", "nope", "hello"].map(
  (s, i) => `(data (i32.const ${[1024, 1028, 1032, 1036, 1040, 1044, 1048, 1056, 1064][i]}) "${s}")`,
);
const K = "(i32.const 1024) (i32.const 1)";
const V = (n: number) => `(i32.const ${1024 + 4 * n}) (i32.const 2)`;

describe("shared data", () => {
  it("answers NOT_FOUND, then stores with CAS: a stale cas is CAS_MISMATCH, cas 0 always writes", async () => {
    const host = quietHost();
    const filter = await load(host, {
      data: DATA,
      callbacks: {
        proxy_on_request_headers: `
          ${at(0, `(call $proxy_get_shared_data ${K} (i32.const 256) (i32.const 260) (i32.const 264))`)}
          ${at(1, `(call $proxy_set_shared_data ${K} ${V(1)} (i32.const 0))`)}
          ${at(2, `(call $proxy_get_shared_data ${K} (i32.const 256) (i32.const 260) (i32.const 264))`)}
          ${at(3, `(call $proxy_set_shared_data ${K} ${V(2)} (i32.load (i32.const 264)))`)}
          ${at(4, `(call $proxy_set_shared_data ${K} ${V(3)} (i32.load (i32.const 264)))`)}
          ${at(5, `(call $proxy_set_shared_data ${K} ${V(4)} (i32.const 0))`)}
          ${at(6, `(call $proxy_get_shared_data ${K} (i32.const 272) (i32.const 276) (i32.const 280))`)}
          (i32.const 0)`,
      },
    });
    runRequest(filter);
    expect(statuses(filter, 7)).toEqual([Status.NOT_FOUND, Status.OK, Status.OK, Status.OK, Status.CAS_MISMATCH, Status.OK, Status.OK]);
    expect(returned(filter, 256)).toBe("v1");
    expect(returned(filter, 272)).toBe("v4");
    const first = u32(filter, 264);
    const last = u32(filter, 280);
    expect(first).not.toBe(0);
    expect(last).not.toBe(first);
    expect(host.state.sharedData.get("vm-a", "k")?.cas).toBe(last);
  });

  it("is shared by filters with the same vm_id and invisible to another vm_id", async () => {
    const host = quietHost();
    await load(host, {
      data: DATA,
      callbacks: { proxy_on_configure: `(drop (call $proxy_set_shared_data ${K} ${V(1)} (i32.const 0))) (i32.const 1)` },
    });
    const reader: GuestModuleSpec = {
      data: DATA,
      callbacks: {
        proxy_on_request_headers: `${at(0, `(call $proxy_get_shared_data ${K} (i32.const 256) (i32.const 260) (i32.const 264))`)} (i32.const 0)`,
      },
    };
    const same = await load(host, reader, "vm-a");
    const other = await load(host, reader, "vm-b");
    runRequest(same);
    runRequest(other);
    expect(statuses(same, 1)).toEqual([Status.OK]);
    expect(returned(same, 256)).toBe("v1");
    expect(statuses(other, 1)).toEqual([Status.NOT_FOUND]);
  });
});

describe("shared queues", () => {
  const owner: GuestModuleSpec = {
    data: DATA,
    callbacks: {
      proxy_on_configure: `
        ${at(0, "(call $proxy_register_shared_queue (i32.const 1044) (i32.const 1) (i32.const 256))")}
        ${at(1, "(call $proxy_resolve_shared_queue (i32.const 1048) (i32.const 4) (i32.const 1044) (i32.const 1) (i32.const 260))")}
        ${at(2, "(call $proxy_resolve_shared_queue (i32.const 1048) (i32.const 4) (i32.const 1056) (i32.const 4) (i32.const 264))")}
        ${at(3, "(call $proxy_dequeue_shared_queue (i32.load (i32.const 256)) (i32.const 268) (i32.const 272))")}
        (i32.const 1)`,
      proxy_on_request_headers: `${at(4, "(call $proxy_enqueue_shared_queue (i32.load (i32.const 256)) (i32.const 1064) (i32.const 5))")} (i32.const 0)`,
      proxy_on_queue_ready: `
        (i32.store (i32.const 300) (local.get $0)) (i32.store (i32.const 304) (local.get $1))
        (i32.store (i32.const 308) (i32.add (i32.load (i32.const 308)) (i32.const 1)))
        ${at(5, "(call $proxy_dequeue_shared_queue (local.get $1) (i32.const 312) (i32.const 316))")}`,
    },
  };

  it("registers and resolves by (vm_id, name); unknown names are NOT_FOUND and an empty queue is EMPTY", async () => {
    const filter = await load(quietHost(), owner);
    expect(statuses(filter, 4)).toEqual([Status.OK, Status.OK, Status.NOT_FOUND, Status.EMPTY]);
    expect(u32(filter, 256)).not.toBe(0);
    expect(u32(filter, 260)).toBe(u32(filter, 256));
  });

  it("delivers proxy_on_queue_ready(root id, queue id) asynchronously after an enqueue, also from another filter", async () => {
    const host = quietHost();
    const filter = await load(host, owner);
    const queue = u32(filter, 256);
    runRequest(filter);
    expect(statuses(filter, 5)[4]).toBe(Status.OK);
    expect(u32(filter, 308)).toBe(0); // not re-entrant: nothing delivered inside the enqueuing call
    await new Promise((r) => setTimeout(r, 0));
    expect([u32(filter, 300), u32(filter, 304), u32(filter, 308)]).toEqual([filter.vm.root.id, queue, 1]);
    expect(statuses(filter, 6)[5]).toBe(Status.OK);
    expect(returned(filter, 312)).toBe("hello");

    const producer = await load(
      host,
      {
        data: DATA,
        callbacks: {
          proxy_on_request_headers: `
            (drop (call $proxy_resolve_shared_queue (i32.const 1048) (i32.const 4) (i32.const 1044) (i32.const 1) (i32.const 256)))
            ${at(0, "(call $proxy_enqueue_shared_queue (i32.load (i32.const 256)) (i32.const 1064) (i32.const 5))")}
            (i32.const 0)`,
        },
      },
      "vm-b",
    );
    runRequest(producer);
    expect(statuses(producer, 1)).toEqual([Status.OK]);
    await new Promise((r) => setTimeout(r, 0));
    expect([u32(filter, 300), u32(filter, 304), u32(filter, 308)]).toEqual([filter.vm.root.id, queue, 2]);
  });
});

describe("metrics", () => {
  // "c" 1024, "g" 1028, "h" 1032 (overlaps DATA's keys on purpose: names only)
  const define = (type: number, name: number, slot: number, i: number) =>
    at(i, `(call $proxy_define_metric (i32.const ${type}) (i32.const ${name}) (i32.const 1) (i32.const ${slot}))`);
  const id = (slot: number) => `(i32.load (i32.const ${slot}))`;
  const spec: GuestModuleSpec = {
    data: [`(data (i32.const 1024) "c")`, `(data (i32.const 1028) "g")`, `(data (i32.const 1032) "h")`],
    callbacks: {
      proxy_on_configure: `
        ${define(0, 1024, 256, 0)} ${define(1, 1028, 260, 1)} ${define(2, 1032, 264, 2)}
        ${at(3, `(call $proxy_increment_metric ${id(256)} (i64.const 0))`)}
        ${at(4, `(call $proxy_increment_metric ${id(256)} (i64.const 5))`)}
        ${at(5, `(call $proxy_record_metric ${id(256)} (i64.const 3))`)}
        ${at(6, `(call $proxy_record_metric ${id(260)} (i64.const 7))`)}
        ${at(7, `(call $proxy_increment_metric ${id(260)} (i64.const -2))`)}
        ${at(8, `(call $proxy_record_metric ${id(264)} (i64.const 42))`)}
        ${at(9, `(call $proxy_get_metric ${id(264)} (i32.const 272))`)}
        ${at(10, `(call $proxy_get_metric ${id(256)} (i32.const 280))`)}
        ${at(11, `(call $proxy_get_metric ${id(260)} (i32.const 288))`)}
        ${at(12, "(call $proxy_get_metric (i32.const 4003) (i32.const 296))")}
        ${at(13, "(call $proxy_increment_metric (i32.const 4003) (i64.const 1))")}
        ${at(14, "(call $proxy_record_metric (i32.const 4003) (i64.const 1))")}
        ${at(15, "(call $proxy_define_metric (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 304))")}
        (i32.const 1)`,
      proxy_on_request_headers: `${at(16, `(call $proxy_increment_metric ${id(256)} (i64.const 0x100000000))`)} (i32.const 0)`,
    },
  };

  it("gives ids whose low 2 bits are the type and applies Envoy's statuses", async () => {
    const host = quietHost();
    const filter = await load(host, spec);
    expect([u32(filter, 256) & 3, u32(filter, 260) & 3, u32(filter, 264) & 3]).toEqual([
      MetricType.COUNTER,
      MetricType.GAUGE,
      MetricType.HISTOGRAM,
    ]);
    // biome-ignore format: one status per call above
    expect(statuses(filter, 16)).toEqual([
      Status.OK, Status.OK, Status.OK,
      Status.BAD_ARGUMENT, Status.OK, Status.OK, Status.OK, Status.OK, Status.OK,
      Status.BAD_ARGUMENT, Status.OK, Status.OK,
      Status.NOT_FOUND, Status.NOT_FOUND, Status.NOT_FOUND,
      Status.BAD_ARGUMENT,
    ]);
    expect(mem(filter).getBigUint64(280, true)).toBe(8n); // increment 5 + record 3 (record on a counter adds)
    expect(mem(filter).getBigUint64(288, true)).toBe(5n); // gauge set to 7, then -2
    expect(host.state.metrics.find("c", MetricType.COUNTER)?.value).toBe(8);
    expect(host.state.metrics.find("g", MetricType.GAUGE)?.value).toBe(5);
    expect(host.state.metrics.find("h", MetricType.HISTOGRAM)).toMatchObject({ count: 1, sum: 42 });
  });

  it("takes i64 values beyond 32 bits as BigInt without failing the VM", async () => {
    const host = quietHost();
    const filter = await load(host, spec);
    runRequest(filter);
    expect(statuses(filter, 17)[16]).toBe(Status.OK);
    expect(filter.state).toBe("ready");
    expect(host.state.metrics.find("c", MetricType.COUNTER)?.value).toBe(8 + 2 ** 32);
  });
});
