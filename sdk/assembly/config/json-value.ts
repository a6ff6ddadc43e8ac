// The values the JSON parser produces: a tagged `JsonValue` (kind plus the fields of that
// kind) and `JsonResult`, a value or an error with its position. Each value remembers the
// byte range it was parsed from, so configuration errors can quote what the user wrote.

/** What a JSON value is. */
export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** One parsed value. Arrays keep `items`; objects keep `keys` and `items` side by side. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  numberValue: f64 = 0;
  /** True for a number written without fraction or exponent that fits in an i64. */
  isInteger: bool = false;
  intValue: i64 = 0;
  stringValue: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];
  /** Byte offsets of the value's text in the source. */
  start: i32 = 0;
  end: i32 = 0;

  /** The member `key` of an object, or null. */
  get(key: string): JsonValue | null {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (unchecked(keys[i]) == key) return unchecked(this.items[i]);
    return null;
  }
}

/** The outcome of `parseJson`: a value, or an error with its position. */
export class JsonResult {
  constructor(public value: JsonValue | null, public error: string) {}
}
