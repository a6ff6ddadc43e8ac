/**
 * Runs the smoke cases (smoke.ts) one after another on whatever runtime executes this file:
 *
 *   npx deno run -A test/runtimes/run.ts
 *   npx bun test/runtimes/run.ts
 *
 * (Node 20 cannot run .ts directly; it runs the same cases through vitest, smoke.test.ts.)
 * Prints `ok - <name>` / `not ok - <name>: <error>` per case, `#` comment lines with timings,
 * and last `<runtime> smoke: N passed, N failed`. Exits 1 if any case failed (or none ran).
 */

import process from "node:process";
import { cases, detectRuntime } from "./smoke.ts";

// performance.now() counts from process start on all three runtimes: this is start-up plus
// loading the host, the fixtures and binaryen.
const startup = performance.now();
const runtime = detectRuntime();
let passed = 0;
let failed = 0;
const timings: string[] = [];

for (const c of cases) {
  const t0 = performance.now();
  try {
    await c.run();
    passed++;
    console.log(`ok - ${c.name}`);
  } catch (err) {
    failed++;
    const message = err instanceof Error ? err.message : String(err);
    console.log(`not ok - ${c.name}: ${message.replace(/\n/g, "\n    ")}`);
    if (err instanceof Error && err.stack) console.error(err.stack);
  }
  timings.push(`${(performance.now() - t0).toFixed(0)} ms`);
}

const version =
  runtime === "deno"
    ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
    : runtime === "bun"
      ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
      : `node ${process.versions.node}`;
console.log(`# ${version}; start-up and imports ${startup.toFixed(0)} ms; cases: ${timings.join(", ")}`);
console.log(`# total ${performance.now().toFixed(0)} ms`);
console.log(`${runtime} smoke: ${passed} passed, ${failed} failed`);
// No case at all is a failure too (a broken import would otherwise look green).
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
