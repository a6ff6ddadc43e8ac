// Typed reading of a JSON object anywhere in the configuration, with errors named by the
// field's full path (`routes[2].match.prefix`). The SDK's `Config` reads the top level and
// nested objects but has no way into an array of objects (`routes[]`, `headers[]`), so this
// wraps a `JsonValue` and records problems through the top-level `Config.fail`: messages —
// and the failed load they cause — are exactly the SDK's.
//
//   config: field "routes[0].match.prefix" must be a string, got 5
//
// Lists of field names are one string ("prefix, path, regex"): it is what the messages
// print, and it keeps the filter small.

import { Config, JsonKind, JsonValue } from "../../../sdk/assembly";

/** Whether `list` ("a, b, c") has `name`. */
function listed(list: string, name: string): bool {
  for (let at = list.indexOf(name); at >= 0; at = list.indexOf(name, at + 1)) {
    const end = at + name.length;
    if ((at == 0 || list.charCodeAt(at - 1) == 0x20) && (end == list.length || list.charCodeAt(end) == 0x2c)) return true;
  }
  return false;
}

/** One JSON object of the configuration at `path` (`""` for the top level, else ending in `.`). */
export class Fields {
  constructor(
    readonly config: Config,
    readonly json: JsonValue,
    readonly path: string,
  ) {}

  /** The top-level object, or null when the configuration is not one (the SDK has recorded why). */
  static root(config: Config): Fields | null {
    const json = config.json;
    return json === null ? null : new Fields(config, json, "");
  }

  /** Records `config: field "<path><field>" <message>`. */
  fail(field: string, message: string): void {
    this.config.fail(this.path + field, message);
  }

  /** Records a problem with this object itself: `config: field "routes[0]" <message>`. */
  failHere(message: string): void {
    this.config.fail(this.path.substring(0, this.path.length - 1), message);
  }

  /** The member `field`, or null when it is absent or null. */
  field(field: string): JsonValue | null {
    const value = this.json.get(field);
    return value === null || value.kind == JsonKind.Null ? null : value;
  }

  has(field: string): bool {
    return this.field(field) !== null;
  }

  /** Records "is not a known field" for every member not in `known` ("a, b, c"). */
  allowOnly(known: string): void {
    const keys = this.json.keys;
    for (let i = 0; i < keys.length; i++) {
      if (!listed(known, keys[i])) this.fail(keys[i], "is not a known field (known: " + known + ")");
    }
  }

  /** Which one of `choices` ("a, b, c") is given ("" for none); records a second one. */
  oneOf(choices: string): string {
    let given = "";
    const keys = this.json.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (!listed(choices, key) || !this.has(key)) continue;
      if (given.length == 0) given = key;
      else this.fail(key, "cannot be combined with \"" + given + "\" (use one of " + choices + ")");
    }
    return given;
  }

  /** The source text of `value`, shortened, for "got …". */
  excerpt(value: JsonValue): string {
    const bytes = this.config.bytes;
    const text = String.UTF8.decodeUnsafe(changetype<usize>(bytes) + <usize>value.start, <usize>(value.end - value.start));
    return text.length > 40 ? text.substring(0, 40) + "…" : text;
  }

  /** The member `field` when it has `kind`; records "must be <expected>" when it has another. */
  typed(field: string, kind: JsonKind, expected: string): JsonValue | null {
    const value = this.field(field);
    if (value === null || value.kind == kind) return value;
    this.fail(field, "must be " + expected + ", got " + this.excerpt(value));
    return null;
  }

  /** String `field`, or `fallback`. */
  string(field: string, fallback: string): string {
    const value = this.typed(field, JsonKind.String, "a string");
    return value === null ? fallback : value.stringValue;
  }

  /** Non-empty string `field`; records "is required" when absent. */
  requireString(field: string): string {
    const value = this.field(field);
    if (value === null) this.fail(field, "is required");
    else if (value.kind == JsonKind.String && value.stringValue.length == 0) this.fail(field, "must not be empty");
    return this.string(field, "");
  }

  /** Integer `field` within [min, max], or `fallback`. */
  int(field: string, fallback: i32, min: i32, max: i32): i32 {
    const value = this.typed(field, JsonKind.Number, "an integer");
    if (value === null) return fallback;
    if (!value.isInteger || value.intValue < min || value.intValue > max) {
      this.fail(field, "must be an integer from " + min.toString() + " to " + max.toString() + ", got " + this.excerpt(value));
      return fallback;
    }
    return <i32>value.intValue;
  }

  /** Boolean `field`, or `fallback`. */
  bool(field: string, fallback: bool): bool {
    const value = this.typed(field, JsonKind.Bool, "true or false");
    return value === null ? fallback : value.boolValue;
  }

  /** Object `field`, or null when absent (or not an object, which is recorded). */
  object(field: string): Fields | null {
    const value = this.typed(field, JsonKind.Object, "an object");
    return value === null ? null : new Fields(this.config, value, this.path + field + ".");
  }

  /** The items of array `field` (none when absent; a non-array is recorded). */
  array(field: string): JsonValue[] {
    const value = this.typed(field, JsonKind.Array, "an array");
    return value === null ? [] : value.items;
  }

  /** Item `index` of array `field` as an object, or null (recorded) when it is not one. */
  item(field: string, index: i32): Fields | null {
    const value = this.field(field)!.items[index];
    const name = field + "[" + index.toString() + "]";
    if (value.kind == JsonKind.Object) return new Fields(this.config, value, this.path + name + ".");
    this.fail(name, "must be an object, got " + this.excerpt(value));
    return null;
  }

  /** The strings of array `field`, each checked. */
  strings(field: string): string[] {
    const items = this.array(field);
    const out = new Array<string>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.kind == JsonKind.String) out.push(item.stringValue);
      else this.fail(field + "[" + i.toString() + "]", "must be a string, got " + this.excerpt(item));
    }
    return out;
  }
}
