import { describe, expect, it } from "vitest";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { createHost } from "./host.ts";
import { meterModule } from "./meter.ts";

const withStart = (body: string) =>
  buildGuestModule({ extra: `(global $n (mut i32) (i32.const 0)) (func $init (local $i i32) ${body}) (start $init)` });

describe("fuel metering", () => {
  it("regression: a start section runs under the budget (the counter used to start at 0 and trap)", async () => {
    const wasm = withStart(
      "(loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 100))))",
    );
    const filter = await createHost({ logger: () => {} }).loadFilter({ name: "starter", module: wasm, limits: { fuel: 10_000 } });
    expect(filter.state).toBe("ready");
  });

  it("stops an infinite loop in the start section: a load error naming the budget", async () => {
    const load = createHost({ logger: () => {} }).loadFilter({
      name: "spin",
      module: withStart("(loop $l (br $l))"),
      limits: { fuel: 10_000 },
    });
    await expect(load).rejects.toThrow(/filter spin: start: CPU budget exhausted/);
  });

  it("caches by digest: the same bytes are rewritten once", async () => {
    const wasm = buildGuestModule({ data: ['(data (i32.const 4096) "cache-test")'] });
    const writes: string[] = [];
    const cache = { get: async () => undefined, set: async (key: string) => void writes.push(key) };
    const first = await meterModule(wasm, cache);
    const second = await meterModule(wasm, cache);
    expect(second).toBe(first);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^metered-v4-[0-9a-f]{64}$/);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(first as BufferSource))).toContainEqual({
      module: "weir_meter",
      name: "fuel",
      kind: "global",
    });
  });
});
