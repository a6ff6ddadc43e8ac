/**
 * Pins what the AssemblyScript SDKs' "Hello, World" filter (add a header from the plugin
 * configuration) does through the real host, for `@solo-io/proxy-runtime@0.1.8` and
 * `@gcoredev/proxy-wasm-sdk-as@1.2.3`: the ABI marker each exports, the header on the request and
 * the response, the same metered and unmetered, clean failures under a tiny CPU budget, and how
 * each SDK treats `plugin_root_id` and an empty configuration.
 *
 * Relies on: `node_modules/@solo-io/proxy-runtime/README.md` ("Hello, World"; `root_id` in the
 * Envoy config) and `assembly/runtime.ts` (`ensureRootContext` throws "Missing root context
 * factory for root id: …", `abort_proc_exit` → `proc_exit(255)`, `RootContext.onConfigure`);
 * `node_modules/@gcoredev/proxy-wasm-sdk-as/README.md` ("Hello, World") and `assembly/runtime.ts`
 * (`registerRootContext`: the name is "accepted for API compatibility … but ignored",
 * `RootContext.onConfigure` skips a size-0 configuration); `test/conformance/filters/README.md`;
 * shared/reference/proxy-wasm-abi.md §1.1 (ABI markers), §3.3 item 1 (root id), §5.5 (failures).
 */

import { beforeAll, describe, expect, it } from "vitest";
import { createHost, FilterLoadError, FilterTrapError, type Host } from "../../proxy/abi/index.ts";
import { driveStream } from "../sandbox/drive.ts";
import { filterWasm, loadFilter, PREPARE_TIMEOUT_MS, prepare, SDK_CASES } from "./support.ts";

const quiet = (): Host => createHost({ logger: () => {} });

describe.each(SDK_CASES)("add-header on $sdk ($package)", ({ sdk, abi }) => {
  let wasm: Uint8Array;
  beforeAll(async () => {
    wasm = (await prepare(sdk, ["add-header"]))["add-header"];
  }, PREPARE_TIMEOUT_MS);

  /** Loads add-header, drives one full stream and checks the configured header went both ways. */
  async function servesWithHeader(host: Host, limits?: { fuel?: number | false }) {
    const filter = await loadFilter(host, sdk, "add-header", wasm, { limits });
    const result = driveStream(filter);
    expect(result.replies).toEqual([]);
    expect(result.resets).toEqual([]);
    expect(result.request.getAll("x-weir-added")).toEqual(["yes"]);
    expect(result.response.getAll("x-weir-added")).toEqual(["yes"]);
    expect(filter.state).toBe("ready");
    return filter;
  }

  it(`is detected as ABI ${abi} from its marker export`, async () => {
    const filter = await loadFilter(quiet(), sdk, "add-header", wasm);
    expect(filter.abi).toBe(abi);
  });

  it("adds the configured header to the request and to the response (default limits: metered)", async () => {
    await servesWithHeader(quiet());
  });

  it("does the same unmetered (limits.fuel false)", async () => {
    await servesWithHeader(quiet(), { fuel: false });
  });

  it("keeps the client's own headers and adds the header once per stream", async () => {
    const filter = await loadFilter(quiet(), sdk, "add-header", wasm);
    for (let i = 0; i < 3; i++) {
      const result = driveStream(filter, { requestHeaders: { "x-client": String(i) } });
      expect(result.request.get("x-client")).toBe(String(i));
      expect(result.request.getAll("x-weir-added")).toEqual(["yes"]);
      expect(result.response.getAll("x-weir-added")).toEqual(["yes"]);
    }
    expect(filter.vm.contexts.size).toBe(1); // only the root context is left
  });

  it("with a budget of 50 fuel units fails to load cleanly, and the host keeps serving", async () => {
    const host = quiet();
    const load = loadFilter(host, sdk, "add-header", wasm, { limits: { fuel: 50 } });
    await expect(load).rejects.toBeInstanceOf(FilterLoadError);
    const error = (await load.catch((e: unknown) => e)) as FilterLoadError;
    expect(error.problems).toHaveLength(1);
    // solo runs its start section inside instantiation ("start"); gcore's `_start` is an export.
    expect(error.problems[0]).toMatch(/: (start|_start): CPU budget exhausted: used its 50 units$/);
    expect(error.cause).toBeInstanceOf(FilterTrapError);
    expect((error.cause as FilterTrapError).kind).toBe("fuel");
    await servesWithHeader(host);
  });

  it("under any budget ends in a load error, a 503 wasm_fail_stream or the header — never a crash", async () => {
    const host = quiet();
    const outcomes: string[] = [];
    for (const fuel of [50, 200, 800, 1_600, 3_200, 12_800, 100_000]) {
      let filter: Awaited<ReturnType<typeof loadFilter>>;
      try {
        filter = await loadFilter(host, sdk, "add-header", wasm, { limits: { fuel } });
      } catch (err) {
        expect(err).toBeInstanceOf(FilterLoadError);
        expect((err as FilterLoadError).problems[0]).toContain(`CPU budget exhausted: used its ${fuel} units`);
        outcomes.push("load error");
        continue;
      }
      const result = driveStream(filter);
      if (result.replies.length > 0) {
        expect(result.replies).toHaveLength(1);
        expect(result.replies[0]).toMatchObject({ status: 503, details: "wasm_fail_stream", grpcStatus: 14 });
        expect(filter.state).toBe("failed");
        expect(filter.lastError?.kind).toBe("fuel");
        outcomes.push("503");
      } else {
        expect(result.request.get("x-weir-added")).toBe("yes");
        expect(result.response.get("x-weir-added")).toBe("yes");
        outcomes.push("served");
      }
    }
    expect(outcomes[0]).toBe("load error");
    expect(outcomes.at(-1)).toBe("served");
    await servesWithHeader(host);
  });
});

describe("plugin_root_id (filters are registered as their folder name)", () => {
  let solo: Uint8Array;
  let gcore: Uint8Array;
  beforeAll(async () => {
    [solo, gcore] = await Promise.all([filterWasm("solo", "add-header"), filterWasm("gcore", "add-header")]);
  }, PREPARE_TIMEOUT_MS);

  for (const rootId of ["nope", ""]) {
    it(`solo: root id ${JSON.stringify(rootId)} is a FilterLoadError carrying the SDK's "Missing root context factory" line`, async () => {
      const load = loadFilter(quiet(), "solo", "add-header", solo, { rootId, limits: { fuel: false } });
      await expect(load).rejects.toBeInstanceOf(FilterLoadError);
      const error = (await load.catch((e: unknown) => e)) as FilterLoadError;
      expect(error.logs).toContainEqual(expect.stringContaining(`Missing root context factory for root id: ${rootId}`));
      expect(error.problems).toEqual([expect.stringMatching(/proxy_on_context_create: proc_exit: exit code 255/)]);
      expect(error.cause).toBeInstanceOf(FilterTrapError);
      expect((error.cause as FilterTrapError).exitCode).toBe(255);
    });
  }

  it("gcore ignores the root id: any value loads and serves", async () => {
    for (const rootId of ["nope", "", "add-header"]) {
      const filter = await loadFilter(quiet(), "gcore", "add-header", gcore, { rootId, limits: { fuel: false } });
      expect(driveStream(filter).request.get("x-weir-added")).toBe("yes");
    }
  });
});

describe("an empty plugin configuration", () => {
  it("gcore: the SDK's onConfigure skips it and nothing is added", async () => {
    const wasm = await filterWasm("gcore", "add-header");
    for (const config of ["", undefined, "no-equals-sign"]) {
      const filter = await loadFilter(quiet(), "gcore", "add-header", wasm, { config, limits: { fuel: false } });
      const result = driveStream(filter);
      expect(result.replies).toEqual([]);
      expect(result.request.has("x-weir-added")).toBe(false);
      expect(result.response.has("x-weir-added")).toBe(false);
    }
  });

  it("solo: 0.1.8's onConfigure bug (size passed as the size pointer) is a clean load error in proxy_on_configure", async () => {
    // The host answers the empty read with OK, ptr 0 / size 0 (reference §1.7 "Bodies / buffers");
    // the SDK wrote the size to address 0 and then dereferences its stale buffer reference.
    const wasm = await filterWasm("solo", "add-header");
    const load = loadFilter(quiet(), "solo", "add-header", wasm, { config: "", limits: { fuel: false } });
    await expect(load).rejects.toBeInstanceOf(FilterLoadError);
    const error = (await load.catch((e: unknown) => e)) as FilterLoadError;
    expect(error.problems).toEqual([expect.stringMatching(/proxy_on_configure: trapped/)]);
    expect(error.logs).toContainEqual(expect.stringContaining("onConfigure(configuration_size: 0)"));
    // A non-empty configuration without '=' loads and adds nothing.
    const filter = await loadFilter(quiet(), "solo", "add-header", wasm, { config: "no-equals-sign", limits: { fuel: false } });
    expect(driveStream(filter).request.has("x-weir-added")).toBe(false);
  });
});
