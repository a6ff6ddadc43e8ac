#!/usr/bin/env node
// The weir CLI. Node 20 runs the compiled TypeScript in dist/ (built by `npm install`).
import { existsSync } from "node:fs";
import { setFlagsFromString } from "node:v8";

// A proxy's per-request objects die young, but V8's allocation-site pretenuring sees the ones
// alive across a scavenge under load and starts allocating them in old space, where they die
// in costly full collections: measured on the proxy benchmark, 95 µs of CPU per request with
// it and 74 µs without. Set before any hot code runs.
setFlagsFromString("--no-allocation-site-pretenuring");

const entry = new URL("../dist/bin/cli.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("weir: dist/ is missing — run `npm install` (or `npm run build`) in the weir checkout first");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
