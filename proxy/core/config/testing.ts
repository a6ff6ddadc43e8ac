/**
 * Helpers for this folder's tests: YAML written as numbered lines, and the formatted problems
 * a text produces, so a test states the exact `file:line:column path: message` it expects.
 */

import { ConfigError, formatProblem } from "./errors.ts";
import { parseConfig } from "./load.ts";

/** Joins lines with "\n", so line n of the YAML is the nth argument. */
export function yamlLines(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

/** The formatted problems `text` has as `weir.yaml`; [] when it is valid. */
export function problemsOf(text: string): string[] {
  try {
    parseConfig(text, { file: "weir.yaml" });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem);
    throw err;
  }
}

/** A valid listener and cluster to put before or after the part a test is about. */
export const BASE = yamlLines(
  "listeners:",
  "  - name: inbound",
  "    port: 15006",
  "    routes:",
  "      - cluster: app",
  "clusters:",
  "  - name: app",
  '    endpoints: ["127.0.0.1:8080"]',
);
