/**
 * The entry points: `parseConfig` turns YAML text into a normalized `ProxyConfig` or throws
 * one `ConfigError` listing every problem; `loadConfig` does the same for a file, read through
 * an injected function so this module stays runtime-neutral.
 */

import { ConfigError, type ConfigProblem } from "./errors.ts";
import { readProxyConfig } from "./proxy-config.ts";
import { Checker } from "./reader.ts";
import { parseSource } from "./source.ts";
import type { ProxyConfig } from "./types.ts";

/** Reads a whole text file (e.g. `(p) => readFile(p, "utf8")` from `node:fs/promises`, or `Deno.readTextFile`). */
export type ReadTextFile = (path: string) => Promise<string>;

/**
 * Parses and validates a config. `file` names the source in problems (default "weir.yaml").
 *
 * @throws {ConfigError} listing every problem, each with file:line:column and field path.
 *
 * @example
 * ```ts
 * const config = parseConfig("listeners:\n  - name: in\n    port: 8080\n    routes:\n      - directResponse: { status: 200 }\n");
 * config.listeners[0].limits.maxHeaders; // 100
 * config.admin; // { address: "127.0.0.1", port: 9901 }
 * ```
 */
export function parseConfig(text: string, options: { file?: string } = {}): ProxyConfig {
  const file = options.file ?? "weir.yaml";
  const source = parseSource(text);
  if (source.root === undefined) {
    throw new ConfigError(
      file,
      source.problems.map((p) => ({ file, path: "", line: p.line, column: p.column, message: p.message })),
    );
  }
  const checker = new Checker();
  const config = readProxyConfig(source.root, checker);
  if (checker.problems.length > 0) {
    throw new ConfigError(
      file,
      checker.problems.map((p): ConfigProblem => ({ file, ...p })),
    );
  }
  return config;
}

/**
 * Reads and parses the config file at `path`.
 *
 * @throws {ConfigError} when the file cannot be read (with the read error as `cause`) or is invalid.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * const config = await loadConfig("weir.yaml", { readFile: (p) => readFile(p, "utf8") });
 * ```
 */
export async function loadConfig(path: string, options: { readFile: ReadTextFile }): Promise<ProxyConfig> {
  let text: string;
  try {
    text = await options.readFile(path);
  } catch (err) {
    const message = `cannot read the config file: ${(err as Error)?.message ?? String(err)}`;
    throw new ConfigError(path, [{ file: path, path: "", line: 0, column: 0, message }], { cause: err });
  }
  return parseConfig(text, { file: path });
}
