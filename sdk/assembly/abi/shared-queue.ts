// Shared queues: named FIFO queues per vm_id; an enqueue wakes the registering root with
// `proxy_on_queue_ready`. Each raw import sits right above its typed wrapper.

import { Status } from "./enums";
import { callFailed, quote } from "./failure";
import { KEY, RETURN_DATA, RETURN_SCALAR, RETURN_SIZE, takeBytes, VALUE } from "./memory";

// @ts-ignore: decorator
@external("env", "proxy_register_shared_queue")
declare function proxy_register_shared_queue(name: usize, nameSize: usize, returnId: usize): u32;

/** Registers (or re-registers, keeping pending items) the queue `name`; returns its id. */
export function registerSharedQueue(name: string): u32 {
  const ptr = KEY.encode(name);
  const status = proxy_register_shared_queue(ptr, KEY.length, RETURN_SCALAR);
  if (status != Status.Ok) throw new Error(callFailed("proxy_register_shared_queue", quote(name), status));
  return load<u32>(RETURN_SCALAR);
}

// @ts-ignore: decorator
@external("env", "proxy_resolve_shared_queue")
declare function proxy_resolve_shared_queue(vmId: usize, vmIdSize: usize, name: usize, nameSize: usize, returnId: usize): u32;

/** The id of queue `name` registered by a filter with `vmId`, or -1 when there is none. */
export function resolveSharedQueue(vmId: string, name: string): i64 {
  const vm = VALUE.encode(vmId);
  const ptr = KEY.encode(name);
  const status = proxy_resolve_shared_queue(vm, VALUE.length, ptr, KEY.length, RETURN_SCALAR);
  if (status == Status.NotFound) return -1;
  if (status != Status.Ok) throw new Error(callFailed("proxy_resolve_shared_queue", quote(vmId) + ", " + quote(name), status));
  return <i64>load<u32>(RETURN_SCALAR);
}

// @ts-ignore: decorator
@external("env", "proxy_enqueue_shared_queue")
declare function proxy_enqueue_shared_queue(id: u32, value: usize, valueSize: usize): u32;

/** Appends `size` bytes at `value` to queue `id`; false when the host refuses (queue gone or full). */
export function enqueueSharedQueue(id: u32, value: usize, size: usize): bool {
  const status = proxy_enqueue_shared_queue(id, value, size);
  if (status == Status.Ok) return true;
  if (status == Status.NotFound || status == Status.InternalFailure) return false;
  throw new Error(callFailed("proxy_enqueue_shared_queue", id.toString() + ", " + size.toString() + " bytes", status));
}

// @ts-ignore: decorator
@external("env", "proxy_dequeue_shared_queue")
declare function proxy_dequeue_shared_queue(id: u32, returnValue: usize, returnSize: usize): u32;

/** The oldest item of queue `id`, or null when the queue is empty. */
export function dequeueSharedQueue(id: u32): ArrayBuffer | null {
  const status = proxy_dequeue_shared_queue(id, RETURN_DATA, RETURN_SIZE);
  if (status == Status.Ok) return takeBytes();
  if (status == Status.Empty) return null;
  throw new Error(callFailed("proxy_dequeue_shared_queue", id.toString(), status));
}
