// A small, strict JSON parser (RFC 8259) for plugin configuration: objects, arrays, strings
// with every escape (surrogate pairs included), numbers, true, false and null — and nothing
// else: no comments, trailing commas, single quotes, leading zeros, raw control characters or
// duplicate keys. It parses UTF-8 bytes in place and remembers where each value came from,
// so configuration errors can quote exactly what the user wrote.

import { escapeError, escapeErrorAt, unescapeJsonString } from "./json-string";
import { JsonKind, JsonResult, JsonValue } from "./json-value";

export { JsonKind, JsonResult, JsonValue };

/** Parses `text`. */
export function parseJson(text: string): JsonResult {
  const bytes = String.UTF8.encode(text);
  return parseJsonAt(changetype<usize>(bytes), bytes.byteLength);
}

/** Parses `len` UTF-8 bytes at `ptr` (which must stay alive meanwhile). */
export function parseJsonAt(ptr: usize, len: i32): JsonResult {
  const parser = new Parser(ptr, len);
  parser.skipSpace();
  const value = parser.value(0);
  if (parser.error == "") {
    parser.skipSpace();
    if (parser.pos < len) parser.fail("unexpected " + parser.describe() + " after the value");
  }
  if (parser.error != "") return new JsonResult(null, parser.position() + ": " + parser.error);
  return new JsonResult(value, "");
}

const MAX_DEPTH = 64;

class Parser {
  pos: i32 = 0;
  error: string = "";
  constructor(private ptr: usize, private len: i32) {}

  // @ts-ignore: decorator
  @inline peek(): u32 {
    return this.pos < this.len ? <u32>load<u8>(this.ptr + <usize>this.pos) : 0xffffffff;
  }

  fail(message: string): JsonValue {
    if (this.error == "") this.error = message;
    return new JsonValue();
  }

  /** `line L, column C` of the current position. */
  position(): string {
    let line = 1;
    let column = 1;
    for (let i = 0; i < this.pos && i < this.len; i++) {
      const c = load<u8>(this.ptr + <usize>i);
      if (c == 0x0a) {
        line++;
        column = 1;
      } else if ((c & 0xc0) != 0x80) column++;
    }
    return "line " + line.toString() + ", column " + column.toString();
  }

  /** The character at the current position, for messages. */
  describe(): string {
    if (this.pos >= this.len) return "end of input";
    const c = this.peek();
    if (c < 0x20 || c >= 0x7f) return "byte 0x" + c.toString(16);
    return "'" + String.fromCharCode(c) + "'";
  }

  skipSpace(): void {
    while (this.pos < this.len) {
      const c = this.peek();
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return;
      this.pos++;
    }
  }

  value(depth: i32): JsonValue {
    if (depth >= MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString() + " levels");
    const c = this.peek();
    const start = this.pos;
    let value: JsonValue;
    if (c == 0x7b) value = this.object(depth);
    else if (c == 0x5b) value = this.array(depth);
    else if (c == 0x22) {
      value = new JsonValue();
      value.kind = JsonKind.String;
      value.stringValue = this.string();
    } else if (c == 0x2d || c - 0x30 < 10) value = this.number();
    else if (this.literal("true")) {
      value = new JsonValue();
      value.kind = JsonKind.Bool;
      value.boolValue = true;
    } else if (this.literal("false")) {
      value = new JsonValue();
      value.kind = JsonKind.Bool;
    } else if (this.literal("null")) value = new JsonValue();
    else return this.fail("expected a value, got " + this.describe());
    value.start = start;
    value.end = this.pos;
    return value;
  }

  literal(word: string): bool {
    const n = word.length;
    if (this.pos + n > this.len) return false;
    for (let i = 0; i < n; i++) if (<u32>load<u8>(this.ptr + <usize>(this.pos + i)) != <u32>word.charCodeAt(i)) return false;
    this.pos += n;
    return true;
  }

  object(depth: i32): JsonValue {
    const value = new JsonValue();
    value.kind = JsonKind.Object;
    this.pos++; // {
    this.skipSpace();
    if (this.peek() == 0x7d) {
      this.pos++;
      return value;
    }
    for (;;) {
      if (this.peek() != 0x22) return this.fail("expected a string key, got " + this.describe());
      const keyAt = this.pos;
      const key = this.string();
      if (this.error != "") return value;
      if (value.get(key) !== null) {
        this.pos = keyAt;
        return this.fail("duplicate key \"" + key + "\"");
      }
      this.skipSpace();
      if (this.peek() != 0x3a) return this.fail("expected ':' after the key, got " + this.describe());
      this.pos++;
      this.skipSpace();
      const member = this.value(depth + 1);
      if (this.error != "") return value;
      value.keys.push(key);
      value.items.push(member);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return value;
      if (c != 0x2c) {
        this.pos--;
        return this.fail("expected ',' or '}', got " + this.describe());
      }
      this.skipSpace();
    }
    return value;
  }

  array(depth: i32): JsonValue {
    const value = new JsonValue();
    value.kind = JsonKind.Array;
    this.pos++; // [
    this.skipSpace();
    if (this.peek() == 0x5d) {
      this.pos++;
      return value;
    }
    for (;;) {
      const item = this.value(depth + 1);
      if (this.error != "") return value;
      value.items.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return value;
      if (c != 0x2c) {
        this.pos--;
        return this.fail("expected ',' or ']', got " + this.describe());
      }
      this.skipSpace();
    }
    return value;
  }

  /** A string starting at the opening quote; escapes are decoded into a temporary block. */
  string(): string {
    this.pos++; // "
    const start = this.pos;
    let escaped = false;
    for (;;) {
      if (this.pos >= this.len) {
        this.fail("unterminated string");
        return "";
      }
      const c = this.peek();
      if (c == 0x22) break;
      if (c < 0x20) {
        this.fail("control character " + this.describe() + " in a string (escape it)");
        return "";
      }
      if (c == 0x5c) {
        escaped = true;
        this.pos++;
      }
      this.pos++;
    }
    const end = this.pos;
    this.pos++; // "
    if (!escaped) return String.UTF8.decodeUnsafe(this.ptr + <usize>start, <usize>(end - start));
    const text = unescapeJsonString(this.ptr, start, end);
    if (text === null) {
      this.pos = escapeErrorAt();
      this.fail(escapeError());
      return "";
    }
    return text;
  }

  number(): JsonValue {
    const value = new JsonValue();
    value.kind = JsonKind.Number;
    const start = this.pos;
    const negative = this.peek() == 0x2d;
    if (negative) this.pos++;
    if (this.peek() == 0x30) this.pos++;
    else if (this.peek() - 0x31 < 9) while (this.peek() - 0x30 < 10) this.pos++;
    else return this.fail("invalid number");
    const digitsEnd = this.pos;
    let integral = true;
    if (this.peek() == 0x2e) {
      integral = false;
      this.pos++;
      if (this.peek() - 0x30 >= 10) return this.fail("expected a digit after '.'");
      while (this.peek() - 0x30 < 10) this.pos++;
    }
    if ((this.peek() | 0x20) == 0x65) {
      integral = false;
      this.pos++;
      if (this.peek() == 0x2b || this.peek() == 0x2d) this.pos++;
      if (this.peek() - 0x30 >= 10) return this.fail("expected a digit in the exponent");
      while (this.peek() - 0x30 < 10) this.pos++;
    }
    if (integral) {
      // Exact i64 when it fits: |value| ≤ 2^63 (2^63 only when negative).
      let magnitude: u64 = 0;
      let fits = true;
      for (let i = start + (negative ? 1 : 0); i < digitsEnd; i++) {
        const d = <u64>(load<u8>(this.ptr + <usize>i) - 0x30);
        if (magnitude > (0x8000000000000000 - d) / 10) fits = false;
        magnitude = magnitude * 10 + d;
      }
      if (fits && (negative || magnitude <= <u64>i64.MAX_VALUE)) {
        value.isInteger = true;
        value.intValue = negative ? <i64>(0 - magnitude) : <i64>magnitude;
        value.numberValue = <f64>value.intValue;
        return value;
      }
    }
    value.numberValue = parseFloat(String.UTF8.decodeUnsafe(this.ptr + <usize>start, <usize>(this.pos - start)));
    return value;
  }
}
