// Byte buffers: request/response bodies, the http-call response body, the VM and plugin
// configuration and foreign-function arguments. Each raw import sits right above its typed
// wrapper. A buffer that does not exist at this point of the stream is NOT_FOUND → null.

import { BufferType, bufferName, Status } from "./enums";
import { callFailed } from "./failure";
import { RETURN_DATA, RETURN_SCALAR, RETURN_SIZE, takeBytes, takeString } from "./memory";

// @ts-ignore: decorator
@external("env", "proxy_get_buffer_bytes")
declare function proxy_get_buffer_bytes(buffer: u32, start: u32, maxSize: u32, returnData: usize, returnSize: usize): u32;

function fetch(buffer: BufferType, start: u32, length: u32): bool {
  // The host refuses start + max_size past u32 (cpp-host does the same check).
  const max = length > u32.MAX_VALUE - start ? u32.MAX_VALUE - start : length;
  const status = proxy_get_buffer_bytes(buffer, start, max, RETURN_DATA, RETURN_SIZE);
  if (status == Status.Ok) return true;
  if (status == Status.NotFound) return false;
  throw new Error(callFailed("proxy_get_buffer_bytes", bufferName(buffer) + ", " + start.toString() + ", " + max.toString(), status));
}

/** Up to `length` bytes of `buffer` from `start`, or null when the buffer does not exist now. */
export function getBufferBytes(buffer: BufferType, start: u32, length: u32): ArrayBuffer | null {
  return fetch(buffer, start, length) ? takeBytes() : null;
}

/** Like `getBufferBytes`, decoded as UTF-8. */
export function getBufferString(buffer: BufferType, start: u32, length: u32): string | null {
  return fetch(buffer, start, length) ? takeString() : null;
}

// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
declare function proxy_set_buffer_bytes(buffer: u32, start: u32, size: u32, data: usize, dataSize: usize): u32;

/**
 * Writes `dataSize` bytes at `data` over `[start, start + size)` of `buffer`, with Envoy's
 * rules: start 0 and size 0 prepends, start 0 and size ≥ length replaces, start ≥ length
 * appends.
 */
export function setBufferBytes(buffer: BufferType, start: u32, size: u32, data: usize, dataSize: usize): void {
  const status = proxy_set_buffer_bytes(buffer, start, size, data, dataSize);
  if (status != Status.Ok) {
    throw new Error(
      callFailed("proxy_set_buffer_bytes", bufferName(buffer) + ", " + start.toString() + ", " + size.toString() + ", " + dataSize.toString() + " bytes", status),
    );
  }
}

// @ts-ignore: decorator
@external("env", "proxy_get_buffer_status")
declare function proxy_get_buffer_status(buffer: u32, returnSize: usize, returnFlags: usize): u32;

/** The current size of `buffer` in bytes, or -1 when it does not exist now. */
export function getBufferSize(buffer: BufferType): i64 {
  const status = proxy_get_buffer_status(buffer, RETURN_SCALAR, RETURN_SCALAR + 4);
  if (status == Status.Ok) return <i64>load<u32>(RETURN_SCALAR);
  if (status == Status.NotFound) return -1;
  throw new Error(callFailed("proxy_get_buffer_status", bufferName(buffer), status));
}
