/**
 * A loaded filter: its compiled module, the live VM, and its failure policy. New streams go
 * to the live VM; when the VM fails under the `reload` policy, a fresh VM is started for a
 * later stream after an exponential backoff (Envoy ≥1.33 `FAIL_RELOAD`: base 1 s, bounded), so
 * a crash-looping filter cannot turn into a reload storm (envoyproxy/envoy#36456 review).
 */

import type { AbiVersion } from "./enums.ts";
import { FilterLoadError, type FilterTrapError } from "./errors.ts";
import type { HostState } from "./host-state.ts";
import { HttpStream } from "./stream.ts";
import type { FailurePolicy, StreamCallbacks, StreamInfo } from "./types.ts";
import { FilterVm, type VmConfig } from "./vm.ts";

export type FilterState = "ready" | "failed" | "closed";

export interface ReloadBackoff {
  /** First delay before a reload (default 1000 ms, as Envoy's `ReloadConfig.backoff`). */
  baseMs: number;
  /** Longest delay (default 10 × base). */
  maxMs: number;
}

export interface FilterCounters {
  streams: number;
  failures: number;
  reloads: number;
}

export class Filter {
  readonly name: string;
  readonly abi: AbiVersion;
  /** Hex SHA-256 of the module as given (before metering). */
  readonly digest: string;
  readonly policy: FailurePolicy;
  readonly counters: FilterCounters = { streams: 0, failures: 0, reloads: 0 };
  #module: WebAssembly.Module;
  #config: VmConfig;
  #host: HostState;
  #vm: FilterVm;
  #backoff: ReloadBackoff;
  #reloadAttempts = 0;
  #nextReloadAt = 0;
  #closed = false;
  #startedAt = 0;
  /** The most recent failure (kept after a reload, for the admin API). */
  lastError: FilterTrapError | undefined;
  /** Hook for the embedder (metrics, admin API). */
  onFailure: ((error: FilterTrapError) => void) | undefined;

  /** Use `Host.loadFilter`. Starts the first VM; throws `FilterLoadError` if it does not start. */
  constructor(args: {
    module: WebAssembly.Module;
    abi: AbiVersion;
    digest: string;
    config: VmConfig;
    host: HostState;
    policy: FailurePolicy;
    backoff: ReloadBackoff;
  }) {
    this.name = args.config.name;
    this.abi = args.abi;
    this.digest = args.digest;
    this.policy = args.policy;
    this.#module = args.module;
    this.#config = args.config;
    this.#host = args.host;
    this.#backoff = args.backoff;
    this.#vm = this.#startVm();
  }

  /** `ready`, `failed` (the VM trapped and no replacement runs yet), or `closed`. */
  get state(): FilterState {
    if (this.#closed) return "closed";
    return this.#vm.failure ? "failed" : "ready";
  }

  /** The live VM (the testing kit inspects it). */
  get vm(): FilterVm {
    return this.#vm;
  }

  #startVm(): FilterVm {
    let vm: FilterVm;
    try {
      vm = new FilterVm(this.#module, this.abi, this.#config, this.#host);
    } catch (err) {
      throw new FilterLoadError(this.name, [(err as Error).message], { cause: err });
    }
    const problem = vm.start();
    if (problem !== undefined) {
      throw new FilterLoadError(this.name, [problem], { cause: vm.failure, logs: [...vm.recentLogs] });
    }
    vm.onFailure = (error) => this.#vmFailed(vm, error);
    this.#startedAt = this.#host.timers.monotonic();
    return vm;
  }

  #vmFailed(vm: FilterVm, error: FilterTrapError): void {
    this.lastError = error;
    this.counters.failures++;
    if (this.policy === "reload") {
      // A VM that served a while before failing starts the backoff over; a crash loop keeps growing it.
      if (this.#host.timers.monotonic() - this.#startedAt > 2 * this.#backoff.maxMs) this.#reloadAttempts = 0;
      const delay = Math.min(this.#backoff.maxMs, this.#backoff.baseMs * 2 ** this.#reloadAttempts);
      this.#nextReloadAt = this.#host.timers.monotonic() + delay;
      this.#reloadAttempts++;
    }
    this.onFailure?.(error);
    for (const ctx of [...vm.contexts.values()]) if (ctx instanceof HttpStream) ctx.vmFailed();
  }

  /**
   * A new stream on the live VM. Under `reload`, a failed VM is replaced first once its
   * backoff elapsed; until then streams get the fail-closed answer.
   */
  createStream(callbacks: StreamCallbacks = {}, info?: StreamInfo): HttpStream {
    if (this.#closed) throw new FilterLoadError(this.name, ["the filter was closed"]);
    if (this.#vm.failure && this.policy === "reload" && this.#host.timers.monotonic() >= this.#nextReloadAt) this.#reload();
    this.counters.streams++;
    return new HttpStream(this.#vm, this.policy, callbacks, info);
  }

  #reload(): void {
    try {
      const vm = this.#startVm();
      this.#vm = vm;
      this.counters.reloads++;
      this.#host.logger({ level: "info", filter: this.name, message: `[host] reloaded after failure (attempt ${this.#reloadAttempts})` });
    } catch (err) {
      const delay = Math.min(this.#backoff.maxMs, this.#backoff.baseMs * 2 ** this.#reloadAttempts);
      this.#nextReloadAt = this.#host.timers.monotonic() + delay;
      this.#reloadAttempts++;
      this.#host.logger({
        level: "error",
        filter: this.name,
        message: `[host] reload failed, next try in ${delay} ms: ${(err as Error).message}`,
      });
    }
  }

  /** Ticks the root context now (the testing kit's manual clock uses this). */
  tick(): void {
    this.#vm.tick();
  }

  /** Ends the plugin (on_done/on_delete for the root) and stops its timers and calls. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#vm.close();
  }
}
