// A no-op filter written against the raw proxy-wasm ABI (no SDK): it exports the callbacks a
// stream goes through and each returns "continue". Measures the host's fixed cost per stream.

export function proxy_abi_version_0_2_1(): void {}

export function malloc(size: usize): usize {
  return heap.alloc(size);
}

export function proxy_on_context_create(context_id: u32, parent_id: u32): void {}
export function proxy_on_vm_start(root_id: u32, size: u32): u32 {
  return 1;
}
export function proxy_on_configure(root_id: u32, size: u32): u32 {
  return 1;
}
export function proxy_on_request_headers(context_id: u32, headers: u32, end_of_stream: u32): u32 {
  return 0;
}
export function proxy_on_response_headers(context_id: u32, headers: u32, end_of_stream: u32): u32 {
  return 0;
}
export function proxy_on_log(context_id: u32): void {}
export function proxy_on_done(context_id: u32): u32 {
  return 1;
}
export function proxy_on_delete(context_id: u32): void {}
