/**
 * The core of `weir validate -c FILE`: load the file, and say either what it configures or
 * every problem, one per line as `file:line:column path: message` (the format editors and CI
 * annotate). The CLI only prints `lines` and exits with `exitCode`.
 */

import { ConfigError, formatProblem } from "./errors.ts";
import { loadConfig, type ReadTextFile } from "./load.ts";
import type { ProxyConfig } from "./types.ts";

export interface ValidateResult {
  exitCode: 0 | 1;
  /** What to print: a one-line summary, or one line per problem. */
  lines: string[];
  config: ProxyConfig | undefined;
  error: ConfigError | undefined;
}

/**
 * Validates the config file at `path`.
 *
 * @example
 * ```ts
 * const result = await validateConfigFile("weir.yaml", { readFile: (p) => readFile(p, "utf8") });
 * for (const line of result.lines) console.log(line);
 * // weir.yaml: valid: 2 listeners, 2 filters, 4 routes, 2 clusters
 * process.exitCode = result.exitCode;
 * ```
 */
export async function validateConfigFile(path: string, options: { readFile: ReadTextFile }): Promise<ValidateResult> {
  try {
    const config = await loadConfig(path, options);
    return { exitCode: 0, lines: [`${path}: valid: ${summarize(config)}`], config, error: undefined };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { exitCode: 1, lines: err.problems.map(formatProblem), config: undefined, error: err };
  }
}

/**
 * Counts what a config sets up, e.g. "2 listeners, 2 filters, 4 routes, 2 clusters".
 *
 * @example
 * ```ts
 * summarize(parseConfig(text)); // "1 listener, 0 filters, 1 route, 1 cluster"
 * ```
 */
export function summarize(config: ProxyConfig): string {
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  const filters = config.listeners.reduce((n, l) => n + l.filters.length, 0);
  // A route table used by several listeners counts once.
  const hosts = new Set(config.listeners.flatMap((l) => l.virtualHosts));
  const routes = [...hosts].reduce((n, h) => n + h.routes.length, 0);
  return [
    count(config.listeners.length, "listener"),
    count(filters, "filter"),
    count(routes, "route"),
    count(config.clusters.length, "cluster"),
  ].join(", ");
}
