/**
 * `createHost`: the proxy-wasm host for one process. It owns what filters share (shared data
 * and queues by vm_id, metrics) and loads filters: validate → cap memory → meter → compile →
 * start the VM → create the root context → `on_vm_start` → `on_configure`.
 */

import { LOG_LEVEL_NAMES, type LogLevelName } from "./enums.ts";
import { FilterLoadError } from "./errors.ts";
import { builtinForeignFunctions } from "./extensions.ts";
import { Filter, type ReloadBackoff } from "./filter.ts";
import type { HostState } from "./host-state.ts";
import { type MeterFunction, type ModuleCache, meterModule, sha256Hex } from "./meter.ts";
import { Metrics } from "./metrics.ts";
import type { PropertyValue } from "./properties.ts";
import { SharedData, type SharedDataLimits } from "./shared-data.ts";
import { SharedQueues } from "./shared-queues.ts";
import type { FailurePolicy, FilterLimits, ForeignFunction, HostCrypto, HttpCallUpstream, LogEntry, Logger, Timers } from "./types.ts";
import { encodeUtf8 } from "./utf8.ts";
import { validateFilterModule } from "./validate.ts";
import { capMemory } from "./wasm-binary.ts";

/** Default memory cap: 1024 pages = 64 MiB (cpp-host allows 1 GiB; a sidecar should be tighter). */
export const DEFAULT_MEMORY_PAGES = 1024;
/** Modules up to this size compile synchronously (a few ms); bigger ones off the main thread. */
const SYNC_COMPILE_LIMIT = 1024 * 1024;
/** Default fuel per callback. */
export const DEFAULT_FUEL = 50_000_000;

export interface HostOptions {
  logger?: Logger;
  /** Lowest level logged and reported by `proxy_get_log_level` (default "info"). */
  logLevel?: LogLevelName;
  timers?: Partial<Timers>;
  /** Where `proxy_http_call` goes. Without one every call answers BAD_ARGUMENT (unknown cluster). */
  upstream?: HttpCallUpstream;
  /** Extra foreign functions by name (weir's built-ins are always there). */
  foreignFunctions?: Record<string, ForeignFunction>;
  /** Signature verification for `weir.verify_signature` (the runtime adapter provides it). */
  crypto?: HostCrypto;
  /** Host-wide properties (e.g. node metadata). */
  properties?: Record<string, PropertyValue>;
  sharedDataLimits?: Partial<SharedDataLimits>;
  /** Cache for metered modules (e.g. on disk); an in-memory cache is always used. */
  moduleCache?: ModuleCache;
  /**
   * Runs the metering rewrite (default: binaryen in this thread). The runtimes and the
   * testing kit pass one that runs it in a worker, so binaryen's heap never joins theirs.
   */
  meter?: MeterFunction;
  /** Stream teardown order (default "envoy": log → done → delete). */
  teardownOrder?: "envoy" | "spec";
  /** Called for ABI misuse by a filter (a call outside its window); the testing kit's strict mode uses it. */
  onAbiMisuse?: (filter: string, message: string) => void;
}

export interface FilterOptions {
  /** Names the filter in logs, errors and the `plugin_name` property. */
  name: string;
  /** The `.wasm` bytes. */
  module: Uint8Array | ArrayBuffer;
  /** `plugin_root_id` (Envoy's `root_id`; default ""). */
  rootId?: string;
  /** `plugin_vm_id`: filters with the same vm_id share shared data and queues (default ""). */
  vmId?: string;
  /** Plugin configuration, readable in `proxy_on_configure`. */
  config?: string | Uint8Array;
  /** VM configuration, readable in `proxy_on_vm_start`. */
  vmConfig?: string | Uint8Array;
  limits?: FilterLimits;
  /** Default "fail-closed". */
  failurePolicy?: FailurePolicy;
  reloadBackoff?: Partial<ReloadBackoff>;
  /** Properties answered for this filter (e.g. `xds.listener_direction`). */
  properties?: Record<string, PropertyValue>;
  /** Capabilities from the manifest: clusters it may call and foreign functions it may use (default: all). */
  capabilities?: { clusters?: string[]; foreignFunctions?: string[] };
}

export interface Host {
  readonly state: HostState;
  /** Loads and starts a filter; throws `FilterLoadError` listing every problem. */
  loadFilter(options: FilterOptions): Promise<Filter>;
}

const defaultLogger: Logger = (entry: LogEntry) => {
  const line = `[weir] ${entry.level} filter ${entry.filter}: ${entry.message}`;
  if (entry.level === "error" || entry.level === "critical" || entry.level === "warn") console.error(line);
  else console.log(line);
};

const toBytes = (value: string | Uint8Array | undefined) =>
  value === undefined ? new Uint8Array(0) : typeof value === "string" ? encodeUtf8(value) : value;

/** Creates a host. Its stores live as long as it does. */
export function createHost(options: HostOptions = {}): Host {
  const timers: Timers = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
    now: () => performance.timeOrigin + performance.now(),
    monotonic: () => performance.now(),
    ...options.timers,
  };
  const foreignFunctions = builtinForeignFunctions(options.crypto);
  for (const [name, fn] of Object.entries(options.foreignFunctions ?? {})) foreignFunctions.set(name, fn);
  const state: HostState = {
    logger: options.logger ?? defaultLogger,
    logLevel: LOG_LEVEL_NAMES.indexOf(options.logLevel ?? "info"),
    timers,
    sharedData: new SharedData(options.sharedDataLimits),
    queues: new SharedQueues(),
    metrics: new Metrics(),
    upstream: options.upstream,
    foreignFunctions,
    crypto: options.crypto,
    properties: options.properties ?? {},
    teardownOrder: options.teardownOrder ?? "envoy",
    onAbiMisuse: options.onAbiMisuse,
  };

  async function loadFilter(opts: FilterOptions): Promise<Filter> {
    const name = opts.name;
    const bytes = opts.module instanceof Uint8Array ? opts.module : new Uint8Array(opts.module);
    const memoryPages = opts.limits?.memoryPages ?? DEFAULT_MEMORY_PAGES;
    const fuel = opts.limits?.fuel ?? DEFAULT_FUEL;
    if (!Number.isInteger(memoryPages) || memoryPages < 1 || memoryPages > 65536) {
      throw new FilterLoadError(name, [`limits.memoryPages must be an integer from 1 to 65536, got ${memoryPages}`]);
    }
    if (fuel !== false && (!Number.isInteger(fuel) || fuel < 1 || fuel > 0x7fffffff)) {
      throw new FilterLoadError(name, [`limits.fuel must be false or an integer from 1 to 2147483647, got ${fuel}`]);
    }
    const { abi } = validateFilterModule(name, bytes, memoryPages);
    const digest = await sha256Hex(bytes);
    let prepared = capMemory(bytes, memoryPages);
    if (fuel !== false) {
      try {
        prepared = await meterModule(prepared, options.moduleCache, options.meter);
      } catch (err) {
        throw new FilterLoadError(name, [`cannot add CPU metering: ${(err as Error).message}`], { cause: err });
      }
    }
    let module: WebAssembly.Module;
    try {
      // Small modules compile synchronously: the async path can queue behind V8's background
      // compilation of binaryen's own Wasm and stall a first load by seconds (seen on Node and Deno).
      module =
        prepared.byteLength <= SYNC_COMPILE_LIMIT
          ? new WebAssembly.Module(prepared as BufferSource)
          : await WebAssembly.compile(prepared as BufferSource);
    } catch (err) {
      throw new FilterLoadError(name, [`compile failed: ${(err as Error).message}`], { cause: err });
    }
    return new Filter({
      module,
      abi,
      digest,
      host: state,
      policy: opts.failurePolicy ?? "fail-closed",
      backoff: {
        baseMs: opts.reloadBackoff?.baseMs ?? 1000,
        maxMs: opts.reloadBackoff?.maxMs ?? 10 * (opts.reloadBackoff?.baseMs ?? 1000),
      },
      config: {
        name,
        rootId: opts.rootId ?? "",
        vmId: opts.vmId ?? "",
        vmConfig: toBytes(opts.vmConfig),
        pluginConfig: toBytes(opts.config),
        fuel,
        memoryPages,
        allowedClusters: opts.capabilities?.clusters ? new Set(opts.capabilities.clusters) : undefined,
        allowedForeignFunctions: opts.capabilities?.foreignFunctions ? new Set([...opts.capabilities.foreignFunctions]) : undefined,
        properties: opts.properties ?? {},
      },
    });
  }

  return { state, loadFilter };
}
