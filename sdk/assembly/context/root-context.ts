// The plugin's root context: configuration, timers, queues, foreign-function callbacks, and
// the factory of per-stream contexts. Every callback has a default, so a filter overrides
// only what it needs.

import { BufferType } from "../abi/enums";
import { getBufferBytes } from "../abi/buffer";
import { useContext } from "../abi/stream";
import { done, setTickPeriod } from "../abi/timer";
import { Config } from "../config/config";
import { Context } from "./context";
import { HttpContext } from "./http-context";

/**
 * Extend this for your filter and pass a factory to `registerFilter`. One root exists per
 * plugin instance (per filter configuration); it outlives the streams.
 *
 * @example
 * ```ts
 * class AddHeaderRoot extends RootContext {
 *   value: string = "";
 *   onConfigure(config: Config): bool {
 *     this.value = config.requireString("value");
 *     return true;
 *   }
 *   createHttpContext(id: u32): HttpContext | null {
 *     return new AddHeader(id, this);
 *   }
 * }
 * registerFilter((id: u32): RootContext => new AddHeaderRoot(id));
 * ```
 */
export class RootContext extends Context {
  constructor(id: u32) {
    super(id);
  }

  /** The VM started; `config` is the VM configuration (readable only now). Return false to fail the VM. */
  onVmStart(config: Config): bool {
    return true;
  }

  /**
   * The plugin is (re)configured; `config` is the plugin configuration, readable only now.
   * Return false — or let a `config` getter record a problem — to reject it: the SDK logs
   * every recorded problem and the host refuses to load the filter.
   */
  onConfigure(config: Config): bool {
    return true;
  }

  /**
   * A new HTTP stream: return its context, or null (the default) to let the stream pass
   * untouched at no per-stream cost.
   */
  createHttpContext(id: u32): HttpContext | null {
    return null;
  }

  /** The timer set with `setTickPeriod` fired. */
  onTick(): void {}

  /** Queue `queueId` (registered by this root) has items to `dequeue`. */
  onQueueReady(queueId: u32): void {}

  /** The host called this root back through `proxy_on_foreign_function`; `foreignArguments()` reads the arguments. */
  onForeignFunction(functionId: u32, argumentsSize: u32): void {}

  /** The plugin is going away. Return false to finish asynchronously, then call `done()`. */
  onDone(): bool {
    return true;
  }

  /** The root is deleted; no callback follows. */
  onDelete(): void {}

  /**
   * Calls `onTick` every `periodMs` milliseconds (0 stops it); one timer per root. Allowed
   * from `onVmStart`/`onConfigure` on, not during module start.
   */
  setTickPeriod(periodMs: u32): void {
    useContext(this.id);
    setTickPeriod(periodMs);
  }

  /** Finishes a root whose `onDone` returned false. */
  done(): void {
    done();
  }

  /** The arguments of the running `onForeignFunction` (empty outside it). */
  foreignArguments(): ArrayBuffer {
    const bytes = getBufferBytes(BufferType.ForeignFunctionArguments, 0, u32.MAX_VALUE);
    return bytes === null ? new ArrayBuffer(0) : bytes;
  }
}
