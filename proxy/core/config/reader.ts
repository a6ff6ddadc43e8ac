/**
 * The schema vocabulary the section readers are written in. A `Checker` collects every
 * problem instead of stopping at the first; `Fields` reads one YAML map whose allowed keys are
 * declared up front (anything else is an "unknown field" with a did-you-mean); and small
 * value readers (`text`, `integer`, `oneOf`, `duration`, …) check one node each. A reader
 * that finds a problem reports it and returns a placeholder, so reading goes on and the
 * caller discards the result when `checker.problems` is not empty.
 */

import type { ConfigNode, MapNode, Position } from "./source.ts";
import { didYouMean } from "./suggest.ts";

export interface Problem extends Position {
  path: string;
  message: string;
}

/**
 * A name used before all names are known, checked by `references.ts` once reading is done.
 * `filter` references (per-route overrides) carry the `scope` of their routes: a route
 * table's name, or `listener:<name>` for a listener's inline routes.
 */
export interface Reference extends Position {
  kind: "cluster" | "routeTable" | "filter";
  name: string;
  path: string;
  scope?: string;
}

export class Checker {
  readonly problems: Problem[] = [];
  readonly references: Reference[] = [];
  report(at: Position, path: string, message: string): void {
    this.problems.push({ line: at.line, column: at.column, path, message });
  }
  refer(at: Position, path: string, kind: Reference["kind"], name: string, scope?: string): void {
    this.references.push({ line: at.line, column: at.column, path, kind, name, scope });
  }
}

/** Reads one node; reports and returns undefined when it is not acceptable. */
export type Read<T> = (node: ConfigNode, path: string, checker: Checker) => T | undefined;

/** Joins a field path: `join("listeners[0]", "port")` is `listeners[0].port`. */
export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** How a value is quoted in a message: strings in quotes, collections by kind. */
export function show(node: ConfigNode): string {
  if (node.kind === "map") return "a map";
  if (node.kind === "list") return "a list";
  if (node.value === null) return "an empty value";
  return typeof node.value === "string" ? JSON.stringify(node.value) : String(node.value);
}

/** The keys of a map, declared up front; `get` and `need` read them. */
export class Fields {
  constructor(
    readonly checker: Checker,
    readonly node: MapNode,
    readonly path: string,
  ) {}

  has(key: string): boolean {
    return this.node.entries.some((e) => e.key === key);
  }

  value(key: string): ConfigNode | undefined {
    return this.node.entries.find((e) => e.key === key)?.value;
  }

  at(key: string): string {
    return join(this.path, key);
  }

  /** The field's value read by `read`, or `fallback` when it is absent (or wrong, after reporting). */
  get<T>(key: string, read: Read<T>, fallback: T): T {
    const node = this.value(key);
    if (node === undefined) return fallback;
    return read(node, this.at(key), this.checker) ?? fallback;
  }

  /** Like `get`, for a field without a default: reports "is required" when absent. */
  need<T>(key: string, read: Read<T>, placeholder: T): T {
    if (!this.has(key)) this.checker.report(this.node, this.at(key), "is required");
    return this.get(key, read, placeholder);
  }

  /**
   * Which of `keys` is present; reports unless exactly one is (or none, when `optional`).
   * With several present it still returns the first, so the problems inside it are found too.
   */
  exactlyOne(keys: readonly string[], optional = false): string | undefined {
    const present = keys.filter((k) => this.has(k));
    if (present.length === 1 || (present.length === 0 && optional)) return present[0];
    const list = keys.map((k) => `"${k}"`).join(", ");
    if (present.length === 0) this.checker.report(this.node, this.path, `needs exactly one of ${list}; none is set`);
    else {
      const second = this.node.entries.find((e) => e.key === present[1])!;
      this.checker.report(second.at, this.path, `needs exactly one of ${list}; got ${present.map((k) => `"${k}"`).join(" and ")}`);
    }
    return present[0];
  }
}

/**
 * Opens a map whose keys must be among `allowed`; reports each unknown key at its position,
 * with a did-you-mean. Returns undefined (after reporting) when the node is not a map.
 *
 * @example
 * ```ts
 * const f = fields(node, "admin", checker, ["address", "port"]);
 * const port = f?.get("port", integer(1, 65535), 9901);
 * ```
 */
export function fields(node: ConfigNode, path: string, checker: Checker, allowed: readonly string[]): Fields | undefined {
  if (node.kind !== "map") {
    checker.report(node, path, `must be a map with fields ${allowed.join(", ")}; got ${show(node)}`);
    return undefined;
  }
  for (const entry of node.entries) {
    if (allowed.includes(entry.key)) continue;
    const hint = didYouMean(entry.key, allowed);
    const help = hint === "" ? `; expected one of ${allowed.join(", ")}` : hint;
    checker.report(entry.at, join(path, entry.key), `unknown field "${entry.key}"${help}`);
  }
  return new Fields(checker, node, path);
}

/** Reads every item of a list with `read` (item paths are `path[i]`); items that fail are left out, after reporting. */
export function listOf<T>(read: Read<T>, options: { min?: number } = {}): Read<T[]> {
  return (node, path, checker) => {
    if (node.kind !== "list") return void checker.report(node, path, `must be a list, got ${show(node)}`);
    if (node.items.length < (options.min ?? 0)) {
      return void checker.report(node, path, `must have at least ${options.min} item${options.min === 1 ? "" : "s"}`);
    }
    const out: T[] = [];
    node.items.forEach((item, i) => {
      const value = read(item, `${path}[${i}]`, checker);
      if (value !== undefined) out.push(value);
    });
    return out;
  };
}

/** Reports each repeat of a name read from a list: `duplicate <what> "x"<where> (first at line n)`. */
export function checkUnique(checker: Checker, items: { name: string; at: Position; path: string }[], what: string, where = ""): void {
  const first = new Map<string, Position>();
  for (const item of items) {
    const seen = first.get(item.name);
    if (seen) checker.report(item.at, item.path, `duplicate ${what} "${item.name}"${where} (first at line ${seen.line})`);
    else first.set(item.name, item.at);
  }
}

/** The `name` of each map in the list field `key` of `f`, with positions, for `checkUnique`. */
export function namedItems(f: Fields, key: string): { name: string; at: Position; path: string }[] {
  const list = f.value(key);
  if (list?.kind !== "list") return [];
  return list.items.flatMap((item, i) => {
    const entry = item.kind === "map" ? item.entries.find((e) => e.key === "name") : undefined;
    if (entry?.value.kind !== "scalar" || typeof entry.value.value !== "string") return [];
    return [{ name: entry.value.value, at: entry.value, path: `${f.at(key)}[${i}].name` }];
  });
}
