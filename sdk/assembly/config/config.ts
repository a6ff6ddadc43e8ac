// The plugin (or VM) configuration as `onConfigure` receives it: raw text, or JSON read
// through typed getters that record every problem instead of failing on the first. After
// `onConfigure` returns, the SDK logs the problems and rejects the configuration, so a bad
// config fails the filter's load with a message that names the field:
//
//   config: field "limit" must be an integer, got "abc"
//
// Nothing is read from the host until a getter (or `text`) needs it.

import { BufferType } from "../abi/enums";
import { parseJsonAt } from "./json";
import { ConfigSource } from "./config-source";
import { JsonKind, JsonValue } from "./json-value";

/**
 * Configuration handed to `onConfigure` (plugin configuration) or `onVmStart` (VM
 * configuration). Readable only during that callback: copy what you need into fields.
 *
 * Getters take a field name of the top-level JSON object. `get*` return the fallback when
 * the field is absent or null; `require*` record "is required". A field of the wrong type
 * is always recorded. An empty configuration reads as `{}`.
 *
 * @example
 * ```ts
 * onConfigure(config: Config): bool {
 *   this.header = config.getString("header", "x-weir");
 *   this.limit = config.requireInt("limit", 1, 10_000);
 *   return true; // the SDK still rejects the config if a getter recorded a problem
 * }
 * ```
 */
export class Config {
  private source: ConfigSource;
  private object: JsonValue | null;
  private prefix: string;

  constructor(buffer: BufferType, size: u32) {
    this.source = new ConfigSource(buffer, size);
    this.object = null;
    this.prefix = "";
  }

  /** Size of the configuration in bytes. */
  get size(): u32 {
    return this.source.size;
  }

  /** The configuration as raw bytes. */
  get bytes(): ArrayBuffer {
    return this.source.load();
  }

  /** The configuration as text (for filters that do not use JSON). */
  get text(): string {
    return String.UTF8.decode(this.source.load());
  }

  /** Problems recorded so far, each a full message. */
  get errors(): string[] {
    return this.source.errors;
  }

  /** The JSON object of this level, parsing on first use (null when it is not an object). */
  get json(): JsonValue | null {
    if (this.prefix != "") return this.object;
    const source = this.source;
    if (!source.parsed) {
      source.parsed = true;
      const bytes = source.load();
      if (bytes.byteLength == 0) {
        const empty = new JsonValue();
        empty.kind = JsonKind.Object;
        source.root = empty;
      } else {
        const result = parseJsonAt(changetype<usize>(bytes), bytes.byteLength);
        const value = result.value;
        if (value === null) source.errors.push("config: invalid JSON at " + result.error);
        else if (value.kind != JsonKind.Object) source.errors.push("config: must be a JSON object, got " + source.excerpt(value));
        else source.root = value;
        source.broken = source.root === null;
      }
    }
    return source.root;
  }

  /** Records a problem with `field`: `config: field "<field>" <message>`. */
  fail(field: string, message: string): void {
    if (this.json === null && this.source.broken) return;
    this.source.errors.push("config: field \"" + this.prefix + field + "\" " + message);
  }

  /** Whether `field` is present and not null. */
  has(field: string): bool {
    return this.field(field) !== null;
  }

  /** Records "unknown field" for every field not in `known` (catches typos). */
  allowOnly(known: string[]): void {
    const object = this.json;
    if (object === null) return;
    for (let i = 0; i < object.keys.length; i++) {
      const key = object.keys[i];
      if (!known.includes(key)) this.fail(key, "is not a known field (known: " + known.join(", ") + ")");
    }
  }

  /** The member `field`, or null when absent, null, or the config is not an object. */
  field(field: string): JsonValue | null {
    const object = this.json;
    if (object === null) return null;
    const value = object.get(field);
    return value === null || value.kind == JsonKind.Null ? null : value;
  }

  private wrongType(field: string, expected: string, value: JsonValue): void {
    this.fail(field, "must be " + expected + ", got " + this.source.excerpt(value));
  }

  /** String `field`, or `fallback`. */
  getString(field: string, fallback: string): string {
    const value = this.field(field);
    if (value === null) return fallback;
    if (value.kind != JsonKind.String) {
      this.wrongType(field, "a string", value);
      return fallback;
    }
    return value.stringValue;
  }

  /** String `field`; records "is required" when absent. */
  requireString(field: string): string {
    if (!this.has(field)) this.fail(field, "is required");
    return this.getString(field, "");
  }

  /** Integer `field` within [min, max], or `fallback`. */
  getInt(field: string, fallback: i64, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    const value = this.field(field);
    if (value === null) return fallback;
    if (value.kind != JsonKind.Number || !value.isInteger) {
      this.wrongType(field, "an integer", value);
      return fallback;
    }
    if (value.intValue < min || value.intValue > max) {
      this.fail(field, "must be between " + min.toString() + " and " + max.toString() + ", got " + this.source.excerpt(value));
      return fallback;
    }
    return value.intValue;
  }

  /** Integer `field` within [min, max]; records "is required" when absent. */
  requireInt(field: string, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    if (!this.has(field)) this.fail(field, "is required");
    return this.getInt(field, 0, min, max);
  }

  /** Number `field`, or `fallback`. */
  getNumber(field: string, fallback: f64): f64 {
    const value = this.field(field);
    if (value === null) return fallback;
    if (value.kind != JsonKind.Number) {
      this.wrongType(field, "a number", value);
      return fallback;
    }
    return value.numberValue;
  }

  /** Number `field`; records "is required" when absent. */
  requireNumber(field: string): f64 {
    if (!this.has(field)) this.fail(field, "is required");
    return this.getNumber(field, 0);
  }

  /** Boolean `field`, or `fallback`. */
  getBool(field: string, fallback: bool): bool {
    const value = this.field(field);
    if (value === null) return fallback;
    if (value.kind != JsonKind.Bool) {
      this.wrongType(field, "true or false", value);
      return fallback;
    }
    return value.boolValue;
  }

  /** Boolean `field`; records "is required" when absent. */
  requireBool(field: string): bool {
    if (!this.has(field)) this.fail(field, "is required");
    return this.getBool(field, false);
  }

  /** Array-of-strings `field`, or `fallback`. */
  getStringArray(field: string, fallback: string[] = []): string[] {
    const value = this.field(field);
    if (value === null) return fallback;
    if (value.kind != JsonKind.Array) {
      this.wrongType(field, "an array of strings", value);
      return fallback;
    }
    const out = new Array<string>();
    for (let i = 0; i < value.items.length; i++) {
      const item = value.items[i];
      if (item.kind != JsonKind.String) {
        this.wrongType(field + "[" + i.toString() + "]", "a string", item);
        return fallback;
      }
      out.push(item.stringValue);
    }
    return out;
  }

  /** Object `field` as a nested config (its errors name `field.member`), or null when absent. */
  getObject(field: string): Config | null {
    const value = this.field(field);
    if (value === null) return null;
    if (value.kind != JsonKind.Object) {
      this.wrongType(field, "an object", value);
      return null;
    }
    return this.nested(field, value);
  }

  /** Object `field` as a nested config; records "is required" (and reads as `{}`) when absent. */
  requireObject(field: string): Config {
    const nested = this.getObject(field);
    if (nested !== null) return nested;
    if (!this.has(field)) this.fail(field, "is required");
    const empty = new JsonValue();
    empty.kind = JsonKind.Object;
    return this.nested(field, empty);
  }

  private nested(field: string, object: JsonValue): Config {
    const config = new Config(this.source.buffer, 0);
    config.source = this.source;
    config.object = object;
    config.prefix = this.prefix + field + ".";
    return config;
  }
}
