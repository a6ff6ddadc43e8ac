// A test module (not a filter) exposing the SDK's wire codecs to vitest: the pairs codec,
// run against the host's golden fixtures, and the JSON parser. Strings cross as AssemblyScript
// objects the test reads right away (before its next call can collect them).
import "../../../../sdk/assembly/abi/failure"; // the abort handler (weir_abort)
import { decodePairsAt, encodePairs, HeaderPair } from "../../../../sdk/assembly/pairs";
import { JsonKind, JsonValue, parseJsonAt } from "../../../../sdk/assembly/config/json";

export function alloc(size: usize): usize {
  return heap.alloc(size);
}

let decoded: HeaderPair[] = [];

/** Decodes a pairs buffer; returns the number of pairs, or -1 when it is malformed. */
export function decode(ptr: usize, size: usize): i32 {
  const pairs = decodePairsAt(ptr, size);
  if (pairs === null) return -1;
  decoded = pairs;
  return pairs.length;
}

export function decodedName(i: i32): string {
  return decoded[i].name;
}

export function decodedValue(i: i32): string {
  return decoded[i].value;
}

let building: HeaderPair[] = [];

export function resetPairs(): void {
  building = [];
}

/** Adds a pair given as UTF-8 bytes. */
export function pushPair(name: usize, nameSize: usize, value: usize, valueSize: usize): void {
  building.push(new HeaderPair(String.UTF8.decodeUnsafe(name, nameSize), String.UTF8.decodeUnsafe(value, valueSize)));
}

/** Encodes the pairs pushed since `resetPairs`. */
export function encode(): ArrayBuffer {
  return encodePairs(building);
}

/** Parses JSON and re-serializes it (as JSON.stringify would), or returns "error: <message>". */
export function parse(ptr: usize, size: i32): string {
  const result = parseJsonAt(ptr, size);
  const value = result.value;
  return value === null ? "error: " + result.error : dump(value);
}

/** "int:<i64>" or "float:<f64>" for a JSON number. */
export function number(ptr: usize, size: i32): string {
  const value = parseJsonAt(ptr, size).value;
  if (value === null || value.kind != JsonKind.Number) return "not a number";
  return value.isInteger ? "int:" + value.intValue.toString() : "float:" + value.numberValue.toString();
}

function dump(value: JsonValue): string {
  switch (value.kind) {
    case JsonKind.Null:
      return "null";
    case JsonKind.Bool:
      return value.boolValue ? "true" : "false";
    case JsonKind.Number: {
      const n = value.numberValue;
      if (value.isInteger) return value.intValue.toString();
      return n == Math.floor(n) && Math.abs(n) < 1e15 ? (<i64>n).toString() : n.toString();
    }
    case JsonKind.String:
      return quote(value.stringValue);
    case JsonKind.Array: {
      const parts = new Array<string>();
      for (let i = 0; i < value.items.length; i++) parts.push(dump(value.items[i]));
      return "[" + parts.join(",") + "]";
    }
    default: {
      const parts = new Array<string>();
      for (let i = 0; i < value.items.length; i++) parts.push(quote(value.keys[i]) + ":" + dump(value.items[i]));
      return "{" + parts.join(",") + "}";
    }
  }
}

function quote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x08) out += "\\b";
    else if (c == 0x0c) out += "\\f";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}
