/**
 * Pins what a test host records and drives besides streams: logs by level (with WASI
 * stdout/stderr), configuration, properties, metrics, shared data, shared queues, foreign
 * functions (the test's and weir's own), ticks and the manual wall clock.
 */

import { describe, expect, it } from "vitest";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { watString } from "../../test/fixtures/wat.ts";
import { createTestHost, DEFAULT_START_TIME, type TestHostOptions } from "./index.ts";
import "./matchers.ts";

const LIST = [
  "requests_total",
  "active",
  "latency_ms",
  "events",
  "hits",
  "1",
  "test.echo",
  "hi",
  "weir.retry",
  "weir.upstream_cluster",
  "canary",
  "filter_state.decision",
  "allow",
  "source.address",
  "my.setting",
  "root.state",
  "ready",
  "t",
  "d",
  "w",
  "e",
  "c",
  "tick",
  "to stdout\nto",
  " stderr\n",
];
const at = (name: string) => 4096 + 64 * LIST.indexOf(name);
const s = (name: string) => `(i32.const ${at(name)}) (i32.const ${new TextEncoder().encode(name).byteLength})`;
const log = (level: number, name: string) => `(drop (call $proxy_log (i32.const ${level}) ${s(name)}))`;
/** Logs the bytes a host call returned through the out-pointers at 300/304. */
const logReturned = "(drop (call $proxy_log (i32.const 2) (i32.load (i32.const 300)) (i32.load (i32.const 304))))";
const fdWrite = (fd: number, name: string) => `
  (i32.store (i32.const 3200) (i32.const ${at(name)})) (i32.store (i32.const 3204) (i32.const ${new TextEncoder().encode(name).byteLength}))
  (drop (call $fd_write (i32.const ${fd}) (i32.const 3200) (i32.const 1) (i32.const 3208)))`;

const FEATURES = buildGuestModule({
  imports: [`(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))`],
  data: LIST.map((v) => `(data (i32.const ${at(v)}) ${watString(v)})`),
  callbacks: {
    proxy_on_vm_start: `(drop (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 0) (local.get $1) (i32.const 300) (i32.const 304))) ${logReturned} (i32.const 1)`,
    proxy_on_configure: `
      (drop (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $1) (i32.const 300) (i32.const 304))) ${logReturned}
      (drop (call $proxy_define_metric (i32.const 0) ${s("requests_total")} (i32.const 3100)))
      (drop (call $proxy_define_metric (i32.const 1) ${s("active")} (i32.const 3104)))
      (drop (call $proxy_define_metric (i32.const 2) ${s("latency_ms")} (i32.const 3108)))
      (drop (call $proxy_register_shared_queue ${s("events")} (i32.const 3112)))
      (drop (call $proxy_set_tick_period_milliseconds (i32.const 50)))
      (drop (call $proxy_set_property ${s("root.state")} ${s("ready")}))
      ${fdWrite(1, "to stdout\nto")} ${fdWrite(2, " stderr\n")}
      (i32.const 1)`,
    proxy_on_request_headers: `
      (drop (call $proxy_increment_metric (i32.load (i32.const 3100)) (i64.const 1)))
      (drop (call $proxy_record_metric (i32.load (i32.const 3104)) (i64.const 7)))
      (drop (call $proxy_record_metric (i32.load (i32.const 3108)) (i64.const 12)))
      (drop (call $proxy_set_shared_data ${s("hits")} ${s("1")} (i32.const 0)))
      ${log(0, "t")} ${log(1, "d")} ${log(3, "w")} ${log(4, "e")} ${log(5, "c")}
      (drop (call $proxy_call_foreign_function ${s("test.echo")} ${s("hi")} (i32.const 300) (i32.const 304))) ${logReturned}
      (drop (call $proxy_call_foreign_function ${s("weir.retry")} (i32.const 0) (i32.const 0) (i32.const 300) (i32.const 304)))
      (drop (call $proxy_set_property ${s("weir.upstream_cluster")} ${s("canary")}))
      (drop (call $proxy_set_property ${s("filter_state.decision")} ${s("allow")}))
      (drop (call $proxy_get_property ${s("source.address")} (i32.const 300) (i32.const 304))) ${logReturned}
      (drop (call $proxy_get_property ${s("my.setting")} (i32.const 300) (i32.const 304))) ${logReturned}
      (drop (call $proxy_get_current_time_nanoseconds (i32.const 320)))
      (i32.const 0)`,
    proxy_on_queue_ready: `(drop (call $proxy_dequeue_shared_queue (local.get $1) (i32.const 300) (i32.const 304))) ${logReturned}`,
    proxy_on_tick: log(2, "tick"),
  },
});

const load = (options: Partial<TestHostOptions> = {}) =>
  createTestHost({ wasm: FEATURES, name: "features", limits: { fuel: false }, config: { mode: "strict" }, vmConfig: "vm-1", ...options });

function request(host: Awaited<ReturnType<typeof load>>) {
  const http = host.http({ properties: { "source.address": "10.0.0.1:5000" } });
  http.requestHeaders({ ":path": "/" }, { endOfStream: true });
  return http;
}

describe("what the test host records", () => {
  it("logs every level, WASI stdout at info and stderr at error, and configuration (an object as JSON)", async () => {
    const host = await load({
      foreignFunctions: { "test.echo": (args) => `echo:${new TextDecoder().decode(args)}` },
      properties: { "my.setting": "on" },
    });
    expect(host.logs.info).toEqual(["vm-1", '{"mode":"strict"}', "to stdout"]);
    expect(host.logs.error).toEqual([" stderr"]);
    host.logs.clear();
    request(host);
    expect(host.logs.all.map((e) => `${e.level}:${e.message}`)).toEqual([
      "trace:t",
      "debug:d",
      "warn:w",
      "error:e",
      "critical:c",
      "info:echo:hi",
      "info:10.0.0.1:5000",
      "info:on",
    ]);
    expect(host).toHaveLogged("critical", /^c$/);
    expect(host.logs.find("info", "echo")).toEqual(["echo:hi"]);
  });

  it("records only from logLevel up, which is also what the filter is told", async () => {
    const host = await load({ logLevel: "warn" });
    request(host);
    expect([host.logs.debug, host.logs.warn, host.logs.info]).toEqual([[], ["w"], []]);
  });

  it("shows metrics by name, shared data by key, and properties the filter set", async () => {
    const host = await load();
    host.sharedData.set("seeded", "yes");
    const http = request(host);
    request(host);
    expect([host.metrics.get("requests_total"), host.metrics.get("active"), host.metrics.get("nope")]).toEqual([2, 7, undefined]);
    expect(host.metrics.histogram("latency_ms")).toMatchObject({ count: 2, sum: 24 });
    expect(host.metrics.toObject()).toEqual({ requests_total: 2, active: 7 });
    expect(host.sharedData.toObject()).toEqual({ seeded: "yes", hits: "1" });
    expect(host.sharedData.bytes("hits")).toEqual(new TextEncoder().encode("1"));
    expect(http.properties.get("filter_state.decision")).toBe("allow");
    expect(http.properties.toObject()).toEqual({ "filter_state.decision": "allow" });
    expect(host.properties.get(["root", "state"])).toBe("ready");
    expect(http.upstreamCluster).toBe("canary");
  });

  it("records foreign-function calls, weir's built-ins too, and functions registered later", async () => {
    const host = await load();
    host.registerForeignFunction("test.echo", (args) => args);
    const http = request(host);
    expect(host.foreignCalls.map((c) => [c.name, c.text, c.http === http])).toEqual([
      ["test.echo", "hi", true],
      ["weir.retry", "", true],
    ]);
    expect(host.foreignCalls[1].result).toEqual(Uint8Array.of(1));
    expect(http.retries).toEqual([undefined]);
  });
});

describe("what the test host drives", () => {
  it("ticks on demand, or as the manual clock passes the filter's period", async () => {
    const host = await load();
    expect(host.tickPeriod).toBe(50);
    host.tick();
    expect(host.logs.find("info", "tick")).toHaveLength(1);
    host.advance(120);
    expect(host.logs.find("info", "tick")).toHaveLength(3);
    expect(host.now).toBe(DEFAULT_START_TIME + 120);
  });

  it("answers the filter's clock from the manual one", async () => {
    const host = await load({ startTime: new Date("2031-02-03T04:05:06Z") });
    host.advance(7);
    request(host);
    const nanos = new DataView(host.filter.vm.exports.memory.buffer).getBigUint64(320, true);
    expect(new Date(Number(nanos / 1_000_000n)).toISOString()).toBe("2031-02-03T04:05:06.007Z");
  });

  it("delivers a queue item through proxy_on_queue_ready", async () => {
    const host = await load();
    await host.enqueue("events", "deploy finished");
    expect(host.logs.info).toContain("deploy finished");
    expect(host.queueSize("events")).toBe(0);
    await expect(host.enqueue("nope", "x")).rejects.toThrow('host.enqueue("nope"): no filter registered a queue "nope" in vm_id ""');
  });
});
