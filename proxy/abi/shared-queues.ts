/**
 * Shared queues (`proxy_register_shared_queue` & co.): named FIFO queues per vm_id. Enqueueing
 * notifies the registering root context with `proxy_on_queue_ready(root, queue_id)`;
 * registering the same name again keeps pending items (cpp-host `src/shared_queue.cc`).
 */

export interface QueueOwner {
  /** Called (asynchronously) when an item was enqueued. */
  notify(queueId: number): void;
}

interface Queue {
  id: number;
  vmId: string;
  name: string;
  items: Uint8Array[];
  owner: QueueOwner;
}

export class SharedQueues {
  #byId = new Map<number, Queue>();
  #byName = new Map<string, Queue>();
  #nextId = 1;
  /** Largest number of pending items per queue before `enqueue` is refused. */
  readonly maxItems: number;

  constructor(maxItems = 10_000) {
    this.maxItems = maxItems;
  }

  register(vmId: string, name: string, owner: QueueOwner): number {
    const key = `${vmId}\0${name}`;
    const existing = this.#byName.get(key);
    if (existing) {
      existing.owner = owner;
      return existing.id;
    }
    const queue: Queue = { id: this.#nextId++, vmId, name, items: [], owner };
    this.#byId.set(queue.id, queue);
    this.#byName.set(key, queue);
    return queue.id;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.#byName.get(`${vmId}\0${name}`)?.id;
  }

  /** Returns false for an unknown queue, "full" when the queue holds `maxItems`. */
  enqueue(id: number, value: Uint8Array): boolean | "full" {
    const queue = this.#byId.get(id);
    if (queue === undefined) return false;
    if (queue.items.length >= this.maxItems) return "full";
    queue.items.push(value);
    queue.owner.notify(id);
    return true;
  }

  /** `undefined` for an unknown queue, `null` when it is empty. */
  dequeue(id: number): Uint8Array | null | undefined {
    const queue = this.#byId.get(id);
    if (queue === undefined) return undefined;
    return queue.items.shift() ?? null;
  }

  size(id: number): number {
    return this.#byId.get(id)?.items.length ?? 0;
  }
}
