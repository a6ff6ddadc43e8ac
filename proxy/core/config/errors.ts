/**
 * `ConfigError`: everything wrong with a configuration file, found in one pass. Each problem
 * names the file, line and column of the offending YAML node and the field path
 * (`listeners[0].filters[1].failurePolicy`), so an editor can jump to it and a human can
 * find it without one.
 */

import { WeirError } from "../../abi/errors.ts";

/** One thing wrong with a config. `line` and `column` are 1-based; 0 when no position applies (e.g. the file cannot be read). */
export interface ConfigProblem {
  file: string;
  /** The field path, e.g. `listeners[0].port`; "" for the document itself. */
  path: string;
  line: number;
  column: number;
  message: string;
}

/**
 * Formats a problem the way compilers do: `file:line:column path: message`.
 *
 * @example
 * ```ts
 * formatProblem({ file: "weir.yaml", path: "listeners[0].port", line: 12, column: 7, message: "must be an integer from 1 to 65535, got 70000" });
 * // "weir.yaml:12:7 listeners[0].port: must be an integer from 1 to 65535, got 70000"
 * ```
 */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  return problem.path === "" ? `${where} ${problem.message}` : `${where} ${problem.path}: ${problem.message}`;
}

/**
 * A configuration could not be loaded. `problems` lists every problem found, in file order;
 * the message has a heading and then one formatted problem per line.
 *
 * @example
 * ```ts
 * try {
 *   parseConfig(text, { file: "weir.yaml" });
 * } catch (err) {
 *   if (err instanceof ConfigError) for (const p of err.problems) console.error(formatProblem(p));
 * }
 * ```
 */
export class ConfigError extends WeirError {
  readonly file: string;
  readonly problems: ConfigProblem[];
  constructor(file: string, problems: ConfigProblem[], options?: { cause?: unknown }) {
    const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
    const count = sorted.length === 1 ? "1 problem" : `${sorted.length} problems`;
    super("WEIR_CONFIG", `Invalid config ${file} (${count}):\n${sorted.map(formatProblem).join("\n")}`, options);
    this.file = file;
    this.problems = sorted;
  }
}
