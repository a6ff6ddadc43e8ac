/**
 * WASI preview1, the subset proxy-wasm filters import, offered under both
 * `wasi_snapshot_preview1` and `wasi_unstable` as cpp-host does (§1.4 of the reference).
 * `fd_write` goes to the filter log (fd 1 at info, fd 2 at error, line-buffered), clocks and
 * `random_get` are real, `environ_*`/`args_*` are empty, `proc_exit` ends the VM with its
 * code, and the long tail Go ≥1.24 reactors import are stubs returning cpp-host's errnos.
 */

import { Errno, LogLevel } from "./enums.ts";
import { MemoryFault } from "./guest-memory.ts";
import { WASI_SIGNATURES } from "./import-table.ts";
import type { FilterVm } from "./vm.ts";

/** Thrown by `proc_exit` to unwind the guest; the VM reports it as a `proc_exit` failure. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
  }
}

const MAX_LINE = 64 * 1024;
const RANDOM_CHUNK = 65536; // crypto.getRandomValues' per-call maximum

export function createWasiImports(vm: FilterVm): Record<string, (...args: never[]) => unknown> {
  const pending = ["", ""]; // partial lines for fd 1 and fd 2
  const fault = (err: unknown): number => {
    if (err instanceof MemoryFault) return Errno.FAULT;
    throw err;
  };
  const emit = (fd: number, text: string) => {
    const level = fd === 1 ? LogLevel.INFO : LogLevel.ERROR;
    let buffered = pending[fd - 1] + text;
    let nl = buffered.indexOf("\n");
    while (nl !== -1) {
      vm.log(level, buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
    if (buffered.length > MAX_LINE) {
      vm.log(level, buffered);
      buffered = "";
    }
    pending[fd - 1] = buffered;
  };

  const impl: Record<string, (...args: never[]) => unknown> = {
    fd_write(fd: number, iovs: number, count: number, written: number): number {
      try {
        if (fd !== 1 && fd !== 2) return Errno.BADF;
        const m = vm.memory;
        m.check(iovs, (count >>> 0) * 8);
        let total = 0;
        let text = "";
        for (let i = 0; i < count >>> 0; i++) {
          const ptr = m.u32(iovs + i * 8);
          const len = m.u32(iovs + i * 8 + 4);
          text += m.string(ptr, len);
          total += len;
        }
        m.setU32(written, total);
        emit(fd, text);
        return Errno.SUCCESS;
      } catch (err) {
        return fault(err);
      }
    },
    clock_time_get(id: number, _precision: bigint, out: number): number {
      try {
        const t = vm.host.timers;
        let ms: number;
        if (id === 0) ms = t.now();
        else if (id === 1) ms = t.monotonic();
        else return Errno.INVAL;
        vm.memory.setU64FromNumber(out, Math.round(ms * 1e6));
        return Errno.SUCCESS;
      } catch (err) {
        return fault(err);
      }
    },
    clock_res_get(id: number, out: number): number {
      try {
        if (id !== 0 && id !== 1) return Errno.INVAL;
        vm.memory.setU64(out, 1000n);
        return Errno.SUCCESS;
      } catch (err) {
        return fault(err);
      }
    },
    random_get(ptr: number, len: number): number {
      try {
        const view = vm.memory.view(ptr, len);
        for (let off = 0; off < view.byteLength; off += RANDOM_CHUNK) {
          crypto.getRandomValues(view.subarray(off, Math.min(view.byteLength, off + RANDOM_CHUNK)) as Uint8Array<ArrayBuffer>);
        }
        return Errno.SUCCESS;
      } catch (err) {
        return fault(err);
      }
    },
    environ_sizes_get(count: number, size: number): number {
      try {
        vm.memory.setU32(count, 0);
        vm.memory.setU32(size, 0);
        return Errno.SUCCESS;
      } catch (err) {
        return fault(err);
      }
    },
    environ_get: (): number => Errno.SUCCESS,
    args_get: (): number => Errno.SUCCESS,
    proc_exit(code: number): never {
      throw new ProcExit(code >>> 0);
    },
    fd_fdstat_get(fd: number, out: number): number {
      try {
        if (fd > 2) return Errno.BADF;
        vm.memory.check(out, 24);
        const u8 = vm.memory.u8;
        u8.fill(0, out >>> 0, (out >>> 0) + 24);
        u8[out >>> 0] = 2; // character device
        return Errno.SUCCESS;
      } catch (err) {
        return fault(err);
      }
    },
    sched_yield: (): number => Errno.SUCCESS,
    poll_oneoff: (): number => Errno.NOTSUP,
    path_open: (): number => Errno.NOENT,
    fd_prestat_get: (): number => Errno.BADF,
    fd_prestat_dir_name: (): number => Errno.NOSYS,
  };
  impl.args_sizes_get = impl.environ_sizes_get;
  for (const name of Object.keys(WASI_SIGNATURES)) {
    if (impl[name]) continue;
    impl[name] = name.startsWith("fd_") ? () => Errno.BADF : () => Errno.NOSYS;
  }
  return impl;
}
