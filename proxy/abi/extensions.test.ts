/**
 * Pins what filters reach through the ABI's extension points (EXTENSIONS.md; reference §1.7
 * "Foreign functions", "Well-known properties"): registered foreign functions and the
 * capability filter, weir's `weir.retry` / `weir.upstream_cluster` / `weir.attempt`, and
 * `request.*` properties read from the live headers in both path forms.
 */

import { describe, expect, it } from "vitest";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { watString } from "../../test/fixtures/wat.ts";
import { createHost, type Filter, type ForeignCall, HeaderMap, Status } from "./index.ts";

const mem = (f: Filter) => new DataView(f.vm.exports.memory.buffer);
const u32 = (f: Filter, addr: number) => mem(f).getUint32(addr, true);
const statuses = (f: Filter, n: number) => Array.from({ length: n }, (_, i) => u32(f, 2048 + 4 * i));
const returned = (f: Filter, slot: number) => new Uint8Array(f.vm.exports.memory.buffer, u32(f, slot), u32(f, slot + 4)).slice();
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const at = (i: number, call: string) => `(i32.store (i32.const ${2048 + 4 * i}) ${call})`;
/** Data segments for `strings` laid out 32 bytes apart from 1024; `s(i)` is "(ptr) (len)" of string i. */
const strings = (list: string[]) => ({
  data: list.map((v, i) => `(data (i32.const ${1024 + 32 * i}) ${watString(v)})`),
  s: (i: number) => `(i32.const ${1024 + 32 * i}) (i32.const ${new TextEncoder().encode(list[i]).byteLength})`,
});

describe("foreign functions", () => {
  const { data, s } = strings(["test.echo", "hi", "test.nope", "weir.retry"]);
  const module = buildGuestModule({
    data: [...data, `(data (i32.const 1152) ${watString(Uint8Array.of(250, 0, 0, 0))})`], // u32le 250
    callbacks: {
      proxy_on_request_headers: `
        ${at(0, `(call $proxy_call_foreign_function ${s(0)} ${s(1)} (i32.const 256) (i32.const 260))`)}
        ${at(1, `(call $proxy_call_foreign_function ${s(2)} ${s(1)} (i32.const 264) (i32.const 268))`)}
        ${at(2, `(call $proxy_call_foreign_function ${s(3)} (i32.const 1152) (i32.const 4) (i32.const 272) (i32.const 276))`)}
        ${at(3, `(call $proxy_call_foreign_function ${s(3)} (i32.const 0) (i32.const 0) (i32.const 280) (i32.const 284))`)}
        (i32.const 0)`,
    },
  });
  async function run(foreignFunctions?: string[]) {
    const seen: { args: string; call: ForeignCall }[] = [];
    const host = createHost({
      logger: () => {},
      foreignFunctions: {
        "test.echo": (args, call) => {
          seen.push({ args: text(args), call });
          return `got:${text(args)}`;
        },
      },
    });
    const filter = await host.loadFilter({
      name: "ff",
      module,
      limits: { fuel: false },
      capabilities: foreignFunctions ? { foreignFunctions } : undefined,
    });
    const retries: (number | undefined)[] = [];
    const stream = filter.createStream({ requestRetry: (delay) => retries.push(delay) === 1 });
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
    return { filter, seen, retries };
  }

  it("passes the arguments to a registered function and returns its result; an unknown name is NOT_FOUND", async () => {
    const { filter, seen } = await run();
    expect(statuses(filter, 2)).toEqual([Status.OK, Status.NOT_FOUND]);
    expect(text(returned(filter, 256))).toBe("got:hi");
    expect(seen).toHaveLength(1);
    expect(seen[0].args).toBe("hi");
    expect(seen[0].call.filter).toBe("ff");
    expect(seen[0].call.stream?.attempt).toBe(1);
  });

  it("answers NOT_FOUND for a function outside capabilities.foreignFunctions, without calling it", async () => {
    const { filter, seen, retries } = await run(["weir.retry"]);
    expect(statuses(filter, 3)).toEqual([Status.NOT_FOUND, Status.NOT_FOUND, Status.OK]);
    expect(seen).toEqual([]);
    expect(retries).toEqual([250, undefined]);
  });

  it("weir.retry asks callbacks.requestRetry(delay) and returns 1 when accepted, 0 when refused", async () => {
    const { filter, retries } = await run();
    expect(statuses(filter, 4).slice(2)).toEqual([Status.OK, Status.OK]);
    expect(retries).toEqual([250, undefined]);
    expect([...returned(filter, 272)]).toEqual([1]);
    expect([...returned(filter, 280)]).toEqual([0]);
  });
});

describe("weir and request properties", () => {
  const { data, s } = strings([
    "request\0path",
    "request.path",
    ":path",
    "/rewritten",
    "weir\0attempt",
    "weir.upstream_cluster",
    "payments",
    "weir\0upstream_cluster",
  ]);
  const get = (path: number, slot: number) => `(call $proxy_get_property ${s(path)} (i32.const ${slot}) (i32.const ${slot + 4}))`;

  it("reads request.path live in both path forms, weir.attempt as an 8-byte LE int, and sets weir.upstream_cluster", async () => {
    const host = createHost({ logger: () => {} });
    const filter = await host.loadFilter({
      name: "props",
      limits: { fuel: false },
      module: buildGuestModule({
        data,
        callbacks: {
          proxy_on_request_headers: `
            ${at(0, get(0, 256))}
            ${at(1, `(call $proxy_replace_header_map_value (i32.const 0) ${s(2)} ${s(3)})`)}
            ${at(2, get(0, 264))} ${at(3, get(1, 272))} ${at(4, get(4, 280))}
            ${at(5, `(call $proxy_set_property ${s(5)} ${s(6)})`)}
            ${at(6, get(7, 288))}
            (i32.const 0)`,
          proxy_on_response_headers: `${at(7, get(4, 296))} (i32.const 0)`,
        },
      }),
    });
    const clusters: string[] = [];
    const stream = filter.createStream({ setUpstreamCluster: (c) => clusters.push(c) });
    stream.onRequestHeaders(new HeaderMap({ ":path": "/orig", ":method": "GET" }), true);
    expect(statuses(filter, 7)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(text(returned(filter, 256))).toBe("/orig");
    expect(text(returned(filter, 264))).toBe("/rewritten");
    expect(text(returned(filter, 272))).toBe("/rewritten");
    expect([...returned(filter, 280)]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(clusters).toEqual(["payments"]);
    expect(stream.upstreamCluster).toBe("payments");
    expect(text(returned(filter, 288))).toBe("payments");
    stream.attempt = 2; // the proxy retried
    stream.onResponseHeaders(new HeaderMap({ ":status": "200" }), true);
    expect([...returned(filter, 296)]).toEqual([2, 0, 0, 0, 0, 0, 0, 0]);
  });
});
