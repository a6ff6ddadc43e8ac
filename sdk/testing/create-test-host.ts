/**
 * `createTestHost`: weir's real proxy-wasm host (`proxy/abi`) with in-memory I/O around one
 * filter — a log recorder, a manual clock, a recording http-call upstream and recording
 * foreign functions. Nothing here re-implements the ABI: every callback and host call runs
 * through the same code as in the proxy.
 */

import { onTestFinished } from "vitest";
import {
  createHost,
  type FailurePolicy,
  type Filter,
  type FilterLimits,
  type FilterOptions,
  type ForeignFunction,
  type HostCrypto,
  type LogLevelName,
  type PropertyValue,
} from "../../proxy/abi/index.ts";
import { createWorkerMeter } from "../../proxy/runtime/node/meter-worker.ts";
import { ManualClock } from "./clock.ts";
import { recordForeignFunctions } from "./foreign-functions.ts";
import { TestUpstream } from "./http-calls.ts";
import { contextOf } from "./http-context.ts";
import { type FilterSource, loadFilterBytes } from "./load.ts";
import { TestLogs } from "./logs.ts";
import { MisuseLog } from "./strict.ts";
import { TestHost } from "./test-host.ts";

/**
 * Options for {@linkcode createTestHost}: where the filter comes from (one of `wasm`,
 * `wasmPath`, `source`) and how it runs.
 *
 * @example
 * ```ts
 * const options: TestHostOptions = { source: "assembly/index.ts", config: { header: "x-a" }, strict: true };
 * ```
 */
export interface TestHostOptions extends FilterSource {
  /** Names the filter in logs and errors (default: the file's name, or "filter"). */
  name?: string;
  /** `plugin_root_id` (default ""); solo-io's SDK finds its root context by it. */
  rootId?: string;
  /** `plugin_vm_id` (default ""); scopes shared data and queues. */
  vmId?: string;
  /** Plugin configuration, read in `proxy_on_configure`; an object is sent as JSON. */
  config?: string | Uint8Array | object;
  /** VM configuration, read in `proxy_on_vm_start`; an object is sent as JSON. */
  vmConfig?: string | Uint8Array | object;
  /** Properties the filter can read, by dotted path (e.g. `{ "xds.listener_direction": 1 }`). */
  properties?: Record<string, PropertyValue>;
  /** Memory and CPU limits (default: the host's, 64 MiB and metered). */
  limits?: FilterLimits;
  /** What a stream gets when the filter's VM fails (default "fail-closed"). */
  failurePolicy?: FailurePolicy;
  /** Fail the test on ABI misuse (see `AbiMisuseError`); default false. */
  strict?: boolean;
  /** Lowest level recorded and reported to the filter (default "trace": everything). */
  logLevel?: LogLevelName;
  /** Clusters `proxy_http_call` may reach (default: any name). Others get BAD_ARGUMENT, as on the proxy. */
  clusters?: string[];
  /** Foreign functions the filter may call, by name; every call is recorded in `host.foreignCalls`. */
  foreignFunctions?: Record<string, ForeignFunction>;
  /** The manifest's capabilities (default: everything). */
  capabilities?: FilterOptions["capabilities"];
  /** Where the manual wall clock starts (default 2025-01-01T00:00:00Z). */
  startTime?: number | Date;
  /** Stream teardown order (default Envoy's log → done → delete). */
  teardownOrder?: "envoy" | "spec";
  /** Signature verification for `weir.verify_signature`. */
  crypto?: HostCrypto;
}

const asConfig = (value: string | Uint8Array | object | undefined): string | Uint8Array | undefined =>
  value === undefined || typeof value === "string" || value instanceof Uint8Array ? value : JSON.stringify(value);

/**
 * Loads a filter into a fresh host and starts it (`on_vm_start`, `on_configure`). Throws the
 * host's `FilterLoadError` (with the filter's log) when the filter does not start. Called in
 * a test, the host is closed when the test finishes, and strict-mode misuse nobody looked at
 * fails the test.
 *
 * @example
 * ```ts
 * const host = await createTestHost({ wasmPath: "build/add-header.wasm", config: "x-a=1" });
 * const http = host.http();
 * expect(http.requestHeaders({ ":path": "/" }, { endOfStream: true })).toContinue();
 * expect(http.request.headers).toHaveHeader("x-a", "1");
 * ```
 */
/** One metering worker for every test host of the process (it exits when idle). */
const meter = createWorkerMeter();

export async function createTestHost(options: TestHostOptions): Promise<TestHost> {
  const { bytes, name: defaultName } = await loadFilterBytes(options);
  const name = options.name ?? defaultName;
  const clock = new ManualClock(options.startTime);
  const logs = new TestLogs();
  const misuse = new MisuseLog(options.strict === true, () => name);
  const settle = async () => {
    // Answers and queue notifications reach the filter through promise callbacks and microtasks.
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  let filter: Filter | undefined;
  const upstream = new TestUpstream({
    clusters: options.clusters,
    clock,
    settle,
    // Called while the filter is inside proxy_http_call: its newest token and effective context are the call's.
    origin: () => {
      const vm = (filter as Filter).vm;
      return { token: Math.max(...vm.pendingCallTokens), http: contextOf(vm.effective) };
    },
  });
  const host = createHost({
    logger: (entry) => logs.record(entry),
    logLevel: options.logLevel ?? "trace",
    timers: clock.timers(),
    upstream,
    foreignFunctions: options.foreignFunctions,
    crypto: options.crypto,
    teardownOrder: options.teardownOrder,
    meter,
    onAbiMisuse: (_filter, message) => misuse.record(message),
  });
  const foreign = recordForeignFunctions(host.state.foreignFunctions, contextOf);
  filter = await host.loadFilter({
    name,
    module: bytes,
    rootId: options.rootId,
    vmId: options.vmId,
    config: asConfig(options.config),
    vmConfig: asConfig(options.vmConfig),
    properties: options.properties,
    limits: options.limits,
    failurePolicy: options.failurePolicy,
    capabilities: options.capabilities,
  });
  const testHost = new TestHost({ filter, state: host.state, clock, logs, misuse, upstream, foreign, settle });
  try {
    onTestFinished(() => testHost.close());
  } catch {
    // Not inside a test (e.g. in beforeAll): whoever created the host closes it.
  }
  return testHost;
}
