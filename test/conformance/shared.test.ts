/**
 * Pins shared data as the AssemblyScript SDKs use it, through the real host: the `counter`
 * filter (`@solo-io/proxy-runtime@0.1.8` via its declared `proxy_get/set_shared_data` imports,
 * `@gcoredev/proxy-wasm-sdk-as@1.2.3` via `get_shared_data`/`set_shared_data`) increments key
 * `requests` with get + set-with-CAS and retries on CAS_MISMATCH (up to 10 attempts). Streams,
 * filters and even the two SDKs share the counter by vm_id; a write that lands between a
 * filter's get and set makes it retry; one that always lands makes it give up.
 *
 * Relies on: `node_modules/@solo-io/proxy-runtime/assembly/imports.ts` (`proxy_get_shared_data`,
 * `proxy_set_shared_data`), `node_modules/@gcoredev/proxy-wasm-sdk-as/assembly/runtime.ts`
 * (`get_shared_data` → `{ value, result, cas }`, `set_shared_data(key, value, cas)`),
 * `test/conformance/filters/README.md` ("counter"), shared/reference/proxy-wasm-abi.md §1.7
 * "Shared data (KV with CAS)" (vm_id scope, CAS_MISMATCH, a new cas per write).
 */

import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type Filter, HeadersStatus, type Host, SharedData } from "../../proxy/abi/index.ts";
import type { SharedDataEntry } from "../../proxy/abi/shared-data.ts";
import { clientRequest, filterWasm, loadFilter, PREPARE_TIMEOUT_MS, prepare, recordLogs, SDK_CASES, text } from "./support.ts";

/** One request through `filter`: its status and the `x-request-count` it got. */
function request(filter: Filter): { status: HeadersStatus; count: string | undefined } {
  const stream = filter.createStream();
  const headers = clientRequest();
  const status = stream.onRequestHeaders(headers, true);
  stream.complete();
  return { status, count: headers.get("x-request-count") };
}

const stored = (host: Host, vmId: string) => text(host.state.sharedData.get(vmId, "requests")?.value);

/**
 * Shared data with another writer: `interleave` runs right after every read the host serves to
 * a filter, i.e. between that filter's get and its set-with-CAS, as a write from another worker
 * would. The filter receives what the store held before the interleaved write.
 */
class RacingSharedData extends SharedData {
  reads = 0;
  interleave: ((vmId: string, key: string) => void) | undefined;
  override get(vmId: string, key: string): SharedDataEntry | undefined {
    const entry = super.get(vmId, key);
    if (this.interleave === undefined) return entry;
    this.reads++;
    const before = entry && { value: entry.value, cas: entry.cas };
    this.interleave(vmId, key);
    return before;
  }
}

describe.each(SDK_CASES)("counter on $sdk ($package)", ({ sdk }) => {
  let wasm: Uint8Array;
  beforeAll(async () => {
    wasm = (await prepare(sdk, ["counter"])).counter;
  }, PREPARE_TIMEOUT_MS);

  const quiet = () => createHost({ logger: () => {} });

  it("counts streams of one filter: 1, then 2; the store holds decimal ASCII and a new cas per write", async () => {
    const host = quiet();
    const filter = await loadFilter(host, sdk, "counter", wasm, { vmId: "vm-a" });
    expect(host.state.sharedData.get("vm-a", "requests")).toBeUndefined();
    expect(request(filter)).toEqual({ status: HeadersStatus.CONTINUE, count: "1" });
    const firstCas = host.state.sharedData.get("vm-a", "requests")?.cas;
    expect(request(filter)).toEqual({ status: HeadersStatus.CONTINUE, count: "2" });
    const secondCas = host.state.sharedData.get("vm-a", "requests")?.cas;
    expect(stored(host, "vm-a")).toBe("2");
    expect(firstCas).toBeGreaterThan(0);
    expect(secondCas).toBeGreaterThan(0);
    expect(secondCas).not.toBe(firstCas);
    expect(host.state.sharedData.keys("vm-a")).toEqual(["requests"]);
  });

  it("is shared by filters with the same vm_id in one host, and separate for another vm_id", async () => {
    const host = quiet();
    const first = await loadFilter(host, sdk, "counter", wasm, { vmId: "vm-a" });
    request(first);
    request(first);
    const second = await loadFilter(host, sdk, "counter", wasm, { vmId: "vm-a", name: `${sdk}/counter-2` });
    expect(request(second).count).toBe("3");
    expect(request(first).count).toBe("4");
    const other = await loadFilter(host, sdk, "counter", wasm, { vmId: "vm-b" });
    expect(request(other).count).toBe("1");
    expect(stored(host, "vm-a")).toBe("4");
    expect(stored(host, "vm-b")).toBe("1");
    // Another host is another process: nothing is shared.
    expect(request(await loadFilter(quiet(), sdk, "counter", wasm, { vmId: "vm-a" })).count).toBe("1");
  });

  it("continues from a value another writer stored", async () => {
    const host = quiet();
    host.state.sharedData.set("vm-a", "requests", new TextEncoder().encode("41"), 0);
    const filter = await loadFilter(host, sdk, "counter", wasm, { vmId: "vm-a" });
    expect(request(filter).count).toBe("42");
  });

  it("a write between its get and its set: CAS_MISMATCH, the SDK loop re-reads and stores on top", async () => {
    const host = quiet();
    const store = new RacingSharedData();
    host.state.sharedData = store;
    const filter = await loadFilter(host, sdk, "counter", wasm, { vmId: "vm-a" });
    expect(request(filter).count).toBe("1");
    let raced = false;
    store.interleave = (vmId, key) => {
      if (raced) return;
      raced = true;
      expect(store.set(vmId, key, new TextEncoder().encode("10"), 0)).toBe("ok");
    };
    store.reads = 0;
    expect(request(filter).count).toBe("11");
    expect(store.reads).toBe(2); // read "1" → set refused → read "10" → set "11"
    expect(stored(host, "vm-a")).toBe("11");
  });

  it("a writer that always wins: gives up after 10 attempts, adds no header and logs an error", async () => {
    const { logger, entries } = recordLogs();
    const host = createHost({ logger });
    const store = new RacingSharedData();
    host.state.sharedData = store;
    const filter = await loadFilter(host, sdk, "counter", wasm, { vmId: "vm-a" });
    // Seeded: a missing key is written with cas 0, which always succeeds.
    expect(request(filter).count).toBe("1");
    let n = 100;
    store.interleave = (vmId, key) => void store.set(vmId, key, new TextEncoder().encode(String(n++)), 0);
    expect(request(filter)).toEqual({ status: HeadersStatus.CONTINUE, count: undefined });
    expect(store.reads).toBe(10);
    expect(stored(host, "vm-a")).toBe("109");
    expect(entries.map((e) => e.message)).toContainEqual(expect.stringContaining("set_shared_data(requests): CAS mismatch 10 times"));
    expect(filter.state).toBe("ready");
  });
});

describe("counter across SDKs", () => {
  it(
    "solo and gcore filters with the same vm_id count into one key",
    async () => {
      const host = createHost({ logger: () => {} });
      const [soloWasm, gcoreWasm] = await Promise.all([filterWasm("solo", "counter"), filterWasm("gcore", "counter")]);
      const solo = await loadFilter(host, "solo", "counter", soloWasm, { vmId: "mixed", limits: { fuel: false } });
      const gcore = await loadFilter(host, "gcore", "counter", gcoreWasm, { vmId: "mixed", limits: { fuel: false } });
      expect([request(solo), request(gcore), request(solo), request(gcore)].map((r) => r.count)).toEqual(["1", "2", "3", "4"]);
      expect(stored(host, "mixed")).toBe("4");
    },
    PREPARE_TIMEOUT_MS,
  );
});
