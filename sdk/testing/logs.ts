/**
 * What a filter logged, by level: `proxy_log` lines, WASI stdout (info) and stderr (error)
 * lines, and the host's own lines about the filter (prefixed `[host] `, e.g. a trap or an
 * http call to an unknown cluster). The test host's logger writes here; nothing is printed.
 */

import type { LogEntry, LogLevelName } from "../../proxy/abi/index.ts";

/** The six proxy-wasm log levels, lowest first. */
export const LOG_LEVELS: readonly LogLevelName[] = ["trace", "debug", "info", "warn", "error", "critical"];

/**
 * A filter's log lines. Each level is a plain `string[]`, so vitest's own matchers apply.
 *
 * @example
 * ```ts
 * expect(host.logs.info).toContain("tick 1");
 * expect(host.logs.error).toEqual([]);
 * ```
 */
export class TestLogs {
  readonly trace: string[] = [];
  readonly debug: string[] = [];
  readonly info: string[] = [];
  readonly warn: string[] = [];
  readonly error: string[] = [];
  readonly critical: string[] = [];
  /** Every entry in order, with its level. */
  readonly all: { level: LogLevelName; message: string }[] = [];

  /** Records one entry (the test host's logger). */
  record(entry: LogEntry): void {
    this[entry.level].push(entry.message);
    this.all.push({ level: entry.level, message: entry.message });
  }

  /** The lines of `level` that contain `pattern` (a substring) or match it (a RegExp). */
  find(level: LogLevelName, pattern: string | RegExp): string[] {
    return this[level].filter((line) => matches(line, pattern));
  }

  /** Forgets every line (e.g. after set-up, so a test sees only what it caused). */
  clear(): void {
    for (const level of LOG_LEVELS) this[level].length = 0;
    this.all.length = 0;
  }

  /** The last `n` lines of every level, one per line as `level: message` (for failure messages). */
  tail(n = 10): string {
    return this.all
      .slice(-n)
      .map((e) => `${e.level}: ${e.message}`)
      .join("\n");
  }
}

/** True when `line` contains `pattern` (string) or matches it (RegExp). */
export function matches(line: string, pattern: string | RegExp): boolean {
  if (typeof pattern === "string") return line.includes(pattern);
  pattern.lastIndex = 0;
  return pattern.test(line);
}
