/**
 * Pins timers and logging as the AssemblyScript SDKs use them, through the real host with a
 * manual clock: the `tick` filter sets a 100 ms tick period in `onConfigure`; each `onTick`
 * increments shared-data key `ticks` and logs `tick <N>` at info — through `proxy_log` for
 * `@solo-io/proxy-runtime@0.1.8`, as `[INFO]: tick <N>` on WASI stdout for
 * `@gcoredev/proxy-wasm-sdk-as@1.2.3`. Also pins plugin teardown: solo's `proxy_on_done(root)`
 * works; gcore's aborts (an SDK bug), which the host contains.
 *
 * Relies on: `node_modules/@solo-io/proxy-runtime/assembly/runtime.ts` (`set_tick_period_milliseconds`,
 * `log` → `proxy_log`, `RootContext.onTick`), `node_modules/@gcoredev/proxy-wasm-sdk-as/assembly/runtime.ts`
 * (`log` → `wasiLog`, "Temporary fix for proxy_log not being implemented in fastedge") and
 * `assembly/fastedge/utils/runtime.ts` (`process.stdout.write(prefix + ": " + msg + "\n")`),
 * `test/conformance/filters/README.md` ("tick"), shared/reference/proxy-wasm-abi.md §1.7 "Timers"
 * (one period per root, on_tick with the root id), §5.5 (a failed VM's callbacks are skipped).
 */

import { beforeAll, describe, expect, it } from "vitest";
import { createHost, FilterTrapError } from "../../proxy/abi/index.ts";
import { loadFilter, manualTimers, PREPARE_TIMEOUT_MS, prepare, recordLogs, SDK_CASES, text } from "./support.ts";

describe.each(SDK_CASES)("tick on $sdk ($package)", ({ sdk, infoLine }) => {
  let wasm: Uint8Array;
  beforeAll(async () => {
    wasm = (await prepare(sdk, ["tick"])).tick;
  }, PREPARE_TIMEOUT_MS);

  async function setup(vmId = "vm-t") {
    const clock = manualTimers();
    const logs = recordLogs();
    const host = createHost({ logger: logs.logger, timers: clock.timers });
    const filter = await loadFilter(host, sdk, "tick", wasm, { vmId });
    const ticks = () => text(host.state.sharedData.get(vmId, "ticks")?.value);
    const tickLines = () => logs.entries.filter((e) => e.message.includes("tick "));
    return { clock, logs, host, filter, ticks, tickLines };
  }

  it("onConfigure sets one 100 ms tick period on the host clock", async () => {
    const { clock, filter, ticks } = await setup();
    expect(clock.intervals.map((t) => [t.ms, t.cleared])).toEqual([[100, false]]);
    expect(filter.vm.root.tickPeriod).toBe(100);
    expect(ticks()).toBeUndefined(); // no tick before the clock fires
  });

  it("each tick increments shared `ticks` and logs `tick N` at info", async () => {
    const { clock, filter, ticks, tickLines } = await setup();
    const interval = clock.intervals[0];
    interval.fn();
    expect(ticks()).toBe("1");
    interval.fn();
    expect(ticks()).toBe("2");
    expect(tickLines()).toEqual([
      { level: "info", filter: `${sdk}/tick`, message: infoLine("tick 1") },
      { level: "info", filter: `${sdk}/tick`, message: infoLine("tick 2") },
    ]);
    // filter.tick() delivers the same callback on demand (the testing kit's manual clock).
    filter.tick();
    expect(ticks()).toBe("3");
    expect(tickLines().at(-1)).toEqual({ level: "info", filter: `${sdk}/tick`, message: infoLine("tick 3") });
    expect(filter.state).toBe("ready");
    expect(filter.lastError).toBeUndefined();
  });

  it("two tick filters with the same vm_id count into one `ticks` key", async () => {
    const { clock, host, ticks } = await setup("shared");
    await loadFilter(host, sdk, "tick", wasm, { vmId: "shared", name: `${sdk}/tick-2` });
    expect(clock.intervals.map((t) => t.ms)).toEqual([100, 100]);
    clock.intervals[0].fn();
    clock.intervals[1].fn();
    clock.intervals[0].fn();
    expect(ticks()).toBe("3");
  });

  it("honours the host log level: below info, the tick lines are dropped; the ticks still count", async () => {
    const clock = manualTimers();
    const logs = recordLogs();
    const host = createHost({ logger: logs.logger, timers: clock.timers, logLevel: "warn" });
    await loadFilter(host, sdk, "tick", wasm, { vmId: "quiet" });
    clock.intervals[0].fn();
    expect(text(host.state.sharedData.get("quiet", "ticks")?.value)).toBe("1");
    expect(logs.entries.filter((e) => e.message.includes("tick 1"))).toEqual([]);
  });
});

describe("closing a tick filter", () => {
  it(
    "solo: proxy_on_done(root) succeeds, the interval is cleared, later ticks do nothing",
    async () => {
      const wasm = (await prepare("solo", ["tick"])).tick;
      const clock = manualTimers();
      const logs = recordLogs();
      const host = createHost({ logger: logs.logger, timers: clock.timers });
      const filter = await loadFilter(host, "solo", "tick", wasm, { vmId: "close" });
      clock.intervals[0].fn();
      filter.close();
      expect(filter.state).toBe("closed");
      expect(filter.lastError).toBeUndefined();
      expect(clock.intervals[0].cleared).toBe(true);
      filter.tick();
      expect(text(host.state.sharedData.get("close", "ticks")?.value)).toBe("1");
      expect(logs.entries.filter((e) => e.level === "error" || e.level === "critical")).toEqual([]);
    },
    PREPARE_TIMEOUT_MS,
  );

  it(
    "gcore: the SDK's proxy_on_done(root) aborts (SDK bug); the host contains it and still stops the timer",
    async () => {
      const wasm = (await prepare("gcore", ["tick"])).tick;
      const clock = manualTimers();
      const logs = recordLogs();
      const host = createHost({ logger: logs.logger, timers: clock.timers });
      const filter = await loadFilter(host, "gcore", "tick", wasm, { vmId: "close" });
      expect(() => filter.close()).not.toThrow();
      expect(filter.state).toBe("closed");
      expect(filter.lastError).toBeInstanceOf(FilterTrapError);
      expect(filter.lastError).toMatchObject({ callback: "proxy_on_done", kind: "proc_exit", exitCode: 255 });
      expect(clock.intervals[0].cleared).toBe(true);
      // The abort message goes to WASI stderr, which the host logs at error.
      expect(logs.entries).toContainEqual(expect.objectContaining({ level: "error", message: expect.stringMatching(/^abort: /) }));
    },
    PREPARE_TIMEOUT_MS,
  );
});
