// Reads 10 request headers and adds 2 (one to the request, one to the response), written
// against the raw proxy-wasm ABI (no SDK): the host-side cost of typical header work.

@external("env", "proxy_get_header_map_value")
declare function proxy_get_header_map_value(map: u32, key: usize, key_len: usize, ret_data: usize, ret_len: usize): u32;
@external("env", "proxy_add_header_map_value")
declare function proxy_add_header_map_value(map: u32, key: usize, key_len: usize, value: usize, value_len: usize): u32;

export function proxy_abi_version_0_2_1(): void {}

export function malloc(size: usize): usize {
  return heap.alloc(size);
}

const NAMES: ArrayBuffer[] = [
  String.UTF8.encode(":method"),
  String.UTF8.encode(":path"),
  String.UTF8.encode(":authority"),
  String.UTF8.encode("user-agent"),
  String.UTF8.encode("accept"),
  String.UTF8.encode("x-request-id"),
  String.UTF8.encode("authorization"),
  String.UTF8.encode("x-b3-traceid"),
  String.UTF8.encode("cookie"),
  String.UTF8.encode("content-type"),
];
const SEEN = String.UTF8.encode("x-seen-bytes");
const FILTERED = String.UTF8.encode("x-filtered");
const ONE = String.UTF8.encode("1");
const slots = heap.alloc(8);

export function proxy_on_context_create(context_id: u32, parent_id: u32): void {}
export function proxy_on_vm_start(root_id: u32, size: u32): u32 {
  return 1;
}
export function proxy_on_configure(root_id: u32, size: u32): u32 {
  return 1;
}

export function proxy_on_request_headers(context_id: u32, headers: u32, end_of_stream: u32): u32 {
  let total: u32 = 0;
  for (let i = 0; i < NAMES.length; i++) {
    const name = NAMES[i];
    if (proxy_get_header_map_value(0, changetype<usize>(name), name.byteLength, slots, slots + 4) == 0) {
      total += load<u32>(slots + 4);
      const ptr = load<usize>(slots);
      if (ptr != 0) heap.free(ptr);
    }
  }
  const value = String.UTF8.encode(total.toString());
  proxy_add_header_map_value(0, changetype<usize>(SEEN), SEEN.byteLength, changetype<usize>(value), value.byteLength);
  return 0;
}

export function proxy_on_response_headers(context_id: u32, headers: u32, end_of_stream: u32): u32 {
  proxy_add_header_map_value(2, changetype<usize>(FILTERED), FILTERED.byteLength, changetype<usize>(ONE), ONE.byteLength);
  return 0;
}
export function proxy_on_log(context_id: u32): void {}
export function proxy_on_done(context_id: u32): u32 {
  return 1;
}
export function proxy_on_delete(context_id: u32): void {}
