// How one request value is compared — Envoy's StringMatcher (exact, prefix, suffix,
// contains, regex) and its header and query-parameter matchers (presence, `invert`) — and
// the small parsers that find a query parameter or a cookie without building a map.
// https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-headermatcher

import { Fields } from "./fields";
import { compileRegex, regexError, regexMatches } from "./regex";

export const EXACT: u8 = 0;
export const PREFIX: u8 = 1;
export const SUFFIX: u8 = 2;
export const CONTAINS: u8 = 3;
export const REGEX: u8 = 4;

/** `text` with ASCII letters in lower case (header names). */
export function asciiLower(text: string): string {
  return asciiCase(text, 0x41, 0x20);
}

/** `text` with ASCII letters in upper case (methods). */
export function asciiUpper(text: string): string {
  return asciiCase(text, 0x61, -0x20);
}

function asciiCase(text: string, from: u32, shift: i32): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = <u32>text.charCodeAt(i);
    out += String.fromCharCode(c - from < 26 ? c + shift : c);
  }
  return out;
}

/** Whether `text[offset…]` starts with `value`. */
export function regionMatches(text: string, offset: i32, value: string): bool {
  const n = value.length;
  if (offset < 0 || offset + n > text.length) return false;
  return memory.compare(changetype<usize>(text) + (<usize>offset << 1), changetype<usize>(value), <usize>n << 1) == 0;
}

/** The code unit at `index`, which the caller has checked is inside `text`. */
// @ts-ignore: decorator
@inline
export function codeAt(text: string, index: i32): i32 {
  return <i32>load<u16>(changetype<usize>(text) + (<usize>index << 1));
}

/** The index of code unit `c` in `text` from `from`, or `text.length`. */
export function find(text: string, c: i32, from: i32): i32 {
  const n = text.length;
  while (from < n && codeAt(text, from) != c) from++;
  return from;
}

/** A compiled string matcher. */
export class StringMatch {
  constructor(
    readonly kind: u8,
    readonly value: string,
    readonly regex: StaticArray<i32> | null,
  ) {}

  /** Whether it matches `text[0, end)`. */
  matches(text: string, end: i32): bool {
    const value = this.value;
    const n = value.length;
    const kind = this.kind;
    if (kind == REGEX) return regexMatches(this.regex!, text, 0, end);
    if (kind == EXACT) return end == n && regionMatches(text, 0, value);
    if (kind == PREFIX) return end >= n && regionMatches(text, 0, value);
    if (kind == SUFFIX) return end >= n && regionMatches(text, end - n, value);
    for (let i = 0; i <= end - n; i++) if (regionMatches(text, i, value)) return true;
    return false;
  }
}

/**
 * Reads matcher `field` (`exact`, `prefix`, `suffix`, `contains` or `regex`) of `fields`; a
 * regex that does not compile is recorded as `is not a supported regex: …`.
 */
export function readStringMatch(fields: Fields, field: string): StringMatch {
  const value = fields.string(field, "");
  const kind = field == "exact" || field == "path" ? EXACT : field == "prefix" ? PREFIX : field == "suffix" ? SUFFIX : field == "contains" ? CONTAINS : REGEX;
  let regex: StaticArray<i32> | null = null;
  if (kind == REGEX && (regex = compileRegex(value)) === null) fields.fail(field, "is not a supported regex: " + regexError);
  return new StringMatch(kind, value, regex);
}

/**
 * A header or query-parameter condition. With no value matcher it tests presence
 * (`present: false` tests absence). An absent value fails every value matcher, inverted or
 * not, as in Envoy.
 */
export class ValueMatcher {
  constructor(
    readonly name: string,
    readonly string: StringMatch | null,
    readonly invert: bool,
  ) {}

  matches(value: string | null): bool {
    const string = this.string;
    if (string === null) return (value !== null) != this.invert;
    return value !== null && string.matches(value, value.length) != this.invert;
  }
}

/** Reads `{ name, exact|prefix|suffix|contains|regex|present, invert? }`; header names are lower-cased. */
export function readValueMatcher(fields: Fields, isHeader: bool): ValueMatcher {
  fields.allowOnly("name, exact, prefix, suffix, contains, regex, present, invert");
  const name = fields.requireString("name");
  const given = fields.oneOf("exact, prefix, suffix, contains, regex, present");
  let invert = fields.bool("invert", false);
  let string: StringMatch | null = null;
  if (given == "" || given == "present") {
    if (!fields.bool("present", true)) invert = !invert;
  } else string = readStringMatch(fields, given);
  return new ValueMatcher(isHeader ? asciiLower(name) : name, string, invert);
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  c |= 0x20;
  return c >= 0x61 && c <= 0x66 ? c - 0x61 + 10 : -1;
}

/**
 * `text[start, end)` with `%XX` decoded (as UTF-8) and `+` read as a space; malformed escapes
 * stay. A component with raw non-ASCII characters (never sent by a conforming client) is
 * left as it is.
 */
let scratch = new ArrayBuffer(64);

function decodeQueryComponent(text: string, start: i32, end: i32): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return text.substring(start, end);
    if (c == 0x25 || c == 0x2b) plain = false;
  }
  if (plain) return text.substring(start, end);
  // A global, so the GC keeps it while decodeUnsafe allocates the result.
  if (scratch.byteLength < end - start) scratch = new ArrayBuffer(end - start);
  const bytes = changetype<usize>(scratch);
  let n: usize = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c == 0x2b) c = 0x20;
    else if (c == 0x25 && i + 2 < end && (hexValue(text.charCodeAt(i + 1)) | hexValue(text.charCodeAt(i + 2))) >= 0) {
      c = (hexValue(text.charCodeAt(i + 1)) << 4) | hexValue(text.charCodeAt(i + 2));
      i += 2;
    }
    store<u8>(bytes + n++, <u8>c);
  }
  return String.UTF8.decodeUnsafe(bytes, n);
}

/**
 * The first value of query parameter `name` in `path`, whose query starts after index
 * `question` (the `?`), decoded; `""` for a bare `name`; null when it is absent.
 */
export function queryParam(path: string, question: i32, name: string): string | null {
  const end = path.length;
  for (let start = question + 1; start < end; ) {
    const stop = find(path, 0x26, start); // &
    let equals = find(path, 0x3d, start); // =
    if (equals > stop) equals = stop;
    // Names without escapes are compared in place: no allocation for the parameters passed over.
    const plain = equals - start == name.length && regionMatches(path, start, name);
    const escaped = find(path, 0x25, start) < equals || find(path, 0x2b, start) < equals; // % or +
    if (plain || (escaped && decodeQueryComponent(path, start, equals) == name)) {
      return equals == stop ? "" : decodeQueryComponent(path, equals + 1, stop);
    }
    start = stop + 1;
  }
  return null;
}

/** The value of cookie `name` in a `cookie` header (`a=1; b="2"`), quotes removed, or null. */
export function cookieValue(header: string, name: string): string | null {
  for (let start = 0; start < header.length; ) {
    const stop = find(header, 0x3b, start); // ;
    while (start < stop && codeAt(header, start) == 0x20) start++;
    let from = start + name.length;
    if (from < stop && codeAt(header, from) == 0x3d && regionMatches(header, start, name)) {
      from++;
      let to = stop;
      while (to > from && codeAt(header, to - 1) == 0x20) to--;
      if (to - from >= 2 && codeAt(header, from) == 0x22 && codeAt(header, to - 1) == 0x22) {
        from++;
        to--;
      }
      return header.substring(from, to);
    }
    start = stop + 1;
  }
  return null;
}
