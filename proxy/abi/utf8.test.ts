/**
 * The host's UTF-8 helpers: `StringCache` must give back exactly what a fresh decode would,
 * whatever it kept before (a hit needs every byte to match), for names and for values.
 */

import { describe, expect, it } from "vitest";
import { CHAR_LOOP_MAX, decodeUtf8, StringCache, utf8Length, writeUtf8 } from "./utf8.ts";

const encoder = new TextEncoder();

/** `text` at an odd offset inside a larger buffer, as a guest's memory holds it. */
function inMemory(text: string | Uint8Array): { bytes: Uint8Array; start: number; len: number } {
  const encoded = typeof text === "string" ? encoder.encode(text) : text;
  const bytes = new Uint8Array(encoded.length + 11).fill(0x41);
  bytes.set(encoded, 7);
  return { bytes, start: 7, len: encoded.length };
}

describe("StringCache", () => {
  for (const [label, cache] of [
    ["names (every length kept)", () => new StringCache()],
    ["values (short ones decoded each time)", () => new StringCache(CHAR_LOOP_MAX + 1)],
  ] as const) {
    it(`decodes exactly what was passed, hit or miss: ${label}`, () => {
      const strings = cache();
      const samples = [
        "ratelimit-limit",
        "ratelimit-reset", // differs from the one above in the middle
        "weir:rl:v1:per-key#1234",
        "weir:rl:v1:per-key#1235",
        "0",
        "1000000000",
        "héllo wörld",
        "x".repeat(64),
        "y".repeat(65), // longer than anything kept
        "",
      ];
      for (let round = 0; round < 3; round++) {
        for (const sample of samples) {
          const { bytes, start, len } = inMemory(sample);
          expect(strings.decode(bytes, start, len)).toBe(sample);
        }
      }
      // A changing counter between two reads of a name never yields a stale string.
      for (let i = 0; i < 500; i++) {
        const counter = inMemory(String(999_999_000 + i));
        expect(strings.decode(counter.bytes, counter.start, counter.len)).toBe(String(999_999_000 + i));
        const name = inMemory(i % 2 ? "ratelimit-remaining" : "ratelimit-reset");
        expect(strings.decode(name.bytes, name.start, name.len)).toBe(i % 2 ? "ratelimit-remaining" : "ratelimit-reset");
      }
    });
  }

  it("decodes invalid UTF-8 to U+FFFD, the same on a hit", () => {
    const strings = new StringCache();
    const { bytes, start, len } = inMemory(new Uint8Array([0x61, 0xff, 0x62]));
    expect(strings.decode(bytes, start, len)).toBe("a\uFFFDb");
    expect(strings.decode(bytes, start, len)).toBe("a\uFFFDb");
  });
});

describe("UTF-8 helpers", () => {
  it("measures and writes what TextEncoder would, ASCII or not", () => {
    for (const text of ["", "plain-ascii", "ü", "日本", "😀 emoji", `${"a".repeat(49)}é`]) {
      const expected = encoder.encode(text);
      expect(utf8Length(text)).toBe(expected.length);
      const out = new Uint8Array(expected.length + 2);
      expect(writeUtf8(out, 1, text)).toBe(expected.length);
      expect(out.subarray(1, 1 + expected.length)).toEqual(expected);
      expect(decodeUtf8(out, 1, 1 + expected.length)).toBe(text);
    }
  });
});
