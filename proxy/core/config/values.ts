/**
 * Readers for single values: strings, numbers, booleans, enums, durations, sizes. Each says
 * in its message what is allowed and quotes what it got, ready to follow "<path>: ".
 */

import { DEFAULTS } from "./defaults.ts";
import { fields, listOf, type Read, show } from "./reader.ts";
import { type ConfigNode, toPlain } from "./source.ts";
import { didYouMean } from "./suggest.ts";
import { parseDuration, parseSize } from "./units.ts";

function scalarOf(node: ConfigNode): string | number | boolean | null | undefined {
  return node.kind === "scalar" ? node.value : undefined;
}

/** A string; `pattern` (with its description) restricts it. Empty strings are refused unless `allowEmpty`. */
export function text(options: { pattern?: RegExp; describe?: string; allowEmpty?: boolean } = {}): Read<string> {
  return (node, path, checker) => {
    const value = scalarOf(node);
    if (typeof value !== "string") {
      const quoteHint = typeof value === "number" || typeof value === "boolean" ? ` (quote it: "${value}")` : "";
      return void checker.report(node, path, `must be a string, got ${show(node)}${quoteHint}`);
    }
    if (value === "" && !options.allowEmpty) return void checker.report(node, path, "must not be empty");
    if (options.pattern && !options.pattern.test(value)) {
      return void checker.report(node, path, `must be ${options.describe ?? `a string matching ${options.pattern}`}, got ${show(node)}`);
    }
    return value;
  };
}

/** An integer from `min` to `max`. */
export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER): Read<number> {
  return (node, path, checker) => {
    const value = scalarOf(node);
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer from ${min}` : `an integer from ${min} to ${max}`;
    checker.report(node, path, `must be ${range}, got ${show(node)}`);
  };
}

/** A number from `min` to `max` (fractions allowed). */
export function decimal(min: number, max: number): Read<number> {
  return (node, path, checker) => {
    const value = scalarOf(node);
    if (typeof value === "number" && Number.isFinite(value) && value >= min && value <= max) return value;
    checker.report(node, path, `must be a number from ${min} to ${max}, got ${show(node)}`);
  };
}

export const boolean: Read<boolean> = (node, path, checker) => {
  const value = scalarOf(node);
  if (typeof value === "boolean") return value;
  const hint =
    typeof value === "string" && /^(yes|no|on|off|True|False|TRUE|FALSE)$/.test(value) ? " (YAML 1.2 booleans are true and false)" : "";
  checker.report(node, path, `must be true or false, got ${show(node)}${hint}`);
};

/**
 * One of `values` (strings or numbers), with a did-you-mean.
 *
 * @example
 * ```ts
 * oneOf(["fail-closed", "fail-open", "reload"]);
 * // reports: must be one of fail-closed, fail-open, reload; got "fail-close" (did you mean "fail-closed"?)
 * ```
 */
export function oneOf<const T extends string | number>(values: readonly T[]): Read<T> {
  return (node, path, checker) => {
    const value = scalarOf(node);
    if ((values as readonly unknown[]).includes(value)) return value as T;
    const hint = typeof value === "string" ? didYouMean(value, values.map(String)) : "";
    checker.report(node, path, `must be one of ${values.join(", ")}; got ${show(node)}${hint}`);
  };
}

function unitReader(parse: (value: string | number) => number, expected: string): Read<number> {
  return (node, path, checker) => {
    const value = scalarOf(node);
    if (typeof value !== "string" && typeof value !== "number")
      return void checker.report(node, path, `must be ${expected}, got ${show(node)}`);
    try {
      return parse(value);
    } catch (err) {
      checker.report(node, path, (err as Error).message);
    }
  };
}

/** "250ms", "10s", "1m30s" or a number of ms; see `parseDuration`. */
export const duration: Read<number> = unitReader(parseDuration, 'a duration like "250ms", "10s" or "1m"');

/** A duration above zero, for intervals (0 would spin). */
export const positiveDuration: Read<number> = (node, path, checker) => {
  const ms = duration(node, path, checker);
  if (ms === 0) return void checker.report(node, path, `must be above 0, got ${show(node)}`);
  return ms;
};

/** "60KiB", "64MiB" or a number of bytes; see `parseSize`. */
export const size: Read<number> = unitReader(parseSize, 'a size like "60KiB", "64MiB" or a number of bytes');

/**
 * Opaque data handed to a filter: a YAML string is passed as is, anything else as JSON.
 *
 * @example
 * ```ts
 * // config: { header: x-user }  ->  '{"header":"x-user"}'
 * // config: "plain text"        ->  'plain text'
 * ```
 */
export const opaque: Read<string> = (node) => {
  if (node.kind === "scalar" && typeof node.value === "string") return node.value;
  if (node.kind === "scalar" && node.value === null) return "";
  return JSON.stringify(toPlain(node));
};

/** Names of listeners, filters, clusters, route tables: they appear in stats and logs. */
export const name: Read<string> = text({
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  describe: 'a name of letters, digits, ".", "_" and "-" (starting with a letter or digit)',
});

/** A list of names, or "*" for any. */
export function namesOrAny(read: Read<string>): Read<string[] | "*"> {
  const list = listOf(read);
  return (node, path, checker) => {
    if (node.kind === "scalar" && node.value === "*") return "*";
    if (node.kind !== "list") return void checker.report(node, path, `must be "*" or a list of names, got ${show(node)}`);
    return list(node, path, checker);
  };
}

/** `{ base, max }` backoff; a `max` left out is 10 x `base` when `base` is set (as in Envoy), else the default's. */
export function backoff(defaults: { base: number; max: number }): Read<{ base: number; max: number }> {
  return (node, path, checker) => {
    const f = fields(node, path, checker, ["base", "max"]);
    if (!f) return undefined;
    const base = f.get("base", duration, defaults.base);
    const max = f.get("max", duration, f.has("base") ? DEFAULTS.backoffMax(base) : defaults.max);
    if (max < base) checker.report(f.value("max") ?? node, f.at("max"), `must not be below base (${base}ms), got ${max}ms`);
    return { base, max };
  };
}
