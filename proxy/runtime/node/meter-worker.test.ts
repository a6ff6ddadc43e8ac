import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { buildGuestModule } from "../../../test/fixtures/proxy-wasm-wat.ts";
import { meterBytes } from "../../abi/meter.ts";
import { createWorkerMeter } from "./meter-worker.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const COMPILED = join(ROOT, "dist/proxy/runtime/node/meter-worker.js");
const wasm = () => buildGuestModule({ data: ['(data (i32.const 4096) "worker-meter")'] });

describe("metering in a worker", () => {
  it("rewrites exactly as meterBytes does, here when the worker cannot load this TypeScript file", async () => {
    const meter = createWorkerMeter({ idleMs: 10 });
    const bytes = wasm();
    const [a, b] = await Promise.all([meter(bytes), meter(bytes)]);
    const expected = await meterBytes(bytes);
    expect(Buffer.from(a).equals(Buffer.from(expected))).toBe(true);
    expect(Buffer.from(b).equals(Buffer.from(expected))).toBe(true);
    expect(meter.stats.inWorker + meter.stats.inThread).toBe(2);
  });

  it("reports a module binaryen cannot read as an error, and keeps working", async () => {
    const meter = createWorkerMeter({ idleMs: 10 });
    await expect(meter(new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9]))).rejects.toThrow();
    const out = await meter(wasm());
    expect(WebAssembly.validate(out as BufferSource)).toBe(true);
  });

  it.runIf(existsSync(COMPILED))(
    "compiled: the rewrite runs in the worker thread, never in the caller, and the idle worker lets the process exit",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "weir-meter-worker-"));
      try {
        const input = join(dir, "in.wasm");
        await writeFile(input, wasm());
        const script = join(dir, "run.mjs");
        await writeFile(
          script,
          `import { readFileSync } from "node:fs";
import { createWorkerMeter } from ${JSON.stringify(COMPILED)};
import { meterBytes } from ${JSON.stringify(join(ROOT, "dist/proxy/abi/meter.js"))};
const meter = createWorkerMeter({ idleMs: 50 });
const bytes = new Uint8Array(readFileSync(${JSON.stringify(input)}));
const out = await meter(bytes);
const again = await meter(bytes);
console.log(JSON.stringify({ stats: meter.stats, validates: WebAssembly.validate(out), same: Buffer.from(out).equals(Buffer.from(again)) }));
// Left running on purpose: the process must end by itself once the worker is idle.
globalThis.meterBytes = meterBytes;
`,
        );
        const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 60_000 });
        const result = JSON.parse(stdout.trim());
        expect(result).toEqual({ stats: { inWorker: 2, inThread: 0 }, validates: true, same: true });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
