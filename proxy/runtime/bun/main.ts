/**
 * `weir proxy` on Bun 1:
 *
 *   bun proxy/runtime/bun/main.ts proxy -c weir.yaml
 *
 * npm dependencies (yaml, hono, binaryen) resolve from node_modules as usual.
 */

import { readFile } from "node:fs/promises";
import { runProxyCommand } from "../deno/proxy-command.ts";
import { createBunRuntime, watchFile } from "./runtime.ts";

const code = await runProxyCommand(process.argv.slice(2), {
  usage: "bun proxy/runtime/bun/main.ts",
  createRuntime: (options) => createBunRuntime(options),
  readTextFile: (path) => readFile(path, "utf8"),
  watch: watchFile,
  onSignal: (signal, handler) => void process.on(signal, handler),
});
process.exit(code);
