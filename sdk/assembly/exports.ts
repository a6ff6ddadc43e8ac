// The functions a proxy-wasm host calls (ABI 0.2.1, shared/reference/proxy-wasm-abi.md §1.3).
// A filter re-exports them from its entry file:
//
//   export * from "../../sdk/assembly/exports";
//
// Each one hands over to the dispatcher; stream callbacks that find no stream context
// answer "continue" (0).

import { malloc } from "./abi/memory";
import {
  CONTINUE,
  onConfigure,
  onContextCreate,
  onDelete,
  onDone,
  onForeignFunction,
  onHttpCallResponse,
  onLog,
  onQueueReady,
  onTick,
  onVmStart,
  stream,
} from "./context/dispatcher";

export { malloc, malloc as proxy_on_memory_allocate };

/** The ABI version marker hosts look for; never called. */
export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_context_create(id: u32, parent: u32): void {
  onContextCreate(id, parent);
}
export function proxy_on_vm_start(root: u32, size: u32): u32 {
  return onVmStart(root, size);
}
export function proxy_on_configure(root: u32, size: u32): u32 {
  return onConfigure(root, size);
}
export function proxy_on_tick(root: u32): void {
  onTick(root);
}
export function proxy_on_queue_ready(root: u32, queue: u32): void {
  onQueueReady(root, queue);
}
export function proxy_on_foreign_function(root: u32, functionId: u32, size: u32): void {
  onForeignFunction(root, functionId, size);
}
export function proxy_on_http_call_response(root: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {
  onHttpCallResponse(root, token, headers, bodySize, trailers);
}

export function proxy_on_request_headers(id: u32, headers: u32, endOfStream: u32): u32 {
  const context = stream(id);
  return context === null ? CONTINUE : context.onRequestHeaders(headers, endOfStream != 0);
}
export function proxy_on_request_body(id: u32, size: u32, endOfStream: u32): u32 {
  const context = stream(id);
  return context === null ? CONTINUE : context.onRequestBody(size, endOfStream != 0);
}
export function proxy_on_request_trailers(id: u32, trailers: u32): u32 {
  const context = stream(id);
  return context === null ? CONTINUE : context.onRequestTrailers(trailers);
}
export function proxy_on_response_headers(id: u32, headers: u32, endOfStream: u32): u32 {
  const context = stream(id);
  return context === null ? CONTINUE : context.onResponseHeaders(headers, endOfStream != 0);
}
export function proxy_on_response_body(id: u32, size: u32, endOfStream: u32): u32 {
  const context = stream(id);
  return context === null ? CONTINUE : context.onResponseBody(size, endOfStream != 0);
}
export function proxy_on_response_trailers(id: u32, trailers: u32): u32 {
  const context = stream(id);
  return context === null ? CONTINUE : context.onResponseTrailers(trailers);
}

export function proxy_on_log(id: u32): void {
  onLog(id);
}
export function proxy_on_done(id: u32): u32 {
  return onDone(id);
}
export function proxy_on_delete(id: u32): void {
  onDelete(id);
}
