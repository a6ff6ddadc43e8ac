/**
 * Pins the WASI subset filters use (shared/reference/proxy-wasm-abi.md §1.4 "WASI imports"):
 * `fd_write` to fd 1 logs at info and fd 2 at error under both module names, any other fd is
 * BADF (8), and `clock_time_get` answers real time in nanoseconds.
 */

import { describe, expect, it } from "vitest";
import { buildGuestModule } from "../../test/fixtures/proxy-wasm-wat.ts";
import { createHost, type LogEntry } from "./index.ts";

const ERRNO_BADF = 8;

describe("WASI", () => {
  it("routes fd_write on fd 1 to info and fd 2 to error logs (wasi_snapshot_preview1 and wasi_unstable); fd 3 is BADF", async () => {
    const logs: LogEntry[] = [];
    const host = createHost({ logger: (e) => logs.push(e) });
    const filter = await host.loadFilter({
      name: "wasi",
      limits: { fuel: false },
      module: buildGuestModule({
        imports: [
          `(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))`,
          `(import "wasi_unstable" "fd_write" (func $fd_write_u (param i32 i32 i32 i32) (result i32)))`,
        ],
        data: [`(data (i32.const 1024) "to stdout\\n")`, `(data (i32.const 1040) "to stderr\\n")`],
        callbacks: {
          proxy_on_configure: `
            (i32.store (i32.const 3000) (i32.const 1024)) (i32.store (i32.const 3004) (i32.const 10))
            (i32.store (i32.const 3008) (i32.const 1040)) (i32.store (i32.const 3012) (i32.const 10))
            (i32.store (i32.const 2048) (call $fd_write (i32.const 1) (i32.const 3000) (i32.const 1) (i32.const 256)))
            (i32.store (i32.const 2052) (call $fd_write_u (i32.const 2) (i32.const 3008) (i32.const 1) (i32.const 260)))
            (i32.store (i32.const 2056) (call $fd_write (i32.const 3) (i32.const 3000) (i32.const 1) (i32.const 264)))
            (i32.const 1)`,
        },
      }),
    });
    const view = new DataView(filter.vm.exports.memory.buffer);
    expect([0, 1, 2].map((i) => view.getUint32(2048 + 4 * i, true))).toEqual([0, 0, ERRNO_BADF]);
    expect([view.getUint32(256, true), view.getUint32(260, true)]).toEqual([10, 10]);
    expect(logs).toEqual([
      { level: "info", filter: "wasi", message: "to stdout" },
      { level: "error", filter: "wasi", message: "to stderr" },
    ]);
  });

  it("answers clock_time_get REALTIME with the wall clock in nanoseconds and MONOTONIC as well", async () => {
    const host = createHost({ logger: () => {} });
    const filter = await host.loadFilter({
      name: "clock",
      limits: { fuel: false },
      module: buildGuestModule({
        imports: [`(import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))`],
        callbacks: {
          proxy_on_configure: `
            (i32.store (i32.const 2048) (call $clock_time_get (i32.const 0) (i64.const 1000) (i32.const 256)))
            (i32.store (i32.const 2052) (call $clock_time_get (i32.const 1) (i64.const 1000) (i32.const 264)))
            (i32.const 1)`,
        },
      }),
    });
    const view = new DataView(filter.vm.exports.memory.buffer);
    expect([view.getUint32(2048, true), view.getUint32(2052, true)]).toEqual([0, 0]);
    const realtimeMs = Number(view.getBigUint64(256, true) / 1_000_000n);
    expect(Math.abs(realtimeMs - Date.now())).toBeLessThan(5_000);
    expect(view.getBigUint64(264, true)).toBeGreaterThan(0n);
  });
});
