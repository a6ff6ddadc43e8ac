/**
 * The requests and response the host and filter benchmarks drive through a filter (`npm run bench:host`
 * on each runtime, and the SDK's `test/sdk-assembly/bench.ts`), so their figures compare.
 * Plain data: the Deno and Bun workers import it too.
 */

/** What every benchmark request starts with; each benchmark adds the headers its filter reads. */
export const BENCH_REQUEST_BASE: readonly [string, string][] = [
  [":method", "GET"],
  [":path", "/api/v1/items?limit=10"],
  [":authority", "app.internal"],
  [":scheme", "http"],
  ["user-agent", "bench/1.0"],
  ["accept", "application/json"],
  ["x-request-id", "0f6b9a4e-6b1c-4c64-9b43-1c2f1a6d8e11"],
];

export const HOST_BENCH_REQUEST: [string, string][] = [
  ...BENCH_REQUEST_BASE,
  ["authorization", "Bearer abc.def.ghi"],
  ["x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"],
  ["cookie", "session=1234"],
  ["content-type", "application/json"],
];

export const HOST_BENCH_RESPONSE: [string, string][] = [
  [":status", "200"],
  ["content-type", "application/json"],
  ["content-length", "42"],
];
