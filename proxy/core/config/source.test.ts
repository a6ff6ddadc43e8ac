import { describe, expect, it } from "vitest";
import { type ConfigNode, parseSource, toPlain } from "./source.ts";

const rootOf = (text: string) => {
  const parsed = parseSource(text);
  if (parsed.root === undefined) throw new Error(JSON.stringify(parsed.problems));
  return parsed.root;
};

describe("parseSource", () => {
  it("keeps 1-based positions of keys and values", () => {
    const root = rootOf("a:\n  b: [1, x]\n") as ConfigNode & { kind: "map" };
    const a = root.entries[0];
    expect(a.at).toEqual({ line: 1, column: 1 });
    const b = (a.value as ConfigNode & { kind: "map" }).entries[0];
    expect(b.at).toEqual({ line: 2, column: 3 });
    expect(b.value).toEqual({
      kind: "list",
      line: 2,
      column: 6,
      items: [
        { kind: "scalar", value: 1, line: 2, column: 7 },
        { kind: "scalar", value: "x", line: 2, column: 10 },
      ],
    });
  });

  it("merges << keys: explicit keys win, then earlier maps", () => {
    const root = rootOf("x: &x { a: 1, b: 1 }\ny: &y { b: 2, c: 2 }\nz: { <<: [*x, *y], a: 0 }\n");
    expect(toPlain(root)).toEqual({ x: { a: 1, b: 1 }, y: { b: 2, c: 2 }, z: { a: 0, b: 1, c: 2 } });
  });

  it("turns plain scalar keys into strings and an empty file into an empty map", () => {
    expect(toPlain(rootOf("1: one\ntrue: yes\n"))).toEqual({ "1": "one", true: "yes" });
    expect(rootOf("# nothing\n")).toEqual({ kind: "map", line: 1, column: 1, entries: [] });
  });

  it("reports what it cannot represent, with positions", () => {
    expect(parseSource("a: &a [*a]\n").problems).toEqual([{ line: 1, column: 8, message: "alias *a refers to itself" }]);
    expect(parseSource("? [1, 2]\n: x\n").problems).toEqual([{ line: 1, column: 3, message: "map keys must be plain strings" }]);
    expect(parseSource("a: *nope\n").problems).toEqual([{ line: 1, column: 4, message: "unknown alias *nope" }]);
  });
});
