/**
 * `weir proxy` on Deno 2:
 *
 *   deno run -A --unstable-no-legacy-abort proxy/runtime/deno/main.ts proxy -c weir.yaml
 *
 * `--unstable-no-legacy-abort` only silences a notice (see http-server.ts); add
 * `--unstable-net` to use `--reuse-port`. npm dependencies (yaml, hono, binaryen) resolve from
 * node_modules through the repo's package.json; no deno.json is needed.
 */

import { Deno } from "./deno-api.ts";
import { runProxyCommand } from "./proxy-command.ts";
import { createDenoRuntime, watchFile } from "./runtime.ts";

const code = await runProxyCommand(Deno.args, {
  usage: "deno run -A proxy/runtime/deno/main.ts",
  createRuntime: (options) => createDenoRuntime(options),
  readTextFile: (path) => Deno.readTextFile(path),
  watch: watchFile,
  onSignal: (signal, handler) => Deno.addSignalListener(signal, handler),
});
Deno.exit(code);
