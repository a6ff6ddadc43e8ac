/**
 * `weir proxy` on Deno 2:
 *
 *   deno run -A proxy/runtime/deno/main.ts proxy -c weir.yaml
 *
 * The repo's deno.json turns on `no-legacy-abort` (see http-server.ts): without it Deno aborts
 * every request's signal after its response, and dispatching that event cost about 4–9 µs of
 * CPU per proxied request (weir-deno behind wrk -c32, interleaved: 141.5 without, 137.8 and
 * 132.2 µs with). Deno finds the file from this entry point's folder up, whatever the working
 * directory; a copy of weir without it should pass `--unstable-no-legacy-abort`. Add
 * `--unstable-net` to use `--reuse-port`. npm dependencies (yaml, hono, binaryen) resolve from
 * node_modules through the repo's package.json.
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
