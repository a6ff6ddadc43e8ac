/**
 * One filter VM: a Wasm instance, its contexts (one root, many streams), and the machinery
 * every call into the guest goes through — fuel refill, current/effective context, deferral
 * of actions until the outermost guest call returns (Envoy's `addAfterVmCallAction`), and
 * containment: a trap, an exhausted budget or `proc_exit` marks this VM failed and nothing
 * else (cpp-host `fail(FailState::RuntimeError)`, shared/reference/proxy-wasm-abi.md §5.5).
 */

import { type AbiVersion, LogLevel } from "./enums.ts";
import { FilterTrapError, type TrapKind } from "./errors.ts";
import { GuestMemory } from "./guest-memory.ts";
import type { HeaderMap } from "./header-map.ts";
import { createEnvImports } from "./host-calls.ts";
import type { HostState } from "./host-state.ts";
import { FUEL_EXHAUSTED, FUEL_GLOBAL, FUEL_MODULE, FUEL_SETTER } from "./meter.ts";
import type { PropertyValue } from "./properties.ts";
import type { HttpStream } from "./stream.ts";
import { createWasiImports, ProcExit } from "./wasi.ts";

/** Everything a VM needs to know about the filter it runs. */
export interface VmConfig {
  name: string;
  rootId: string;
  vmId: string;
  vmConfig: Uint8Array;
  pluginConfig: Uint8Array;
  fuel: number | false;
  memoryPages: number;
  /** Clusters `proxy_http_call` may reach (undefined: any cluster the upstream knows). */
  allowedClusters: ReadonlySet<string> | undefined;
  /** Foreign functions the filter may call (undefined: any registered). */
  allowedForeignFunctions: ReadonlySet<string> | undefined;
  /** Plugin-level properties set by the embedder (node metadata, listener direction, …). */
  properties: Record<string, PropertyValue>;
}

/** The plugin's root context. */
export class RootContext {
  readonly kind = "root" as const;
  tickPeriod = 0;
  tickHandle: unknown = undefined;
  /** on_done returned false; waiting for proxy_done. */
  pendingDone = false;
  /** Values set with proxy_set_property from root callbacks. */
  readonly state = new Map<string, Uint8Array>();
  constructor(readonly id: number) {}
}

export type VmContext = RootContext | HttpStream;

/** Guest exports the host calls; all optional ("All callbacks … are optional", spec). */
export interface GuestExports {
  memory: WebAssembly.Memory;
  malloc?: (size: number) => number;
  proxy_on_memory_allocate?: (size: number) => number;
  _initialize?: () => void;
  _start?: () => void;
  main?: (a: number, b: number) => number;
  proxy_on_context_create?: (id: number, parent: number) => void;
  proxy_on_vm_start?: (root: number, size: number) => number;
  proxy_on_configure?: (root: number, size: number) => number;
  proxy_on_tick?: (root: number) => void;
  proxy_on_done?: (id: number) => number;
  proxy_on_log?: (id: number) => void;
  proxy_on_delete?: (id: number) => void;
  proxy_on_request_headers?: (id: number, n: number, eos: number) => number;
  proxy_on_request_body?: (id: number, size: number, eos: number) => number;
  proxy_on_request_trailers?: (id: number, n: number) => number;
  proxy_on_response_headers?: (id: number, n: number, eos: number) => number;
  proxy_on_response_body?: (id: number, size: number, eos: number) => number;
  proxy_on_response_trailers?: (id: number, n: number) => number;
  proxy_on_http_call_response?: (root: number, token: number, nh: number, size: number, nt: number) => void;
  proxy_on_queue_ready?: (root: number, queue: number) => void;
  proxy_on_foreign_function?: (root: number, fn: number, size: number) => void;
}

type GuestFn = (a: number, b: number, c: number, d: number, e: number) => number | undefined;

/** The http-call response being delivered (readable only during `proxy_on_http_call_response`). */
export interface CallResponseView {
  headers: HeaderMap;
  body: Uint8Array;
  trailers: HeaderMap;
}

interface PendingCall {
  origin: number;
  controller: AbortController;
  timer: unknown;
}

/**
 * Engines word traps differently (JavaScriptCore: "Unreachable code should not be executed
 * (evaluating 'fn(a, b, c, d, e)')"); errors name the trap in V8's words on every runtime.
 */
const JSC_TRAPS: [RegExp, string][] = [
  [/^Unreachable code should not be executed/, "unreachable"],
  [/^Out of bounds memory access/, "memory access out of bounds"],
  [/^Out of bounds call_indirect/, "table index is out of bounds"],
  [/^call_indirect to a signature that does not match/, "null function or function signature mismatch"],
  [/^Division by zero/, "divide by zero"],
  [/^Integer overflow/, "integer overflow"],
  [/^Out of bounds Trunc operation/, "float unrepresentable in integer range"],
];

export function normalizeTrapMessage(message: string): string {
  for (const [pattern, canonical] of JSC_TRAPS) if (pattern.test(message)) return canonical;
  return message;
}

/** Returned by `call` when the guest did not complete the callback. */
export const FAILED = -1;

export class FilterVm {
  readonly abi: AbiVersion;
  readonly config: VmConfig;
  readonly host: HostState;
  readonly memory: GuestMemory;
  readonly exports: GuestExports;
  readonly root: RootContext;
  readonly contexts = new Map<number, VmContext>();
  /** Set to 1 by a metered module that ran out of fuel. */
  #fuelExhausted: WebAssembly.Global | undefined;
  #setFuel: ((units: number) => void) | undefined;
  #depth = 0;
  #nextContextId = 1;
  #nextToken = 4;
  #deferred: (() => void)[] = [];
  #pendingCalls = new Map<number, PendingCall>();
  /** The callback running now, for error messages and windows. */
  callback = "";
  /** The context of the callback running now, and the one host calls act on. */
  current: VmContext | undefined;
  effective: VmContext | undefined;
  /** During start-up only whitelisted host calls may run (cpp-host `src/wasm.cc:379-439`). */
  starting = true;
  /** Set during on_vm_start / on_configure / on_http_call_response / on_foreign_function. */
  vmConfigVisible = false;
  pluginConfigVisible = false;
  callResponse: CallResponseView | undefined;
  foreignArgs: Uint8Array | undefined;
  /** What `proxy_get_status` reports (the last http-call outcome). */
  lastStatus = { code: 0, message: "" };
  failure: FilterTrapError | undefined;
  closed = false;
  /** Recent log lines (bounded), attached to load errors and trap reports. */
  readonly recentLogs: string[] = [];
  /** Called once when the VM fails. */
  onFailure: (error: FilterTrapError) => void = () => {};

  constructor(module: WebAssembly.Module, abi: AbiVersion, config: VmConfig, host: HostState) {
    this.abi = abi;
    this.config = config;
    this.host = host;
    const imports: WebAssembly.Imports = { env: createEnvImports(this) };
    const wasi = createWasiImports(this);
    imports.wasi_snapshot_preview1 = wasi;
    imports.wasi_unstable = wasi;
    // Metered modules import their budget (so it is in place before the start section runs)
    // and the flag they set when they run out.
    const metered = WebAssembly.Module.imports(module).some((i) => i.module === FUEL_MODULE);
    if (metered) {
      this.#fuelExhausted = new WebAssembly.Global({ value: "i32", mutable: true }, 0);
      imports[FUEL_MODULE] = {
        [FUEL_GLOBAL]: new WebAssembly.Global({ value: "i32", mutable: false }, config.fuel as number),
        [FUEL_EXHAUSTED]: this.#fuelExhausted,
      };
    }
    // Instantiation runs an AssemblyScript module's start section; a trap there is a load error.
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(module, imports);
    } catch (err) {
      throw this.#classify(err, "start");
    }
    this.exports = instance.exports as unknown as GuestExports;
    this.#setFuel = (instance.exports as Record<string, unknown>)[FUEL_SETTER] as ((units: number) => void) | undefined;
    this.memory = new GuestMemory(this.exports.memory);
    const allocate = this.exports.malloc ?? this.exports.proxy_on_memory_allocate;
    if (allocate) this.memory.allocate = allocate;
    this.root = new RootContext(this.#nextContextId++);
    this.contexts.set(this.root.id, this.root);
  }

  get name(): string {
    return this.config.name;
  }

  /** A fresh context id (ids are never reused while the VM lives, cpp-host `wasm.cc:480-488`). */
  nextContextId(): number {
    return this.#nextContextId++;
  }

  /** True while a guest call is on the stack. */
  get inGuest(): boolean {
    return this.#depth > 0;
  }

  /**
   * Calls a guest export. Returns its result (0 for void), or `FAILED` if the VM is (or
   * becomes) failed. Context and fuel are set for the outermost call only.
   */
  call(name: string, ctx: VmContext | undefined, fn: GuestFn, a = 0, b = 0, c = 0, d = 0, e = 0): number {
    if (this.failure !== undefined) return FAILED;
    const outer = this.#depth === 0;
    if (outer) {
      this.callback = name;
      this.current = ctx;
      this.effective = ctx;
      if (this.#setFuel !== undefined) this.#setFuel(this.config.fuel as number);
    }
    this.#depth++;
    let result: number | undefined;
    try {
      result = fn(a, b, c, d, e);
    } catch (err) {
      this.#depth--;
      this.fail(this.#classify(err, name));
      if (outer) this.#leave();
      return FAILED;
    }
    this.#depth--;
    if (outer) this.#leave();
    // i32 results arrive signed; a guest's 0xFFFFFFFF must not read as FAILED (-1).
    return result === undefined ? 0 : result >>> 0;
  }

  #leave(): void {
    this.current = undefined;
    this.effective = undefined;
    this.callback = "";
    if (this.#deferred.length > 0) this.#drain();
  }

  #drain(): void {
    // Actions may themselves call into the guest (and defer more); run until quiet.
    while (this.#deferred.length > 0 && this.#depth === 0) {
      const action = this.#deferred.shift() as () => void;
      action();
    }
  }

  /** Runs `action` once no guest call is on the stack (now, if none is). */
  defer(action: () => void): void {
    if (this.#depth === 0) action();
    else this.#deferred.push(action);
  }

  #classify(err: unknown, callback: string): FilterTrapError {
    if (err instanceof FilterTrapError) return err;
    const name = this.config.name;
    if (err instanceof ProcExit) {
      const last = this.recentLogs.at(-1);
      const detail = `exit code ${err.code}${last ? ` (last log: ${last})` : ""}`;
      return new FilterTrapError(name, callback, "proc_exit", detail, { cause: err, exitCode: err.code });
    }
    if (this.#fuelExhausted !== undefined && this.#fuelExhausted.value === 1) {
      return new FilterTrapError(name, callback, "fuel", `used its ${this.config.fuel} units`, { cause: err });
    }
    let kind: TrapKind = "trap";
    let detail = normalizeTrapMessage(err instanceof Error ? err.message : String(err));
    if (err instanceof RangeError && /call stack/i.test(detail)) detail = "call stack exhausted (unbounded recursion?)";
    else if (!(err instanceof WebAssembly.RuntimeError) && !(err instanceof RangeError)) kind = "host";
    try {
      const pages = this.exports?.memory.buffer.byteLength / 65536;
      if (pages >= this.config.memoryPages) {
        kind = kind === "trap" ? "memory" : kind;
        detail += ` (memory at its cap of ${this.config.memoryPages} pages)`;
      }
    } catch {
      // memory not available yet (instantiation failed)
    }
    return new FilterTrapError(name, callback, kind, detail, { cause: err });
  }

  /** Marks the VM failed (idempotent), stops its timers and calls, and reports once. */
  fail(error: FilterTrapError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.#stopBackground();
    this.log(LogLevel.ERROR, error.message, true);
    this.onFailure(error);
  }

  /** A log line from or about this filter. */
  log(level: number, message: string, fromHost = false): void {
    if (this.recentLogs.length >= 20) this.recentLogs.shift();
    this.recentLogs.push(message);
    if (level < this.host.logLevel) return;
    this.host.logger({
      level: (["trace", "debug", "info", "warn", "error", "critical"] as const)[level],
      filter: this.config.name,
      message: fromHost ? `[host] ${message}` : message,
    });
  }

  /** Reports ABI misuse by the guest (strict mode in the testing kit turns these into failures). */
  misuse(message: string): void {
    this.host.onAbiMisuse?.(this.config.name, `${this.callback || "outside a callback"}: ${message}`);
  }

  /** The failure's message, read through a method so TypeScript does not narrow across guest calls. */
  failureMessage(): string | undefined {
    return this.failure?.message;
  }

  // ---- start-up ------------------------------------------------------------------------

  /**
   * Runs `_initialize` (+ `main`) or `_start`, then the root's create → vm_start → configure.
   * Returns the reason on failure (a load error), undefined on success.
   */
  start(): string | undefined {
    const x = this.exports;
    const run = (name: string, fn: GuestFn | undefined) => (fn ? this.call(name, undefined, fn) : 0);
    if (x._initialize) {
      run("_initialize", x._initialize as GuestFn);
      if (x.main && this.failureMessage() === undefined) run("main", x.main as GuestFn);
    } else if (x._start) {
      run("_start", x._start as GuestFn);
    }
    this.starting = false;
    if (this.failureMessage() !== undefined) return this.failureMessage();
    if (!x.malloc && !x.proxy_on_memory_allocate) return "no allocator export";
    const id = this.root.id;
    if (x.proxy_on_context_create) this.call("proxy_on_context_create", this.root, x.proxy_on_context_create as GuestFn, id, 0);
    if (this.failureMessage() !== undefined) return this.failureMessage();
    if (x.proxy_on_vm_start) {
      this.vmConfigVisible = true;
      const ok = this.call("proxy_on_vm_start", this.root, x.proxy_on_vm_start as GuestFn, id, this.config.vmConfig.byteLength);
      this.vmConfigVisible = false;
      if (this.failureMessage() !== undefined) return this.failureMessage();
      if (ok === 0) return "proxy_on_vm_start returned false (the filter rejected its VM configuration)";
    }
    if (x.proxy_on_configure) {
      this.pluginConfigVisible = true;
      const ok = this.call("proxy_on_configure", this.root, x.proxy_on_configure as GuestFn, id, this.config.pluginConfig.byteLength);
      this.pluginConfigVisible = false;
      if (this.failureMessage() !== undefined) return this.failureMessage();
      if (ok === 0) return "proxy_on_configure returned false (the filter rejected its configuration)";
    }
    return undefined;
  }

  // ---- timers, http calls, queues ------------------------------------------------------

  setTickPeriod(ms: number): void {
    const root = this.root;
    const timers = this.host.timers;
    if (root.tickHandle !== undefined) timers.clearInterval(root.tickHandle);
    root.tickHandle = undefined;
    root.tickPeriod = ms;
    if (ms > 0 && !this.closed && !this.failure) {
      root.tickHandle = timers.setInterval(() => this.tick(), ms);
    }
  }

  /** Delivers `proxy_on_tick` to the root (also what the testing kit calls). */
  tick(): void {
    const fn = this.exports.proxy_on_tick;
    if (fn && !this.closed) this.defer(() => this.call("proxy_on_tick", this.root, fn as GuestFn, this.root.id));
  }

  /** Registers an outstanding http call and returns its token (4, 8, 12, … as cpp-host). */
  startHttpCall(origin: number, controller: AbortController): number {
    const token = this.#nextToken;
    this.#nextToken += 4;
    this.#pendingCalls.set(token, { origin, controller, timer: undefined });
    return token;
  }

  setCallTimer(token: number, timer: unknown): void {
    const call = this.#pendingCalls.get(token);
    if (call) call.timer = timer;
  }

  /** Forgets a call that could not be sent (its timer too). */
  abandonHttpCall(token: number): void {
    const call = this.#pendingCalls.get(token);
    if (call === undefined) return;
    this.#pendingCalls.delete(token);
    if (call.timer !== undefined) this.host.timers.clearTimeout(call.timer);
  }

  /** Outstanding call tokens (for the testing kit and teardown). */
  get pendingCallTokens(): number[] {
    return [...this.#pendingCalls.keys()];
  }

  /** Delivers an http-call outcome to the root context. A stream that ended meanwhile gets nothing. */
  finishHttpCall(token: number, outcome: { response: CallResponseView } | { error: string }): void {
    const call = this.#pendingCalls.get(token);
    if (call === undefined) return;
    this.#pendingCalls.delete(token);
    if (call.timer !== undefined) this.host.timers.clearTimeout(call.timer);
    if (this.failure || this.closed) return;
    if (call.origin !== this.root.id && !this.contexts.has(call.origin)) {
      this.log(LogLevel.DEBUG, `http call ${token} finished after its stream ended; not delivered`, true);
      return;
    }
    const fn = this.exports.proxy_on_http_call_response;
    if (!fn) return;
    this.defer(() => {
      if ("error" in outcome) {
        this.lastStatus = { code: 11, message: outcome.error };
        this.call("proxy_on_http_call_response", this.root, fn as GuestFn, this.root.id, token, 0, 0, 0);
      } else {
        const r = outcome.response;
        this.lastStatus = { code: 0, message: "" };
        this.callResponse = r;
        this.call(
          "proxy_on_http_call_response",
          this.root,
          fn as GuestFn,
          this.root.id,
          token,
          r.headers.size,
          r.body.byteLength,
          r.trailers.size,
        );
        this.callResponse = undefined;
      }
    });
  }

  /** Cancels the outstanding calls a context made (teardown). */
  cancelCallsFrom(contextId: number): void {
    for (const [token, call] of this.#pendingCalls) {
      if (call.origin !== contextId) continue;
      this.#pendingCalls.delete(token);
      if (call.timer !== undefined) this.host.timers.clearTimeout(call.timer);
      call.controller.abort(new Error("the calling stream ended"));
    }
  }

  queueReady(queueId: number): void {
    const fn = this.exports.proxy_on_queue_ready;
    if (!fn || this.closed || this.failure) return;
    queueMicrotask(() => this.defer(() => this.call("proxy_on_queue_ready", this.root, fn as GuestFn, this.root.id, queueId)));
  }

  #stopBackground(): void {
    if (this.root.tickHandle !== undefined) this.host.timers.clearInterval(this.root.tickHandle);
    this.root.tickHandle = undefined;
    for (const [token, call] of this.#pendingCalls) {
      if (call.timer !== undefined) this.host.timers.clearTimeout(call.timer);
      call.controller.abort(new Error("the filter VM stopped"));
      this.#pendingCalls.delete(token);
    }
  }

  /** Ends the plugin: on_done(root) → on_delete(root) (now, or after proxy_done), then stops timers and calls. */
  close(): void {
    if (this.closed) return;
    const x = this.exports;
    if (!this.failure && x.proxy_on_done) {
      const done = this.call("proxy_on_done", this.root, x.proxy_on_done as GuestFn, this.root.id);
      if (done === 0 && !this.failure) {
        this.root.pendingDone = true;
        return; // the plugin calls proxy_done later; finishClose runs then
      }
    }
    this.finishClose();
  }

  /** The second half of `close` (also reached through `proxy_done`). */
  finishClose(): void {
    if (this.closed) return;
    const x = this.exports;
    if (!this.failure && x.proxy_on_delete) this.call("proxy_on_delete", this.root, x.proxy_on_delete as GuestFn, this.root.id);
    this.closed = true;
    this.#stopBackground();
  }
}
