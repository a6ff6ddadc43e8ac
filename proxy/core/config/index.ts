/**
 * The proxy's configuration: a YAML file validated against a schema with precise errors
 * (file:line:column and field path, every problem at once, did-you-mean for misspellings),
 * normalized with every default filled in (`DEFAULTS`), and hot-reloadable (`watchConfig`).
 * Runtime-neutral: file reading and watching are injected.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * import { loadConfig } from "./proxy/core/config/index.ts";
 * const config = await loadConfig("weir.yaml", { readFile: (p) => readFile(p, "utf8") });
 * ```
 */

export { DEFAULTS } from "./defaults.ts";
export { ConfigError, type ConfigProblem, formatProblem } from "./errors.ts";
export { loadConfig, parseConfig, type ReadTextFile } from "./load.ts";
export type * from "./types.ts";
export { MAX_DURATION_MS, parseDuration, parseHostPort, parseSize } from "./units.ts";
export { summarize, type ValidateResult, validateConfigFile } from "./validate.ts";
export { type ConfigWatcher, type WatchConfigOptions, type WatchFile, watchConfig } from "./watch.ts";
