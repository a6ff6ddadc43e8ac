// Shared queues as objects: register one from a root (its `onQueueReady` hears about new
// items) or resolve one another filter registered, then enqueue and dequeue bytes or text.

import { dequeueSharedQueue, enqueueSharedQueue, registerSharedQueue, resolveSharedQueue } from "./abi/shared-queue";
import { VALUE } from "./abi/memory";

/**
 * A named FIFO queue shared by the filters of one vm_id.
 *
 * @example
 * ```ts
 * // in the consumer's root, from onConfigure on:
 * this.queue = SharedQueue.register("events");
 * // in a producer:
 * const queue = SharedQueue.resolve("my-vm", "events");
 * if (queue !== null) queue.enqueueText("hello");
 * ```
 */
export class SharedQueue {
  constructor(readonly id: u32) {}

  /**
   * Registers queue `name` for the running root, whose `onQueueReady(id)` is called when
   * items arrive. Re-registering keeps pending items. Not allowed during module start.
   */
  static register(name: string): SharedQueue {
    return new SharedQueue(registerSharedQueue(name));
  }

  /** The queue `name` registered by a filter with `vmId`, or null when there is none. */
  static resolve(vmId: string, name: string): SharedQueue | null {
    const id = resolveSharedQueue(vmId, name);
    return id < 0 ? null : new SharedQueue(<u32>id);
  }

  /** Appends `data`; false when the host refused (queue gone or full). */
  enqueue(data: ArrayBuffer): bool {
    return enqueueSharedQueue(this.id, changetype<usize>(data), <usize>data.byteLength);
  }

  /** Appends the UTF-8 bytes of `text`. */
  enqueueText(text: string): bool {
    const ptr = VALUE.encode(text);
    return enqueueSharedQueue(this.id, ptr, VALUE.length);
  }

  /** The oldest item, or null when the queue is empty. */
  dequeue(): ArrayBuffer | null {
    return dequeueSharedQueue(this.id);
  }

  /** The oldest item as UTF-8 text, or null when the queue is empty. */
  dequeueText(): string | null {
    const item = dequeueSharedQueue(this.id);
    return item === null ? null : String.UTF8.decode(item);
  }
}
