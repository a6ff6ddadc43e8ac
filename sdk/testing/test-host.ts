/**
 * `TestHost`: one filter running in weir's real host with in-memory I/O. It is the test's
 * handle on everything outside the filter: new streams, the clock (ticks and timeouts happen
 * only when the test advances it), http-call answers, queue items, foreign functions — and the
 * record of what the filter did: logs, calls, shared data, metrics, properties, misuse.
 */

import type { Filter, FilterTrapError, ForeignFunction, HostState } from "../../proxy/abi/index.ts";
import type { ManualClock } from "./clock.ts";
import type { ForeignFunctionCall } from "./foreign-functions.ts";
import type { TestHttpCall, TestUpstream } from "./http-calls.ts";
import { type HttpContextOptions, TestHttpContext } from "./http-context.ts";
import type { TestLogs } from "./logs.ts";
import { MetricsView, PropertiesView, SharedDataView } from "./stores.ts";
import type { MisuseLog } from "./strict.ts";
import { toBytes } from "./views.ts";

/** What `createTestHost` wires together. */
export interface TestHostParts {
  filter: Filter;
  state: HostState;
  clock: ManualClock;
  logs: TestLogs;
  misuse: MisuseLog;
  upstream: TestUpstream;
  foreign: { calls: ForeignFunctionCall[]; register(name: string, fn: ForeignFunction): void };
  settle: () => Promise<void>;
}

/**
 * A filter under test. Create it with `createTestHost`.
 *
 * @example
 * ```ts
 * const host = await createTestHost({ wasm, rootId: "tick" });
 * host.advance(250);
 * expect(host.logs.info).toEqual(["tick 1", "tick 2"]);
 * ```
 */
export class TestHost {
  /** The host's filter (its `vm`, `counters`, `state`), for what the kit does not wrap. */
  readonly filter: Filter;
  /** The manual clock behind the host's timers. */
  readonly clock: ManualClock;
  readonly #parts: TestHostParts;

  /** Use `createTestHost`. */
  constructor(parts: TestHostParts) {
    this.#parts = parts;
    this.filter = parts.filter;
    this.clock = parts.clock;
  }

  // ---- drive ---------------------------------------------------------------------------

  /** A new HTTP context (stream); the filter's `proxy_on_context_create` runs before its first callback. */
  http(options?: HttpContextOptions): TestHttpContext {
    this.check("host.http");
    return new TestHttpContext(this.filter, (attempted) => this.check(attempted), options);
  }

  /** Delivers `proxy_on_tick` now, whatever the tick period. */
  tick(): void {
    this.check("host.tick");
    this.filter.tick();
  }

  /** Moves the clock forward by `ms`, firing due ticks and http-call timeouts in order. */
  advance(ms: number): void {
    this.check(`host.advance(${ms})`);
    this.#parts.clock.advance(ms);
  }

  /** Waits until answers, failures and queue notifications already under way have reached the filter. */
  settle(): Promise<void> {
    return this.#parts.settle();
  }

  /**
   * Puts `value` on shared queue `queue` (of the filter's vm_id unless told) and waits for the
   * `proxy_on_queue_ready` it causes.
   */
  async enqueue(queue: string, value: string | Uint8Array, options: { vmId?: string } = {}): Promise<void> {
    this.check(`host.enqueue("${queue}")`);
    const vmId = options.vmId ?? this.filter.vm.config.vmId;
    const queues = this.#parts.state.queues;
    const id = queues.resolve(vmId, queue);
    if (id === undefined) throw new Error(`host.enqueue("${queue}"): no filter registered a queue "${queue}" in vm_id "${vmId}"`);
    if (queues.enqueue(id, toBytes(value)) === "full") throw new Error(`host.enqueue("${queue}"): the queue is full`);
    await this.settle();
  }

  /** Items waiting on shared queue `queue`. */
  queueSize(queue: string, options: { vmId?: string } = {}): number {
    const queues = this.#parts.state.queues;
    const id = queues.resolve(options.vmId ?? this.filter.vm.config.vmId, queue);
    return id === undefined ? 0 : queues.size(id);
  }

  /** Adds (or replaces) a foreign function the filter can call; its calls are recorded too. */
  registerForeignFunction(name: string, fn: ForeignFunction): void {
    this.#parts.foreign.register(name, fn);
  }

  /** Ends the plugin (`on_done`, `on_delete`), then fails on strict-mode misuse nobody looked at. Idempotent. */
  close(): void {
    this.filter.close();
    this.check("the end of the test");
  }

  // ---- inspect -------------------------------------------------------------------------

  /** Log lines by level (`proxy_log`, WASI stdout/stderr, the host's own lines). */
  get logs(): TestLogs {
    this.check("host.logs");
    return this.#parts.logs;
  }

  /** Every `proxy_http_call` the filter made, in order (answered ones too; see `state`). */
  get httpCalls(): readonly TestHttpCall[] {
    this.check("host.httpCalls");
    return [...this.#parts.upstream.calls];
  }

  /** The http calls still waiting for an answer. */
  get pendingHttpCalls(): readonly TestHttpCall[] {
    return this.httpCalls.filter((call) => call.state === "pending");
  }

  /** Foreign-function calls, in order. */
  get foreignCalls(): readonly ForeignFunctionCall[] {
    this.check("host.foreignCalls");
    return [...this.#parts.foreign.calls];
  }

  /** Shared data of the filter's vm_id. */
  get sharedData(): SharedDataView {
    this.check("host.sharedData");
    return new SharedDataView(this.#parts.state.sharedData, this.filter.vm.config.vmId);
  }

  get metrics(): MetricsView {
    this.check("host.metrics");
    return new MetricsView(this.#parts.state.metrics);
  }

  /** Properties the filter set from its root context. */
  get properties(): PropertiesView {
    this.check("host.properties");
    return new PropertiesView(() => this.filter.vm.root.state);
  }

  /** ABI misuse the host reported; reading it counts as looking, so strict mode lets these pass. */
  get abiMisuse(): string[] {
    return this.#parts.misuse.acknowledge();
  }

  /** The failure that stopped the filter's VM, if any. */
  get failure(): FilterTrapError | undefined {
    return this.filter.vm.failure ?? this.filter.lastError;
  }

  /** `proxy_set_tick_period_milliseconds`' last value (0: no ticks). */
  get tickPeriod(): number {
    return this.filter.vm.root.tickPeriod;
  }

  /** The manual wall clock, in ms since the epoch. */
  get now(): number {
    return this.#parts.clock.now();
  }

  /** Throws the strict-mode error for misuse nobody has looked at; the kit calls it before each drive and inspection. */
  check(attempted: string): void {
    this.#parts.misuse.check(attempted);
  }
}
