/**
 * Every function the host offers a filter, with its exact Wasm signature, per ABI version —
 * spec v0.2.1 "Functions exposed by the host" and cpp-host `include/proxy-wasm/exports.h`
 * (shared/reference/proxy-wasm-abi.md §1.4) — and the signatures of the guest callbacks
 * (§1.3). Load-time validation compares a module's imports and exports against these tables.
 */

import type { AbiVersion } from "./enums.ts";
import type { Signature } from "./wasm-binary.ts";

const i = (n: number) => Array(n).fill("i32").join(",");
const fn = (params: number, result = true): Signature => `${i(params)}->${result ? "i32" : ""}`;

/** `env.proxy_*` functions of ABI 0.2.0 (0.2.1 adds `proxy_get_log_level`). */
const PROXY_0_2_0: Record<string, Signature> = {
  proxy_log: fn(3),
  proxy_get_current_time_nanoseconds: fn(1),
  proxy_set_tick_period_milliseconds: fn(1),
  proxy_done: fn(0),
  proxy_set_effective_context: fn(1),
  proxy_get_buffer_bytes: fn(5),
  proxy_set_buffer_bytes: fn(5),
  proxy_get_buffer_status: fn(3),
  proxy_get_header_map_size: fn(2),
  proxy_get_header_map_pairs: fn(3),
  proxy_set_header_map_pairs: fn(3),
  proxy_get_header_map_value: fn(5),
  proxy_add_header_map_value: fn(5),
  proxy_replace_header_map_value: fn(5),
  proxy_remove_header_map_value: fn(3),
  proxy_continue_stream: fn(1),
  proxy_close_stream: fn(1),
  proxy_get_status: fn(3),
  proxy_send_local_response: fn(8),
  proxy_http_call: fn(10),
  proxy_grpc_call: fn(12),
  proxy_grpc_stream: fn(9),
  proxy_grpc_send: fn(4),
  proxy_grpc_cancel: fn(1),
  proxy_grpc_close: fn(1),
  proxy_set_shared_data: fn(5),
  proxy_get_shared_data: fn(5),
  proxy_register_shared_queue: fn(3),
  proxy_resolve_shared_queue: fn(5),
  proxy_enqueue_shared_queue: fn(3),
  proxy_dequeue_shared_queue: fn(3),
  proxy_define_metric: fn(4),
  proxy_record_metric: "i32,i64->i32",
  proxy_increment_metric: "i32,i64->i32",
  proxy_get_metric: fn(2),
  proxy_get_property: fn(4),
  proxy_set_property: fn(4),
  proxy_call_foreign_function: fn(6),
};

/** ABI 0.1.0 has no stream continue/close but these instead (cpp-host `src/wasm.cc:138-156`). */
const PROXY_0_1_0_ONLY: Record<string, Signature> = {
  proxy_get_configuration: fn(2),
  proxy_continue_request: fn(0),
  proxy_continue_response: fn(0),
  proxy_clear_route_cache: fn(0),
};

/** Extra `env` functions some toolchains import: AssemblyScript's abort, Emscripten helpers. */
const ENV_EXTRAS: Record<string, Signature> = {
  abort: "i32,i32,i32,i32->",
  pthread_equal: fn(2),
  emscripten_notify_memory_growth: "i32->",
};

/** WASI preview1, offered under both `wasi_snapshot_preview1` and `wasi_unstable`. */
export const WASI_SIGNATURES: Record<string, Signature> = {
  args_get: fn(2),
  args_sizes_get: fn(2),
  environ_get: fn(2),
  environ_sizes_get: fn(2),
  clock_res_get: fn(2),
  clock_time_get: "i32,i64,i32->i32",
  fd_advise: "i32,i64,i64,i32->i32",
  fd_allocate: "i32,i64,i64->i32",
  fd_close: fn(1),
  fd_datasync: fn(1),
  fd_fdstat_get: fn(2),
  fd_fdstat_set_flags: fn(2),
  fd_fdstat_set_rights: "i32,i64,i64->i32",
  fd_filestat_get: fn(2),
  fd_filestat_set_size: "i32,i64->i32",
  fd_filestat_set_times: "i32,i64,i64,i32->i32",
  fd_pread: "i32,i32,i32,i64,i32->i32",
  fd_prestat_get: fn(2),
  fd_prestat_dir_name: fn(3),
  fd_pwrite: "i32,i32,i32,i64,i32->i32",
  fd_read: fn(4),
  fd_readdir: "i32,i32,i32,i64,i32->i32",
  fd_renumber: fn(2),
  fd_seek: "i32,i64,i32,i32->i32",
  fd_sync: fn(1),
  fd_tell: fn(2),
  fd_write: fn(4),
  path_create_directory: fn(3),
  path_filestat_get: fn(5),
  path_filestat_set_times: "i32,i32,i32,i32,i64,i64,i32->i32",
  path_link: fn(7),
  path_open: "i32,i32,i32,i32,i32,i64,i64,i32,i32->i32",
  path_readlink: fn(6),
  path_remove_directory: fn(3),
  path_rename: fn(6),
  path_symlink: fn(5),
  path_unlink_file: fn(3),
  poll_oneoff: fn(4),
  proc_exit: "i32->",
  proc_raise: fn(1),
  sched_yield: fn(0),
  random_get: fn(2),
  sock_accept: fn(3),
  sock_recv: fn(6),
  sock_send: fn(5),
  sock_shutdown: fn(2),
};

export const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"] as const;

/** The `env` functions a module of `abi` may import, with signatures. */
export function envSignatures(abi: AbiVersion): Record<string, Signature> {
  if (abi === "0.1.0") {
    const { proxy_continue_stream: _c, proxy_close_stream: _s, ...rest } = PROXY_0_2_0;
    return { ...rest, ...PROXY_0_1_0_ONLY, ...ENV_EXTRAS };
  }
  const table: Record<string, Signature> = { ...PROXY_0_2_0, ...ENV_EXTRAS };
  if (abi === "0.2.1") table.proxy_get_log_level = fn(1);
  return table;
}

/** Guest callbacks and the exact signatures the host calls them with (§1.3). */
export function callbackSignatures(abi: AbiVersion): Record<string, Signature> {
  const headers = abi === "0.1.0" ? fn(2) : fn(3);
  const table: Record<string, Signature> = {
    _initialize: "->",
    _start: "->",
    main: fn(2),
    malloc: fn(1),
    proxy_on_memory_allocate: fn(1),
    proxy_on_context_create: fn(2, false),
    proxy_on_done: fn(1),
    proxy_on_log: fn(1, false),
    proxy_on_delete: fn(1, false),
    proxy_on_vm_start: fn(2),
    proxy_on_configure: fn(2),
    proxy_on_tick: fn(1, false),
    proxy_on_request_headers: headers,
    proxy_on_request_body: fn(3),
    proxy_on_request_trailers: fn(2),
    proxy_on_response_headers: headers,
    proxy_on_response_body: fn(3),
    proxy_on_response_trailers: fn(2),
    proxy_on_http_call_response: fn(5, false),
    proxy_on_queue_ready: fn(2, false),
    proxy_on_grpc_receive_initial_metadata: fn(3, false),
    proxy_on_grpc_receive: fn(3, false),
    proxy_on_grpc_receive_trailing_metadata: fn(3, false),
    proxy_on_grpc_close: fn(3, false),
  };
  if (abi !== "0.1.0") table.proxy_on_foreign_function = fn(3, false);
  return table;
}

/** The ABI marker exports, newest first. */
export const ABI_MARKERS: Record<string, AbiVersion> = {
  proxy_abi_version_0_2_1: "0.2.1",
  proxy_abi_version_0_2_0: "0.2.0",
  proxy_abi_version_0_1_0: "0.1.0",
};
