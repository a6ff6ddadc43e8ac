/**
 * The few errors callers of the host catch. Each carries a stable `code` and a brand
 * (`Symbol.for`) so `instanceof`-like checks survive two copies of the package, as undici does
 * in `lib/core/errors.js`.
 */

const BRAND = Symbol.for("weir.error");

/** Base class: `code` is stable, the message says what was attempted and quotes the value. */
export class WeirError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }
  /** True for any weir error, even one thrown by another copy of this package. */
  static isWeirError(value: unknown): value is WeirError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** A filter could not be loaded; `problems` lists every reason found, not only the first. */
export class FilterLoadError extends WeirError {
  readonly filter: string;
  readonly problems: string[];
  /** Log lines the filter wrote before failing (e.g. during `proxy_on_configure`). */
  readonly logs: string[];
  constructor(filter: string, problems: string[], options?: { cause?: unknown; logs?: string[] }) {
    const logs = options?.logs ?? [];
    const list = problems.map((p) => `  - ${p}`).join("\n");
    const logText = logs.length > 0 ? `\nfilter log:\n${logs.map((l) => `  | ${l}`).join("\n")}` : "";
    super("WEIR_FILTER_LOAD", `Cannot load filter "${filter}":\n${list}${logText}`, options);
    this.filter = filter;
    this.problems = problems;
    this.logs = logs;
  }
}

/** Why a VM stopped: a Wasm trap, the CPU budget running out, `proc_exit`, or a host-side fault. */
export type TrapKind = "trap" | "fuel" | "proc_exit" | "memory" | "host";

/** A filter's VM failed inside a callback. Names the filter, the callback and the cause. */
export class FilterTrapError extends WeirError {
  readonly filter: string;
  readonly callback: string;
  readonly kind: TrapKind;
  readonly exitCode: number | undefined;
  constructor(filter: string, callback: string, kind: TrapKind, detail: string, options?: { cause?: unknown; exitCode?: number }) {
    super("WEIR_FILTER_TRAP", `filter ${filter}: ${callback}: ${describeKind(kind)}: ${detail}`, options);
    this.filter = filter;
    this.callback = callback;
    this.kind = kind;
    this.exitCode = options?.exitCode;
  }
}

function describeKind(kind: TrapKind): string {
  switch (kind) {
    case "fuel":
      return "CPU budget exhausted";
    case "proc_exit":
      return "proc_exit";
    case "memory":
      return "memory limit";
    case "host":
      return "host error";
    default:
      return "trapped";
  }
}

/** Misuse of the ABI by the embedder (not by the guest), e.g. driving a stream after it ended. */
export class AbiError extends WeirError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WEIR_ABI", message, options);
  }
}
