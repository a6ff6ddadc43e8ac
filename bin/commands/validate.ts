/** `weir validate -c FILE`: checks a proxy config and prints every problem as file:line:column. */

import { readFile } from "node:fs/promises";
import { validateConfigFile } from "../../proxy/core/config/validate.ts";

export async function validate(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const i = args.findIndex((a) => a === "-c" || a === "--config");
  const file = i === -1 ? args.find((a) => !a.startsWith("-")) : args[i + 1];
  if (!file) {
    out("usage: weir validate -c <weir.yaml>");
    return 2;
  }
  const result = await validateConfigFile(file, { readFile: (path) => readFile(path, "utf8") });
  for (const line of result.lines) out(line);
  return result.exitCode;
}
