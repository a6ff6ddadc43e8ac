/**
 * The access logger: formats each finished request in the configured format and writes the
 * line to a sink. The sink is all a runtime provides (stdout, stderr, a file), in the
 * style of hono's adapters: the core decides what a line says, the runtime only where it goes.
 */

import { formatJson } from "./format-json.ts";
import { type CompiledFormat, compileFormat, ENVOY_DEFAULT_FORMAT } from "./format-text.ts";
import type { AccessLogRecord } from "./record.ts";

/** Where lines go. `line` is complete, trailing newline included; a sink may buffer. */
export interface AccessLogSink {
  write(line: string): void;
}

/** `text` is Envoy's default format (or `textFormat`), `json` one object per line, `off` nothing. */
export type AccessLogFormatName = "text" | "json" | "off";

export interface AccessLoggerOptions {
  format: AccessLogFormatName;
  /** A custom Envoy format string for `text` (Envoy's default otherwise); compiled now, so a bad one throws here. */
  textFormat?: string;
  sink: AccessLogSink;
  /** Called when the sink throws; logging never fails a request. */
  onError?: (error: unknown) => void;
}

export interface AccessLogger {
  /** False for the format `off`: callers may skip building records. */
  readonly enabled: boolean;
  /** Writes one line for `record` (nothing when the format is `off`). */
  log(record: AccessLogRecord): void;
}

/**
 * @example
 * ```ts
 * const logger = createAccessLogger({ format: "json", sink: { write: (line) => process.stdout.write(line) } });
 * logger.log(record);
 * ```
 */
export function createAccessLogger(options: AccessLoggerOptions): AccessLogger {
  const { sink, onError } = options;
  if (options.format === "off") return { enabled: false, log() {} };
  const format: CompiledFormat = options.format === "json" ? formatJson : compileFormat(options.textFormat ?? ENVOY_DEFAULT_FORMAT);
  return {
    enabled: true,
    log(record) {
      try {
        sink.write(format(record));
      } catch (err) {
        onError?.(err);
      }
    },
  };
}

/** A sink that keeps lines in memory (tests, the testing kit). */
export interface MemorySink extends AccessLogSink {
  readonly lines: string[];
}

/** @example `const sink = createMemorySink(); createAccessLogger({ format: "text", sink }); sink.lines` */
export function createMemorySink(): MemorySink {
  const lines: string[] = [];
  return {
    lines,
    write(line) {
      lines.push(line);
    },
  };
}
