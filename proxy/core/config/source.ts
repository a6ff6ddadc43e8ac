/**
 * Turns YAML text into a small tree of located nodes, the only shape the readers see. It
 * keeps each node's line and column (from the `yaml` package's `LineCounter`), resolves
 * aliases and `<<` merge keys, and reports syntax errors with their position. Keeping the
 * `yaml` AST out of the readers keeps them short and the parser swappable.
 */

import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

/** 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

export type ConfigNode = ScalarNode | MapNode | ListNode;

export interface ScalarNode extends Position {
  kind: "scalar";
  value: string | number | boolean | null;
}

export interface MapEntry {
  key: string;
  /** Where the key is written. */
  at: Position;
  value: ConfigNode;
}

export interface MapNode extends Position {
  kind: "map";
  entries: MapEntry[];
}

export interface ListNode extends Position {
  kind: "list";
  items: ConfigNode[];
}

export interface SourceProblem extends Position {
  message: string;
}

/** The document's root (an empty map for an empty file), or the syntax problems that stopped parsing. */
export type ParsedSource = { root: ConfigNode; problems: [] } | { root: undefined; problems: SourceProblem[] };

/**
 * Parses YAML text into located nodes.
 *
 * @example
 * ```ts
 * const { root } = parseSource("admin:\n  port: 9901\n");
 * // root: { kind: "map", line: 1, column: 1, entries: [{ key: "admin", … }] }
 * ```
 */
export function parseSource(text: string): ParsedSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): Position => {
    const { line, col } = lines.linePos(offset ?? 0);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return { root: undefined, problems: doc.errors.map((e) => ({ ...at(e.pos[0]), message: `YAML syntax: ${e.message}` })) };
  }
  const problems: SourceProblem[] = [];
  const root = doc.contents === null ? undefined : convert(doc, doc.contents, at, problems, new Set());
  if (problems.length > 0) return { root: undefined, problems };
  return { root: root ?? { kind: "map", line: 1, column: 1, entries: [] }, problems: [] };
}

type At = (offset: number | undefined) => Position;

function convert(doc: Document, node: Node, at: At, problems: SourceProblem[], open: Set<Node>): ConfigNode | undefined {
  const where = at(node.range?.[0]);
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) return void problems.push({ ...where, message: `unknown alias *${node.source}` });
    if (open.has(target)) return void problems.push({ ...where, message: `alias *${node.source} refers to itself` });
    return convert(doc, target, at, problems, open);
  }
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number") {
      return { kind: "scalar", value, ...where };
    }
    return void problems.push({ ...where, message: `unsupported YAML value ${String(node.source ?? value)} (tag ${node.tag ?? "?"})` });
  }
  open.add(node);
  try {
    if (isSeq(node)) {
      const items: ConfigNode[] = [];
      for (const item of node.items) {
        const converted = convert(doc, item as Node, at, problems, open);
        if (converted) items.push(converted);
      }
      return { kind: "list", items, ...where };
    }
    if (isMap(node)) return convertMap(doc, node.items, where, at, problems, open);
  } finally {
    open.delete(node);
  }
  return void problems.push({ ...where, message: "unsupported YAML node" });
}

function convertMap(
  doc: Document,
  pairs: { key: unknown; value: unknown }[],
  where: Position,
  at: At,
  problems: SourceProblem[],
  open: Set<Node>,
): MapNode {
  const entries: MapEntry[] = [];
  const merged: MapEntry[] = [];
  for (const pair of pairs) {
    const keyNode = pair.key as Node | null;
    const keyAt = at(keyNode?.range?.[0]);
    const key = isScalar(keyNode) ? keyNode.value : keyNode;
    const value =
      pair.value === null ? { kind: "scalar" as const, value: null, ...keyAt } : convert(doc, pair.value as Node, at, problems, open);
    if (typeof key === "symbol" && isScalar(keyNode) && keyNode.source === "<<") {
      // `<<: *base` or `<<: [*a, *b]`: explicit keys win, then earlier merged maps (YAML merge-key spec).
      const sources = value?.kind === "list" ? value.items : value ? [value] : [];
      for (const source of sources) {
        if (source.kind === "map") merged.push(...source.entries);
        else problems.push({ ...keyAt, message: "a << merge key takes a map or a list of maps" });
      }
    } else if (key === null || typeof key === "object") {
      problems.push({ ...keyAt, message: "map keys must be plain strings" });
    } else if (value) {
      entries.push({ key: String(key), at: keyAt, value });
    }
  }
  for (const entry of merged) if (!entries.some((e) => e.key === entry.key)) entries.push(entry);
  return { kind: "map", entries, ...where };
}

/** The plain JavaScript value of a node (for filter `config`, which is opaque to the proxy). */
export function toPlain(node: ConfigNode): unknown {
  if (node.kind === "scalar") return node.value;
  if (node.kind === "list") return node.items.map(toPlain);
  return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
}
