// hello: a proxy-wasm filter written against the raw ABI, with no SDK (AssemblyScript 0.28).
// It shows that `createTestHost({ source })` builds and runs any AssemblyScript filter, and it
// gives the README something to test beyond headers:
//
// - on_configure defines counter `hello_requests_total` and registers shared queue `greetings`;
// - on request headers it logs `hello from <:path>` at info, counts the request, adds
//   `x-hello: world`, and if foreign function `greeting` exists, calls it with the path and
//   adds its result as `x-greeting`; the path `/panic` aborts instead (a trap, for failure tests);
// - on_queue_ready logs `queued: <item>` for each item it dequeues.

@external("env", "proxy_log")
declare function proxy_log(level: i32, ptr: usize, len: usize): i32;
@external("env", "proxy_get_header_map_value")
declare function proxy_get_header_map_value(map: i32, kPtr: usize, kLen: usize, outPtr: usize, outLen: usize): i32;
@external("env", "proxy_add_header_map_value")
declare function proxy_add_header_map_value(map: i32, kPtr: usize, kLen: usize, vPtr: usize, vLen: usize): i32;
@external("env", "proxy_call_foreign_function")
declare function proxy_call_foreign_function(nPtr: usize, nLen: usize, aPtr: usize, aLen: usize, outPtr: usize, outLen: usize): i32;
@external("env", "proxy_define_metric")
declare function proxy_define_metric(type: i32, nPtr: usize, nLen: usize, outId: usize): i32;
@external("env", "proxy_increment_metric")
declare function proxy_increment_metric(id: u32, delta: i64): i32;
@external("env", "proxy_register_shared_queue")
declare function proxy_register_shared_queue(nPtr: usize, nLen: usize, outId: usize): i32;
@external("env", "proxy_dequeue_shared_queue")
declare function proxy_dequeue_shared_queue(id: u32, outPtr: usize, outLen: usize): i32;

const OK = 0;
// Out-parameters of host calls: a pointer or id at +0, a length at +4.
const out = new ArrayBuffer(8);
let requests: u32 = 0;

function ptr(b: ArrayBuffer): usize {
  return changetype<usize>(b);
}

/** The bytes a host call returned through `out`, as a string. */
function returned(): string {
  const o = ptr(out);
  return String.UTF8.decodeUnsafe(load<usize>(o), load<usize>(o, 4));
}

function log(message: string): void {
  const m = String.UTF8.encode(message);
  proxy_log(2, ptr(m), m.byteLength);
}

function addRequestHeader(name: string, value: string): void {
  const n = String.UTF8.encode(name);
  const v = String.UTF8.encode(value);
  proxy_add_header_map_value(0, ptr(n), n.byteLength, ptr(v), v.byteLength);
}

export function proxy_abi_version_0_2_1(): void {}

export function malloc(size: usize): usize {
  return heap.alloc(size);
}

export function proxy_on_context_create(context_id: u32, root_id: u32): void {}

export function proxy_on_configure(root_id: u32, size: u32): u32 {
  const metric = String.UTF8.encode("hello_requests_total");
  proxy_define_metric(0, ptr(metric), metric.byteLength, ptr(out));
  requests = load<u32>(ptr(out));
  const queue = String.UTF8.encode("greetings");
  proxy_register_shared_queue(ptr(queue), queue.byteLength, ptr(out));
  return 1;
}

export function proxy_on_request_headers(context_id: u32, headers: u32, end_of_stream: u32): u32 {
  const key = String.UTF8.encode(":path");
  let path = "?";
  if (proxy_get_header_map_value(0, ptr(key), key.byteLength, ptr(out), ptr(out) + 4) == OK) path = returned();
  if (path == "/panic") abort("panic requested");
  log("hello from " + path);
  proxy_increment_metric(requests, 1);
  addRequestHeader("x-hello", "world");
  const name = String.UTF8.encode("greeting");
  const args = String.UTF8.encode(path);
  if (proxy_call_foreign_function(ptr(name), name.byteLength, ptr(args), args.byteLength, ptr(out), ptr(out) + 4) == OK) {
    addRequestHeader("x-greeting", returned());
  }
  return 0;
}

export function proxy_on_queue_ready(root_id: u32, queue_id: u32): void {
  while (proxy_dequeue_shared_queue(queue_id, ptr(out), ptr(out) + 4) == OK) log("queued: " + returned());
}
