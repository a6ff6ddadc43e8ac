#!/usr/bin/env node
// The weir CLI. Node 20 runs the compiled TypeScript in dist/ (built by `npm install`).
import { existsSync } from "node:fs";

const entry = new URL("../dist/bin/cli.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("weir: dist/ is missing — run `npm install` (or `npm run build`) in the weir checkout first");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
