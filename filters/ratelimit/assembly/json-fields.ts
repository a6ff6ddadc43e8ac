// Typed reads of a JSON object nested anywhere in the configuration, with problems recorded
// on the SDK's `Config` under their full path (`descriptors[1].limit.per`), so the host's
// load error names the field. The SDK's `Config` nests objects (`getObject`) but not arrays
// of objects, which `descriptors` is; this fills that gap for the filter.

import { Config, JsonKind, JsonValue } from "../../../sdk/assembly";

/** One JSON object of the configuration and the path that names it in errors. */
export class JsonFields {
  constructor(
    readonly config: Config,
    readonly raw: ArrayBuffer,
    readonly path: string,
    readonly object: JsonValue,
  ) {}

  /** Records `config: field "<path><field>" <message>`. */
  fail(field: string, message: string): void {
    this.config.fail(this.path + field, message);
  }

  /** The member `field`, or null when absent or JSON null. */
  member(field: string): JsonValue | null {
    const value = this.object.get(field);
    return value === null || value.kind == JsonKind.Null ? null : value;
  }

  /** Records "is not a known field" for every member not in `known`. */
  allowOnly(known: string[]): void {
    const keys = this.object.keys;
    for (let i = 0; i < keys.length; i++) {
      if (!known.includes(keys[i])) this.fail(keys[i], "is not a known field (known: " + known.join(", ") + ")");
    }
  }

  /** String `field`, or `fallback` when absent; records a wrong type. */
  string(field: string, fallback: string): string {
    const value = this.member(field);
    if (value === null) return fallback;
    if (value.kind != JsonKind.String) {
      this.fail(field, "must be a string, got " + this.quote(value));
      return fallback;
    }
    return value.stringValue;
  }

  /** Integer `field` in [min, max], or `fallback` when absent; records "is required" if `required`. */
  int(field: string, fallback: i64, min: i64, max: i64, required: bool = false): i64 {
    const value = this.member(field);
    if (value === null) {
      if (required) this.fail(field, "is required");
      return fallback;
    }
    if (value.kind != JsonKind.Number || !value.isInteger) {
      this.fail(field, "must be an integer, got " + this.quote(value));
      return fallback;
    }
    if (value.intValue < min || value.intValue > max) {
      this.fail(field, "must be between " + min.toString() + " and " + max.toString() + ", got " + this.quote(value));
      return fallback;
    }
    return value.intValue;
  }

  /** Object `field` as nested fields, or null (recording "is required" or a wrong type). */
  nested(field: string): JsonFields | null {
    const value = this.member(field);
    if (value === null) {
      this.fail(field, "is required");
      return null;
    }
    return this.asObject(field, value);
  }

  /** Array `field`'s items, or null (recording "is required" or a wrong type). */
  array(field: string): JsonValue[] | null {
    const value = this.member(field);
    if (value === null) {
      this.fail(field, "is required");
      return null;
    }
    if (value.kind != JsonKind.Array) {
      this.fail(field, "must be an array, got " + this.quote(value));
      return null;
    }
    return value.items;
  }

  /** `value` (found under `field`) as nested fields, or null when it is not an object. */
  asObject(field: string, value: JsonValue): JsonFields | null {
    if (value.kind != JsonKind.Object) {
      this.fail(field, "must be an object, got " + this.quote(value));
      return null;
    }
    return new JsonFields(this.config, this.raw, this.path + field + ".", value);
  }

  /** The source text of `value`, shortened: what the user wrote. */
  quote(value: JsonValue): string {
    const text = String.UTF8.decodeUnsafe(changetype<usize>(this.raw) + <usize>value.start, <usize>(value.end - value.start));
    return text.length > 40 ? text.substring(0, 40) + "…" : text;
  }
}
