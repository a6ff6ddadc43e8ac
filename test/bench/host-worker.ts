/**
 * The host benchmark's measuring loop, runtime-neutral: it runs under Node (tsx), Deno and
 * Bun. Reads the filters from the directory given as argument and prints one JSON line of
 * results: µs per full stream (create → request headers → response headers → log/done/delete).
 */

import type * as Abi from "../../proxy/abi/index.ts";
import { HOST_BENCH_REQUEST as REQUEST, HOST_BENCH_RESPONSE as RESPONSE } from "./host-request.ts";

declare const Deno: { args: string[]; readFile(path: string): Promise<Uint8Array> } | undefined;

const args: string[] = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
const dir = args[0];
const streams = Number(args[1] ?? 100_000);
// "dist": measure the compiled host, as Node runs it in production.
const { createHost, HeaderMap }: typeof Abi = await import(
  args[2] === "dist" ? "../../dist/proxy/abi/index.js" : "../../proxy/abi/index.ts"
);

async function read(path: string): Promise<Uint8Array> {
  if (typeof Deno !== "undefined") return Deno.readFile(path);
  const { readFile } = await import("node:fs/promises");
  return new Uint8Array(await readFile(path));
}

async function measure(name: string, file: string, metered: boolean): Promise<{ filter: string; metered: boolean; usPerStream: number }> {
  const host = createHost({ logger: () => {} });
  const filter = await host.loadFilter({ name, module: await read(file), limits: metered ? {} : { fuel: false } });
  const callbacks = {};
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const stream = filter.createStream(callbacks);
      stream.onRequestHeaders(new HeaderMap(REQUEST), true);
      stream.onResponseHeaders(new HeaderMap(RESPONSE), true);
      stream.complete();
    }
  };
  run(Math.min(20_000, streams)); // warm up: let the engines tier up
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    run(streams / 5);
    samples.push(((performance.now() - start) * 1000) / (streams / 5));
  }
  samples.sort((a, b) => a - b);
  if (filter.state !== "ready") throw new Error(`${name} failed during the benchmark: ${filter.lastError?.message}`);
  return { filter: name, metered, usPerStream: samples[2] };
}

const results = [];
for (const name of ["raw-noop", "raw-headers", "sdk-noop"]) {
  for (const metered of [false, true]) results.push(await measure(name, `${dir}/${name}.wasm`, metered));
}
console.log(JSON.stringify(results));
