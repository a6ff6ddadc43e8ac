/**
 * The SDK's wire codecs inside Wasm: the pairs (header-map) codec against the golden fixtures
 * the host is tested with (test/fixtures/header-map-golden.ts), and the strict JSON parser.
 */

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildAssemblyScript } from "../../sdk/build/assemblyscript.ts";
import { EMPTY_MAP_ALTERNATES, HEADER_MAP_GOLDEN, HEADER_MAP_MALFORMED } from "../fixtures/header-map-golden.ts";
import { REPO_ROOT, SDK_ASCONFIG, sdkBuildArgs } from "./support.ts";

interface Codec {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  decode(ptr: number, size: number): number;
  decodedName(i: number): number;
  decodedValue(i: number): number;
  resetPairs(): void;
  pushPair(name: number, nameSize: number, value: number, valueSize: number): void;
  encode(): number;
  parse(ptr: number, size: number): number;
  number(ptr: number, size: number): number;
}

let codec: Codec;
const logs: string[] = [];

beforeAll(async () => {
  const wasm = await buildAssemblyScript({
    entry: join(REPO_ROOT, "test/sdk-assembly/codec/assembly/index.ts"),
    compiler: "0.28",
    asconfig: SDK_ASCONFIG,
    extraArgs: sdkBuildArgs(),
  });
  const env = {
    proxy_log: (_level: number, ptr: number, len: number) => {
      logs.push(new TextDecoder().decode(new Uint8Array(codec.memory.buffer, ptr, len)));
      return 0;
    },
  };
  const { instance } = await WebAssembly.instantiate(wasm, { env });
  codec = instance.exports as unknown as Codec;
});

/** Copies `bytes` into the module's memory. */
function put(bytes: Uint8Array): number {
  const ptr = codec.alloc(Math.max(1, bytes.byteLength));
  new Uint8Array(codec.memory.buffer).set(bytes, ptr);
  return ptr;
}
/** An AssemblyScript string: UTF-16LE, its byte length in the header word before it. */
function asString(ptr: number): string {
  const size = new DataView(codec.memory.buffer).getUint32(ptr - 4, true);
  return new TextDecoder("utf-16le").decode(new Uint8Array(codec.memory.buffer, ptr, size));
}
function asBytes(ptr: number): Uint8Array {
  const size = new DataView(codec.memory.buffer).getUint32(ptr - 4, true);
  return new Uint8Array(codec.memory.buffer, ptr, size).slice();
}

function decode(bytes: Uint8Array): [string, string][] | undefined {
  const n = codec.decode(put(bytes), bytes.byteLength);
  if (n < 0) return undefined;
  return Array.from({ length: n }, (_, i) => [asString(codec.decodedName(i)), asString(codec.decodedValue(i))]);
}

function encode(pairs: readonly (readonly [string, string])[]): Uint8Array {
  codec.resetPairs();
  const utf8 = new TextEncoder();
  for (const [name, value] of pairs) {
    const n = utf8.encode(name);
    const v = utf8.encode(value);
    codec.pushPair(put(n), n.byteLength, put(v), v.byteLength);
  }
  return asBytes(codec.encode());
}

describe("sdk pairs codec (golden fixtures)", () => {
  for (const fixture of HEADER_MAP_GOLDEN) {
    it(`encodes ${fixture.name}`, () => {
      expect(encode(fixture.pairs)).toEqual(fixture.bytes);
    });
    it(`decodes ${fixture.name}`, () => {
      expect(decode(fixture.bytes)).toEqual(fixture.pairs);
    });
  }
  for (const fixture of EMPTY_MAP_ALTERNATES) {
    it(`accepts ${fixture.name}`, () => {
      expect(decode(fixture.bytes)).toEqual([]);
    });
  }
  for (const fixture of HEADER_MAP_MALFORMED) {
    it(`rejects ${fixture.name} (${fixture.why})`, () => {
      expect(decode(fixture.bytes)).toBeUndefined();
    });
  }
});

function parse(json: string): string {
  const bytes = new TextEncoder().encode(json);
  return asString(codec.parse(put(bytes), bytes.byteLength));
}
function number(json: string): string {
  const bytes = new TextEncoder().encode(json);
  return asString(codec.number(put(bytes), bytes.byteLength));
}

describe("sdk JSON parser", () => {
  const valid = [
    '{"a": [1, -2, 3.5, true, false, null, "x"], "b": {}, "c": []}',
    ' \t\r\n{ "nested" : { "deeper" : [ [ ] , { } ] } } \n',
    '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00"',
    '"Zürich ✓ 😀"',
    '["\\u0000", "\\u001f", "a\\u0041"]',
    "0",
    "-0.25",
    "1e2",
    "1.5E-3",
    "[]",
    "null",
  ];
  for (const json of valid) {
    it(`parses ${json.trim()} as JavaScript does`, () => {
      expect(parse(json)).toBe(JSON.stringify(JSON.parse(json)));
    });
  }

  it("keeps integers exact up to the i64 range and falls back to floats beyond", () => {
    expect(number("9223372036854775807")).toBe("int:9223372036854775807");
    expect(number("-9223372036854775808")).toBe("int:-9223372036854775808");
    expect(number("9223372036854775808")).toBe("float:9223372036854776000.0");
    expect(number("10.0")).toBe("float:10.0");
    expect(number("-42")).toBe("int:-42");
  });

  const invalid: [string, string][] = [
    ["", "line 1, column 1: expected a value, got end of input"],
    ['{"a":1,}', "line 1, column 8: expected a string key, got '}'"],
    ["[1,]", "line 1, column 4: expected a value, got ']'"],
    ['{"a" 1}', "line 1, column 6: expected ':' after the key, got '1'"],
    ['{"a":1 "b":2}', "line 1, column 8: expected ',' or '}', got '\"'"],
    ["[1 2]", "line 1, column 4: expected ',' or ']', got '2'"],
    ["01", "line 1, column 2: unexpected '1' after the value"],
    ["1 2", "line 1, column 3: unexpected '2' after the value"],
    ["1.", "line 1, column 3: expected a digit after '.'"],
    ["1e", "line 1, column 3: expected a digit in the exponent"],
    ["-", "line 1, column 2: invalid number"],
    ["+1", "line 1, column 1: expected a value, got '+'"],
    [".5", "line 1, column 1: expected a value, got '.'"],
    ['"abc', "line 1, column 5: unterminated string"],
    ['"a\u0001"', "line 1, column 3: control character byte 0x1 in a string (escape it)"],
    ['"\\x"', "line 1, column 4: invalid escape in a string"],
    ['"\\u12"', "line 1, column 7: invalid escape in a string"],
    ['"\\ud800"', "line 1, column 8: unpaired surrogate in a \\u escape"],
    ['"\\udc00x"', "line 1, column 8: unpaired surrogate in a \\u escape"],
    ['{"a":1,"a":2}', 'line 1, column 8: duplicate key "a"'],
    ["tru", "line 1, column 1: expected a value, got 't'"],
    ["// comment\n{}", "line 1, column 1: expected a value, got '/'"],
    ["{'a': 1}", "line 1, column 2: expected a string key, got '''"],
    ["NaN", "line 1, column 1: expected a value, got 'N'"],
    [`${"[".repeat(65)}${"]".repeat(65)}`, "line 1, column 65: nesting deeper than 64 levels"],
    ['{\n  "a": 1,\n  "b": }', "line 3, column 8: expected a value, got '}'"],
  ];
  for (const [json, error] of invalid) {
    it(`rejects ${JSON.stringify(json)}: ${error}`, () => {
      expect(parse(json)).toBe(`error: ${error}`);
    });
  }

  it("accepts 64 levels of nesting", () => {
    expect(parse(`${"[".repeat(64)}${"]".repeat(64)}`)).toBe(`${"[".repeat(64)}${"]".repeat(64)}`);
  });

  it("never aborts while parsing (no log lines)", () => {
    expect(logs).toEqual([]);
  });
});
