/**
 * Builds `examples/hello-filter` (AssemblyScript with the G-Core SDK and the WASI shim, as
 * that SDK's README prescribes) through weir's compile pipeline.
 */

import { join } from "node:path";
import { buildAssemblyScriptWithInfo, PACKAGE_ROOT } from "../../sdk/build/assemblyscript.ts";

export const HELLO_FILTER_CONFIG = "x-hello=weir";

export function buildHelloFilter(): Promise<{ bytes: Uint8Array; cached: boolean }> {
  return buildAssemblyScriptWithInfo({
    entry: join(PACKAGE_ROOT, "examples", "hello-filter", "assembly", "index.ts"),
    compiler: "0.28",
    asconfig: join(PACKAGE_ROOT, "node_modules", "@assemblyscript", "wasi-shim", "asconfig.json"),
    extraArgs: ["--use", "abort=abort_proc_exit"],
  });
}
