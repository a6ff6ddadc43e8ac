/**
 * Hostile filters: whatever a filter does, the host stays up and the stream gets what the
 * filter's failure policy says (DESIGN.md "Sandbox"; issue: "The host stays up and answers
 * as section 3 says").
 */

import { describe, expect, it } from "vitest";
import { createHost, FilterLoadError, FilterTrapError, HeaderMap, Status } from "../../proxy/abi/index.ts";
import {
  BAD_POINTER_CALLS,
  badPointerCalls,
  hugeBody,
  hugeHeaderValue,
  infiniteLoopIn,
  infiniteRecursionIn,
  memoryBomb,
  mistypedImport,
  noAbiMarker,
  notWasm,
  procExitIn,
  unknownImport,
  unreachableIn,
} from "../fixtures/hostile.ts";
import { buildGuestModule, GUEST_LAYOUT } from "../fixtures/proxy-wasm-wat.ts";
import { driveStream } from "./drive.ts";

const quiet = () => createHost({ logger: () => {} });
const FUEL = 200_000;

const STREAM_CALLBACKS = [
  "proxy_on_request_headers",
  "proxy_on_request_body",
  "proxy_on_request_trailers",
  "proxy_on_response_headers",
  "proxy_on_response_body",
  "proxy_on_response_trailers",
] as const;
const TEARDOWN_CALLBACKS = ["proxy_on_log", "proxy_on_done", "proxy_on_delete"] as const;

/** A filter that works, to show the host still serves after each hostile one. */
async function healthyStillWorks(host = quiet()) {
  const filter = await host.loadFilter({ name: "healthy", module: buildGuestModule({}), limits: { fuel: FUEL } });
  const result = driveStream(filter);
  expect(result.replies).toEqual([]);
  expect(filter.state).toBe("ready");
}

describe.each([
  ["an infinite loop", infiniteLoopIn, "fuel", /CPU budget exhausted/],
  ["unbounded recursion", infiniteRecursionIn, "trap", /call stack|trapped/],
  ["unreachable", unreachableIn, "trap", /unreachable/],
])("%s in a callback", (_what, make, kind, message) => {
  for (const callback of STREAM_CALLBACKS) {
    it(`in ${callback} fails that stream with one 503 and leaves the host up`, async () => {
      const host = quiet();
      const filter = await host.loadFilter({ name: "hostile", module: make(callback), limits: { fuel: FUEL } });
      const result = driveStream(filter);
      expect(result.replies).toHaveLength(1);
      expect(result.replies[0]).toMatchObject({ status: 503, details: "wasm_fail_stream" });
      expect(filter.lastError).toBeInstanceOf(FilterTrapError);
      expect(filter.lastError?.callback).toBe(callback);
      expect(filter.lastError?.kind).toBe(kind);
      expect(filter.lastError?.message).toMatch(message);
      expect(filter.lastError?.message).toContain(`filter hostile: ${callback}`);
      // Later streams on the failed VM fail closed without entering the guest.
      expect(driveStream(filter).replies[0]?.status).toBe(503);
      await healthyStillWorks(host);
    });
  }
  for (const callback of TEARDOWN_CALLBACKS) {
    it(`in ${callback} fails the VM after the response; the next stream gets 503`, async () => {
      const host = quiet();
      const filter = await host.loadFilter({ name: "hostile", module: make(callback), limits: { fuel: FUEL } });
      expect(driveStream(filter).replies).toEqual([]);
      expect(filter.state).toBe("failed");
      expect(filter.lastError?.callback).toBe(callback);
      expect(driveStream(filter).replies[0]?.status).toBe(503);
    });
  }
  // The root context is created at load, so these fail the load itself.
  for (const callback of ["proxy_on_context_create", "proxy_on_vm_start", "proxy_on_configure"] as const) {
    it(`in ${callback} is a load error naming the callback`, async () => {
      const load = quiet().loadFilter({ name: "hostile", module: make(callback), limits: { fuel: FUEL } });
      await expect(load).rejects.toBeInstanceOf(FilterLoadError);
      await expect(load).rejects.toThrow(new RegExp(`${callback}.*`));
    });
  }
  it("in proxy_on_tick fails the VM; streams then get 503", async () => {
    const host = quiet();
    const filter = await host.loadFilter({ name: "hostile", module: make("proxy_on_tick"), limits: { fuel: FUEL } });
    filter.tick();
    expect(filter.lastError?.callback).toBe("proxy_on_tick");
    expect(driveStream(filter).replies[0]?.status).toBe(503);
  });
});

describe("CPU budget", () => {
  it("stops an infinite loop even unmetered callbacks would never leave, within the budget", async () => {
    const filter = await quiet().loadFilter({ name: "spin", module: infiniteLoopIn("proxy_on_request_headers"), limits: { fuel: 1_000 } });
    driveStream(filter);
    expect(filter.lastError?.message).toBe("filter spin: proxy_on_request_headers: CPU budget exhausted: used its 1000 units");
  });
});

describe("memory cap", () => {
  it("stops a memory bomb at the filter's page cap and reports it", async () => {
    const host = quiet();
    const filter = await host.loadFilter({
      name: "bomb",
      module: memoryBomb("proxy_on_request_headers"),
      limits: { memoryPages: 64, fuel: false },
    });
    const result = driveStream(filter);
    expect(result.replies[0]?.status).toBe(503);
    expect(filter.lastError?.kind).toBe("memory");
    expect(filter.lastError?.message).toContain("memory at its cap of 64 pages");
    expect(filter.vm.exports.memory.buffer.byteLength).toBe(64 * 65536);
    await healthyStillWorks(host);
  });

  it("refuses a module whose initial memory is above the cap", async () => {
    const wasm = buildGuestModule({ memoryPages: { initial: 100 } });
    await expect(quiet().loadFilter({ name: "big", module: wasm, limits: { memoryPages: 10 } })).rejects.toThrow(
      /memory starts at 100 pages, above the filter's cap of 10 pages/,
    );
  });
});

describe("proc_exit", () => {
  it("ends only that VM, with the exit code in the error", async () => {
    const host = quiet();
    const filter = await host.loadFilter({ name: "quitter", module: procExitIn("proxy_on_request_headers", 3) });
    expect(driveStream(filter).replies[0]?.status).toBe(503);
    expect(filter.lastError?.kind).toBe("proc_exit");
    expect(filter.lastError?.exitCode).toBe(3);
    await healthyStillWorks(host);
  });
});

describe("bad pointers into every host call", () => {
  it("answers INVALID_MEMORY_ACCESS for each and never allocates for a huge length", async () => {
    const filter = await quiet().loadFilter({ name: "pointers", module: badPointerCalls() });
    const before = filter.vm.exports.memory.buffer.byteLength;
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), true);
    expect(filter.state).toBe("ready");
    const view = new DataView(filter.vm.exports.memory.buffer);
    const statuses = Object.fromEntries(BAD_POINTER_CALLS.map((name, i) => [name, view.getInt32(GUEST_LAYOUT.statusBase + 4 * i, true)]));
    const expected = Object.fromEntries(BAD_POINTER_CALLS.map((name) => [name, Status.INVALID_MEMORY_ACCESS]));
    expect(statuses).toEqual(expected);
    expect(filter.vm.exports.memory.buffer.byteLength).toBe(before);
    stream.complete();
  });
});

describe("load-time validation", () => {
  it("rejects bytes that are not Wasm", async () => {
    await expect(quiet().loadFilter({ name: "junk", module: notWasm() })).rejects.toThrow(
      /Cannot load filter "junk":\n {2}- not a WebAssembly module/,
    );
  });
  it("rejects a module without an ABI marker", async () => {
    await expect(quiet().loadFilter({ name: "plain", module: noAbiMarker() })).rejects.toThrow(/no proxy-wasm ABI marker/);
  });
  it("names a mistyped import with both signatures", async () => {
    await expect(quiet().loadFilter({ name: "typo", module: mistypedImport() })).rejects.toThrow(
      /import "env"."proxy_log": expected type \(i32,i32,i32\) -> \(i32\), the module declares \(i32,i32\) -> \(i32\)/,
    );
  });
  it("names an unknown import", async () => {
    await expect(quiet().loadFilter({ name: "unknown", module: unknownImport() })).rejects.toThrow(
      /import "env"."proxy_does_not_exist": unknown function/,
    );
  });
  it("lists every problem in one error", async () => {
    const wasm = buildGuestModule({
      abi: null,
      imports: [`(import "env" "proxy_log" (func $bad_log (param i32) (result i32)))`, `(import "nowhere" "thing" (func $thing))`],
      extra: `(func $use (drop (call $bad_log (i32.const 0))) (call $thing))`,
      omit: ["malloc"],
    });
    const error = (await quiet()
      .loadFilter({ name: "many", module: wasm })
      .catch((e: unknown) => e)) as FilterLoadError;
    expect(error).toBeInstanceOf(FilterLoadError);
    expect(error.problems).toHaveLength(4);
    expect(error.problems.join("\n")).toMatch(/ABI marker[\s\S]*proxy_log[\s\S]*"nowhere"."thing": unknown module[\s\S]*no allocator/);
  });
});

describe("huge values", () => {
  it("takes a 4 MiB header value into the map without trouble", async () => {
    const filter = await quiet().loadFilter({ name: "huge", module: hugeHeaderValue(4 * 1024 * 1024) });
    const result = driveStream(filter);
    expect(result.replies).toEqual([]);
    expect(result.request.get("x-huge")?.length).toBe(4 * 1024 * 1024);
  });
  it("replaces a body with 4 MiB from the filter", async () => {
    const filter = await quiet().loadFilter({ name: "huge-body", module: hugeBody(4 * 1024 * 1024) });
    const stream = filter.createStream();
    stream.onRequestHeaders(new HeaderMap({ ":path": "/" }), false);
    stream.onRequestBody(new Uint8Array(10), true);
    expect(stream.takeRequestBody().byteLength).toBe(4 * 1024 * 1024);
    stream.complete();
  });
});
