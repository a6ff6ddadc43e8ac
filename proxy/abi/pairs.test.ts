import { describe, expect, it } from "vitest";
import { EMPTY_MAP_ALTERNATES, HEADER_MAP_GOLDEN, HEADER_MAP_MALFORMED } from "../../test/fixtures/header-map-golden.ts";
import { HeaderMap } from "./header-map.ts";
import { decodePairs, encodePairs, pairsSize } from "./pairs.ts";

describe("pairs wire format (golden fixtures shared with the SDK)", () => {
  for (const fixture of HEADER_MAP_GOLDEN) {
    it(`encodes ${fixture.name} byte for byte`, () => {
      expect(encodePairs(fixture.pairs)).toEqual(fixture.bytes);
      expect(pairsSize(fixture.pairs)).toBe(fixture.bytes.byteLength);
    });
    it(`decodes ${fixture.name}`, () => {
      expect(decodePairs(fixture.bytes)).toEqual(fixture.pairs);
    });
  }
  for (const fixture of EMPTY_MAP_ALTERNATES) {
    it(`accepts the empty-map form ${fixture.name}`, () => {
      expect(decodePairs(fixture.bytes)).toEqual([]);
    });
  }
  for (const fixture of HEADER_MAP_MALFORMED) {
    it(`rejects ${fixture.name} (${fixture.why})`, () => {
      expect(decodePairs(fixture.bytes)).toBeUndefined();
    });
  }
  it("encodes a HeaderMap the same as its pairs", () => {
    const map = new HeaderMap([
      ["A", "1"],
      ["b", "22"],
    ]);
    expect(encodePairs(map)).toEqual(
      encodePairs([
        ["a", "1"],
        ["b", "22"],
      ]),
    );
  });
  it("refuses more than 1024 pairs, like cpp-host", () => {
    const many = Array.from({ length: 1025 }, (_, i) => [`k${i}`, "v"] as [string, string]);
    expect(decodePairs(encodePairs(many))).toBeUndefined();
  });
});

describe("HeaderMap.getAscii (lookups by guest key bytes)", () => {
  const map = new HeaderMap([
    [":path", "/a"],
    ["x-id", "1"],
    ["x-id", "2"],
  ]);
  const bytes = (s: string) => new TextEncoder().encode(s);
  it("finds the first value, case-insensitively", () => {
    expect(map.getAscii(bytes("X-ID"), 0, 4)).toBe("1");
    expect(map.getAscii(bytes(":path"), 0, 5)).toBe("/a");
  });
  it("answers undefined for an absent name and null for a non-ASCII key", () => {
    expect(map.getAscii(bytes("x-i"), 0, 3)).toBeUndefined();
    expect(map.getAscii(bytes("zürich"), 0, 7)).toBeNull();
  });
});
