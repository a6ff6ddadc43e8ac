/**
 * The `env.proxy_*` host functions. Each shim only decodes `(ptr, len)` arguments through
 * `GuestMemory`, delegates, and returns a `proxy_status_t` — the shape of undici's llhttp
 * shims. Statuses follow Envoy/cpp-host exactly (shared/reference/proxy-wasm-abi.md §1.7),
 * because the SDKs trap on unexpected ones. A bad guest pointer anywhere is
 * INVALID_MEMORY_ACCESS; an exception from the guest's own allocator propagates as its trap.
 */

import { BufferType, LogLevel, MapType, MetricType, Status, StreamType } from "./enums.ts";
import { callForeignFunction } from "./extensions.ts";
import { AllocationFault, MemoryFault } from "./guest-memory.ts";
import { HeaderMap } from "./header-map.ts";
import { decodePairs, pairsSize, writePairs } from "./pairs.ts";
import { encodePropertyValue, parsePropertyPath } from "./properties.ts";
import { HttpStream } from "./stream.ts";
import type { HttpCallResponse } from "./types.ts";
import { decodeUtf8 } from "./utf8.ts";
import type { FilterVm } from "./vm.ts";

type Shim = (...args: never[]) => number | undefined;

/** Turns memory faults into INVALID_MEMORY_ACCESS; anything else is a trap and propagates. */
function fault(err: unknown): number {
  if (err instanceof MemoryFault || err instanceof AllocationFault) return Status.INVALID_MEMORY_ACCESS;
  throw err;
}

function restricted(vm: FilterVm, name: string): Error {
  return new WebAssembly.RuntimeError(`restricted_callback: ${name} may not be called during start-up (filter ${vm.name})`);
}

export function createEnvImports(vm: FilterVm): Record<string, Shim> {
  const m = () => vm.memory;
  const stream = (): HttpStream | undefined => (vm.effective instanceof HttpStream ? vm.effective : undefined);
  const legacy = vm.abi === "0.1.0";

  /** The header map of `type` for reading, or a status when it is not available. */
  const readableMap = (type: number): HeaderMap | number => {
    if (type === MapType.HTTP_CALL_RESPONSE_HEADERS || type === MapType.HTTP_CALL_RESPONSE_TRAILERS) {
      const r = vm.callResponse;
      if (r === undefined) {
        if (vm.callback !== "proxy_on_http_call_response")
          vm.misuse(`read of http call response map ${type} outside proxy_on_http_call_response`);
        return Status.BAD_ARGUMENT;
      }
      return type === MapType.HTTP_CALL_RESPONSE_HEADERS ? r.headers : r.trailers;
    }
    if (type > 7 || type < 0) return Status.BAD_ARGUMENT;
    const s = stream();
    if (s === undefined) {
      if (type <= 3) vm.misuse(`read of header map ${type} without a stream context (see proxy_set_effective_context)`);
      return Status.BAD_ARGUMENT;
    }
    const map = s.map(type);
    if (map === undefined) return legacy ? new HeaderMap() : Status.BAD_ARGUMENT;
    // Reading a map the stream already has is allowed at any time (filters commonly read request
    // headers from response callbacks); only writes outside the window are misuse.
    return map;
  };
  const writableMap = (type: number): HeaderMap | number => {
    if (type > 7 || type < 0) return Status.BAD_ARGUMENT;
    const s = stream();
    if (s === undefined && type <= 3) vm.misuse(`write to header map ${type} without a stream context (see proxy_set_effective_context)`);
    if (s === undefined || type > 3) return Status.BAD_ARGUMENT;
    const map = s.writableMap(type);
    if (map === undefined) {
      vm.misuse(`write to header map ${type} outside its window`);
      return Status.BAD_ARGUMENT;
    }
    return map;
  };
  /** The buffer of `type`, a status when unknown (BAD_ARGUMENT) or unavailable (NOT_FOUND). */
  const buffer = (type: number): Uint8Array | number => {
    switch (type) {
      case BufferType.HTTP_REQUEST_BODY:
      case BufferType.HTTP_RESPONSE_BODY: {
        const s = stream();
        if (s === undefined) vm.misuse(`access to body buffer ${type} without a stream context (see proxy_set_effective_context)`);
        return s === undefined ? Status.NOT_FOUND : s.body(type);
      }
      case BufferType.HTTP_CALL_RESPONSE_BODY:
        return vm.callResponse?.body ?? Status.NOT_FOUND;
      case BufferType.VM_CONFIGURATION:
        if (legacy) return Status.BAD_ARGUMENT;
        return vm.vmConfigVisible ? vm.config.vmConfig : Status.NOT_FOUND;
      case BufferType.PLUGIN_CONFIGURATION:
        if (legacy) return Status.BAD_ARGUMENT;
        return vm.pluginConfigVisible ? vm.config.pluginConfig : Status.NOT_FOUND;
      case BufferType.FOREIGN_FUNCTION_ARGUMENTS:
        if (legacy) return Status.BAD_ARGUMENT;
        return vm.foreignArgs ?? Status.NOT_FOUND;
      case BufferType.DOWNSTREAM_DATA:
      case BufferType.UPSTREAM_DATA:
      case BufferType.GRPC_CALL_MESSAGE:
        return Status.NOT_FOUND;
      default:
        return Status.BAD_ARGUMENT;
    }
  };
  /** A stream action on a context without a stream: Envoy does nothing and answers OK (`Context::continueStream` & co.). */
  const noStream = (call: string): number => {
    vm.misuse(`${call} outside a stream context (ignored)`);
    return Status.OK;
  };
  const continueStream = (type: number): number => {
    if (type > 3 || type < 0) return Status.BAD_ARGUMENT;
    if (type >= StreamType.DOWNSTREAM) return Status.UNIMPLEMENTED;
    const s = stream();
    if (s === undefined) return noStream("proxy_continue_stream");
    s.continueFromGuest(type === StreamType.HTTP_REQUEST ? "request" : "response");
    return Status.OK;
  };

  const env: Record<string, Shim> = {
    proxy_log(level: number, ptr: number, len: number): number {
      try {
        if (level >>> 0 > LogLevel.CRITICAL) return Status.BAD_ARGUMENT;
        vm.log(level, m().value(ptr, len));
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_get_log_level(out: number): number {
      try {
        m().setU32(out, vm.host.logLevel);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_get_current_time_nanoseconds(out: number): number {
      try {
        m().setU64FromNumber(out, Math.round(vm.host.timers.now() * 1e6));
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_set_tick_period_milliseconds(ms: number): number {
      if (vm.starting) throw restricted(vm, "proxy_set_tick_period_milliseconds");
      vm.setTickPeriod(ms >>> 0);
      return Status.OK;
    },
    proxy_done(): number {
      if (!vm.root.pendingDone) return Status.NOT_FOUND;
      vm.root.pendingDone = false;
      vm.defer(() => vm.finishClose());
      return Status.OK;
    },
    proxy_set_effective_context(id: number): number {
      const ctx = vm.contexts.get(id >>> 0);
      if (ctx === undefined) return Status.BAD_ARGUMENT;
      vm.effective = ctx;
      return Status.OK;
    },
    proxy_get_buffer_bytes(type: number, start: number, max: number, outPtr: number, outSize: number): number {
      try {
        start >>>= 0;
        max >>>= 0;
        const data = buffer(type);
        if (typeof data === "number") return data;
        if (start + max > 0xffffffff) return Status.BAD_ARGUMENT;
        const end = Math.min(data.byteLength, start + max);
        m().returnBytes(outPtr, outSize, start >= end ? undefined : data.subarray(start, end));
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_set_buffer_bytes(type: number, start: number, size: number, ptr: number, len: number): number {
      try {
        const value = m().read(ptr, len);
        if (type !== BufferType.HTTP_REQUEST_BODY && type !== BufferType.HTTP_RESPONSE_BODY) {
          return type >>> 0 > 8 ? Status.BAD_ARGUMENT : Status.NOT_FOUND;
        }
        const s = stream();
        if (s === undefined) {
          vm.misuse(`access to body buffer ${type} without a stream context (see proxy_set_effective_context)`);
          return Status.NOT_FOUND;
        }
        return s.setBody(type, start >>> 0, size >>> 0, value) ? Status.OK : Status.BAD_ARGUMENT;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_get_buffer_status(type: number, outSize: number, outFlags: number): number {
      try {
        const data = buffer(type);
        if (typeof data === "number") return data;
        m().setU32(outSize, data.byteLength);
        m().setU32(outFlags, 0);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_get_header_map_size(type: number, out: number): number {
      try {
        const map = readableMap(type);
        if (typeof map === "number") return map;
        m().setU32(out, pairsSize(map));
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_get_header_map_pairs(type: number, outPtr: number, outSize: number): number {
      try {
        const map = readableMap(type);
        // Envoy answers a map that is not available with OK and no pairs (`Context::getHeaderMapPairs`);
        // the Rust SDK's get_map panics on any other status.
        if (map === Status.BAD_ARGUMENT && type >>> 0 <= 7) {
          m().returnBytes(outPtr, outSize, undefined);
          return Status.OK;
        }
        if (typeof map === "number") return map;
        m().returnWith(outPtr, outSize, pairsSize(map), (u8, ptr) => writePairs(map, u8, ptr));
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_set_header_map_pairs(type: number, ptr: number, len: number): number {
      try {
        const pairs = decodePairs(m().view(ptr, len));
        const map = writableMap(type);
        if (typeof map === "number") return map;
        if (pairs === undefined) return Status.BAD_ARGUMENT;
        map.replaceAll(pairs);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_get_header_map_value(type: number, kPtr: number, kLen: number, outPtr: number, outSize: number): number {
      try {
        const keyBytes = m().view(kPtr, kLen);
        const map = readableMap(type);
        // In the access-log phase a map the stream never had is NOT_FOUND (Envoy `Context::getHeaderMapValue`).
        if (map === Status.BAD_ARGUMENT && type >>> 0 <= 7 && stream()?.inLog) return Status.NOT_FOUND;
        if (typeof map === "number") return map;
        const ascii = map.getAscii(keyBytes, 0, keyBytes.byteLength);
        const value = ascii === null ? map.get(decodeUtf8(keyBytes, 0, keyBytes.byteLength)) : ascii;
        if (value === undefined) {
          if (!legacy) return Status.NOT_FOUND;
          m().returnString(outPtr, outSize, "");
          return Status.OK;
        }
        m().returnString(outPtr, outSize, value);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_add_header_map_value(type: number, kPtr: number, kLen: number, vPtr: number, vLen: number): number {
      try {
        const key = m().string(kPtr, kLen);
        const value = m().value(vPtr, vLen);
        const map = writableMap(type);
        if (typeof map === "number") return map;
        map.add(key, value);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_replace_header_map_value(type: number, kPtr: number, kLen: number, vPtr: number, vLen: number): number {
      try {
        const key = m().string(kPtr, kLen);
        const value = m().value(vPtr, vLen);
        const map = writableMap(type);
        if (typeof map === "number") return map;
        map.set(key, value);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_remove_header_map_value(type: number, kPtr: number, kLen: number): number {
      try {
        const key = m().string(kPtr, kLen);
        const map = writableMap(type);
        if (typeof map === "number") return map;
        map.delete(key);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_continue_stream: (type: number): number => continueStream(type),
    proxy_close_stream(type: number): number {
      if (type > 3 || type < 0) return Status.BAD_ARGUMENT;
      if (type === StreamType.UPSTREAM) return Status.UNIMPLEMENTED;
      const s = stream();
      if (s === undefined) return noStream("proxy_close_stream");
      s.closeFromGuest();
      return Status.OK;
    },
    proxy_get_status(codePtr: number, msgPtr: number, msgSize: number): number {
      try {
        m().setU32(codePtr, vm.lastStatus.code);
        m().returnString(msgPtr, msgSize, vm.lastStatus.message);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_send_local_response(
      status: number,
      dPtr: number,
      dLen: number,
      bPtr: number,
      bLen: number,
      hPtr: number,
      hLen: number,
      grpc: number,
    ): number {
      try {
        const details = m().value(dPtr, dLen).replace(/\s/g, "_");
        const body = m().read(bPtr, bLen);
        const headers = decodePairs(m().view(hPtr, hLen));
        if (headers === undefined) return Status.BAD_ARGUMENT;
        const s = stream();
        if (s === undefined) return noStream("proxy_send_local_response");
        if (status < 100 || status > 599) return Status.BAD_ARGUMENT;
        const lowered = headers.map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
        const grpcStatus = (grpc | 0) >= 0 && (grpc | 0) <= 16 ? grpc | 0 : undefined;
        return s.localReplyFromGuest({ status, headers: lowered, body, details, grpcStatus }) ? Status.OK : Status.BAD_ARGUMENT;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_http_call(
      uPtr: number,
      uLen: number,
      hPtr: number,
      hLen: number,
      bPtr: number,
      bLen: number,
      tPtr: number,
      tLen: number,
      timeout: number,
      outToken: number,
    ): number {
      try {
        if (vm.starting) throw restricted(vm, "proxy_http_call");
        const cluster = m().string(uPtr, uLen);
        const headers = decodePairs(m().view(hPtr, hLen));
        const body = m().read(bPtr, bLen);
        const trailers = decodePairs(m().view(tPtr, tLen));
        m().check(outToken, 4);
        if (headers === undefined || trailers === undefined) return Status.BAD_ARGUMENT;
        return dispatchHttpCall(vm, cluster, headers, body, trailers, timeout | 0, outToken);
      } catch (err) {
        return fault(err);
      }
    },
    proxy_grpc_call(
      u: number,
      uL: number,
      s: number,
      sL: number,
      me: number,
      meL: number,
      md: number,
      mdL: number,
      msg: number,
      msgL: number,
      _t: number,
      out: number,
    ): number {
      try {
        for (const [p, l] of [
          [u, uL],
          [s, sL],
          [me, meL],
          [md, mdL],
          [msg, msgL],
        ])
          m().check(p, l);
        m().check(out, 4);
        return Status.UNIMPLEMENTED;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_grpc_stream(u: number, uL: number, s: number, sL: number, me: number, meL: number, md: number, mdL: number, out: number): number {
      try {
        for (const [p, l] of [
          [u, uL],
          [s, sL],
          [me, meL],
          [md, mdL],
        ])
          m().check(p, l);
        m().check(out, 4);
        return Status.UNIMPLEMENTED;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_grpc_send(_id: number, ptr: number, len: number): number {
      try {
        m().check(ptr, len);
        return Status.UNIMPLEMENTED;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_grpc_cancel: (): number => Status.NOT_FOUND,
    proxy_grpc_close: (): number => Status.NOT_FOUND,
    proxy_set_shared_data(kPtr: number, kLen: number, vPtr: number, vLen: number, cas: number): number {
      try {
        const key = m().string(kPtr, kLen);
        const result = vm.host.sharedData.write(vm.config.vmId, key, m().view(vPtr, vLen), cas >>> 0);
        if (result === "ok") return Status.OK;
        if (result === "cas_mismatch") return Status.CAS_MISMATCH;
        vm.log(
          LogLevel.WARN,
          `shared data write to "${key}" refused: ${result === "full" ? "the vm_id scope is full" : "value too large"}`,
          true,
        );
        return Status.INTERNAL_FAILURE;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_get_shared_data(kPtr: number, kLen: number, outPtr: number, outSize: number, outCas: number): number {
      try {
        const key = m().string(kPtr, kLen);
        m().check(outCas, 4);
        const entry = vm.host.sharedData.get(vm.config.vmId, key);
        if (entry === undefined) return Status.NOT_FOUND;
        m().returnBytes(outPtr, outSize, entry.value);
        m().setU32(outCas, entry.cas);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_register_shared_queue(nPtr: number, nLen: number, out: number): number {
      try {
        if (vm.starting) throw restricted(vm, "proxy_register_shared_queue");
        const name = m().string(nPtr, nLen);
        m().check(out, 4);
        m().setU32(out, vm.host.queues.register(vm.config.vmId, name, { notify: (id) => vm.queueReady(id) }));
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_resolve_shared_queue(vPtr: number, vLen: number, nPtr: number, nLen: number, out: number): number {
      try {
        const vmId = m().string(vPtr, vLen);
        const name = m().string(nPtr, nLen);
        m().check(out, 4);
        const id = vm.host.queues.resolve(vmId, name);
        if (id === undefined) return Status.NOT_FOUND;
        m().setU32(out, id);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_enqueue_shared_queue(id: number, ptr: number, len: number): number {
      try {
        const value = m().read(ptr, len);
        const result = vm.host.queues.enqueue(id >>> 0, value);
        if (result === false) return Status.NOT_FOUND;
        if (result === "full") return Status.INTERNAL_FAILURE;
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_dequeue_shared_queue(id: number, outPtr: number, outSize: number): number {
      try {
        m().check(outPtr, 4);
        m().check(outSize, 4);
        const value = vm.host.queues.dequeue(id >>> 0);
        if (value === undefined) return Status.NOT_FOUND;
        if (value === null) return Status.EMPTY;
        m().returnBytes(outPtr, outSize, value);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_define_metric(type: number, nPtr: number, nLen: number, out: number): number {
      try {
        const name = m().string(nPtr, nLen);
        m().check(out, 4);
        if (type >>> 0 > MetricType.HISTOGRAM) return Status.BAD_ARGUMENT;
        m().setU32(out, vm.host.metrics.define(type as MetricType, name));
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_increment_metric(id: number, delta: bigint): number {
      const metric = vm.host.metrics.get(id >>> 0);
      if (metric === undefined) return Status.NOT_FOUND;
      const d = Number(delta);
      if (metric.type === MetricType.HISTOGRAM) return Status.BAD_ARGUMENT;
      if (metric.type === MetricType.COUNTER && d <= 0) return Status.BAD_ARGUMENT;
      metric.value += d;
      return Status.OK;
    },
    proxy_record_metric(id: number, value: bigint): number {
      const metric = vm.host.metrics.get(id >>> 0);
      if (metric === undefined) return Status.NOT_FOUND;
      const v = Number(BigInt.asUintN(64, value));
      if (metric.type === MetricType.COUNTER) metric.value += v;
      else if (metric.type === MetricType.GAUGE) metric.value = v;
      else vm.host.metrics.observe(metric, v);
      return Status.OK;
    },
    proxy_get_metric(id: number, out: number): number {
      try {
        m().check(out, 8);
        const metric = vm.host.metrics.get(id >>> 0);
        if (metric === undefined) return Status.NOT_FOUND;
        if (metric.type === MetricType.HISTOGRAM) return Status.BAD_ARGUMENT;
        m().setU64(out, BigInt(Math.trunc(metric.value)));
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_get_property(pPtr: number, pLen: number, outPtr: number, outSize: number): number {
      try {
        const path = parsePropertyPath(m().string(pPtr, pLen));
        m().check(outPtr, 4);
        m().check(outSize, 4);
        const value = resolveProperty(vm, path);
        if (value === undefined) return Status.NOT_FOUND;
        if (typeof value === "string") m().returnString(outPtr, outSize, value);
        else m().returnBytes(outPtr, outSize, value);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_set_property(pPtr: number, pLen: number, vPtr: number, vLen: number): number {
      try {
        const path = parsePropertyPath(m().string(pPtr, pLen));
        const value = m().read(vPtr, vLen);
        const s = stream();
        if (path[0] === "weir") {
          if (s === undefined) return Status.NOT_FOUND;
          return s.setWeirProperty(path, value);
        }
        (s?.state ?? vm.root.state).set(path.join("\0"), value);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    proxy_call_foreign_function(nPtr: number, nLen: number, aPtr: number, aLen: number, outPtr: number, outSize: number): number {
      try {
        const name = m().string(nPtr, nLen);
        const args = m().read(aPtr, aLen);
        m().check(outPtr, 4);
        m().check(outSize, 4);
        const result = callForeignFunction(vm, name, args, stream());
        if (typeof result === "number") return result;
        m().returnBytes(outPtr, outSize, result);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    },
    // AssemblyScript's default abort: (message, file, line, column), strings as UTF-16 objects.
    abort(msg: number, file: number, line: number, column: number): never {
      const text = (ptr: number) => {
        try {
          if (ptr === 0) return "";
          const len = m().u32(ptr - 4);
          const bytes = m().view(ptr, len);
          return new TextDecoder("utf-16le").decode(bytes);
        } catch {
          return "?";
        }
      };
      const message = `abort: ${text(msg)} at ${text(file)}(${line}:${column})`;
      vm.log(LogLevel.CRITICAL, message);
      throw new WebAssembly.RuntimeError(message);
    },
    pthread_equal: (a: number, b: number): number => (a === b ? 1 : 0),
    emscripten_notify_memory_growth: (): undefined => undefined,
  };

  if (legacy) {
    // ABI 0.1.0 (cpp-host `src/wasm.cc:138-156`).
    env.proxy_get_configuration = (outPtr: number, outSize: number): number => {
      try {
        const cfg = vm.pluginConfigVisible ? vm.config.pluginConfig : vm.vmConfigVisible ? vm.config.vmConfig : undefined;
        if (cfg === undefined) return Status.NOT_FOUND;
        m().returnBytes(outPtr, outSize, cfg);
        return Status.OK;
      } catch (err) {
        return fault(err);
      }
    };
    env.proxy_continue_request = () => continueStream(StreamType.HTTP_REQUEST);
    env.proxy_continue_response = () => continueStream(StreamType.HTTP_RESPONSE);
    env.proxy_clear_route_cache = () => Status.OK;
  }
  return env;
}

/** `proxy_http_call` after argument decoding: Envoy's checks (`Context::httpCall`), then dispatch. */
function dispatchHttpCall(
  vm: FilterVm,
  cluster: string,
  headers: [string, string][],
  body: Uint8Array,
  trailers: [string, string][],
  timeout: number,
  outToken: number,
): number {
  const upstream = vm.host.upstream;
  const allowed = vm.config.allowedClusters;
  if (upstream === undefined || !upstream.hasCluster(cluster)) {
    vm.log(LogLevel.WARN, `http call to unknown cluster "${cluster}"`, true);
    return Status.BAD_ARGUMENT;
  }
  if (allowed !== undefined && !allowed.has(cluster)) {
    vm.log(LogLevel.WARN, `http call to cluster "${cluster}" refused: not among the clusters this filter declared`, true);
    return Status.BAD_ARGUMENT;
  }
  const lowered = headers.map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
  const has = (k: string) => lowered.some(([name]) => name === k);
  if (!has(":method") || !has(":path") || !has(":authority")) {
    vm.log(LogLevel.WARN, `http call to "${cluster}" needs :method, :path and :authority headers`, true);
    return Status.BAD_ARGUMENT;
  }
  if (timeout < 0) return Status.BAD_ARGUMENT;
  if (body.byteLength > 0 && !has("content-length")) lowered.push(["content-length", String(body.byteLength)]);
  const origin = vm.effective ?? vm.root;
  const controller = new AbortController();
  const token = vm.startHttpCall(origin.id, controller);
  if (timeout > 0) {
    vm.setCallTimer(
      token,
      vm.host.timers.setTimeout(() => {
        controller.abort(new Error("timeout"));
        vm.finishHttpCall(token, { error: "timeout" });
      }, timeout),
    );
  }
  let pending: Promise<HttpCallResponse>;
  try {
    pending = upstream.call({ cluster, headers: lowered, body, trailers, timeoutMs: timeout }, controller.signal);
  } catch (err) {
    // A send that fails at once (e.g. node:http rejecting a header value) is INTERNAL_FAILURE,
    // as in Envoy's `Context::httpCall`; the filter decides what its stream gets.
    vm.abandonHttpCall(token);
    vm.log(LogLevel.WARN, `http call to "${cluster}" could not be sent: ${(err as Error)?.message ?? err}`, true);
    return Status.INTERNAL_FAILURE;
  }
  vm.memory.setU32(outToken, token);
  pending.then(
    (res) =>
      vm.finishHttpCall(token, {
        response: { headers: new HeaderMap(res.headers), body: res.body, trailers: new HeaderMap(res.trailers) },
      }),
    (err: unknown) =>
      vm.finishHttpCall(token, {
        error: controller.signal.aborted ? "timeout" : err instanceof Error && err.message ? `reset: ${err.message}` : "reset",
      }),
  );
  return Status.OK;
}

/** Property lookup order: plugin_*, weir.*, request.* (from live headers), the stream's info, host-wide, values set by the filter. */
/** A property's bytes, or a string (written to guest memory as UTF-8 without an intermediate copy). */
function resolveProperty(vm: FilterVm, path: readonly string[]): Uint8Array | string | undefined {
  const [top] = path;
  const s = vm.effective instanceof HttpStream ? vm.effective : undefined;
  if (path.length === 1) {
    if (top === "plugin_name") return vm.config.name;
    if (top === "plugin_root_id") return vm.config.rootId;
    if (top === "plugin_vm_id") return vm.config.vmId;
  }
  if (s !== undefined) {
    const value = s.property(path);
    if (typeof value === "string") return value;
    if (value !== undefined) return encodePropertyValue(value);
    const set = s.state.get(path.join("\0"));
    if (set !== undefined) return set;
  }
  const key = path.join(".");
  const fromPlugin = vm.config.properties[key] ?? vm.host.properties[key];
  if (fromPlugin !== undefined) return encodePropertyValue(fromPlugin);
  return vm.root.state.get(path.join("\0"));
}
