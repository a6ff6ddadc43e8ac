// What the configuration describes: rate-limit descriptors, each a key (the request values
// that pick a bucket) and a token-bucket limit, read from JSON with every problem named by its
// path (`descriptors[0].limit.per`). See ../README.md for the reference.

import { Config, Counter, JsonKind, JsonValue, taggedMetricName } from "../../../sdk/assembly";
import { JsonFields } from "./json-fields";
import { Key } from "./key";

/** Fixed-point scale of stored token counts: a bucket holds tokens × UNIT. */
export const UNIT: i64 = 1_000_000;

export const MAX_DESCRIPTORS = 16;
export const MAX_COMPONENTS = 8;
export const MAX_NAME = 64;
const MAX_REQUESTS: i64 = 1_000_000_000;
const MAX_PER_MS: i64 = 366 * 86_400_000;
const DEFAULT_MAX_KEYS: i64 = 8192;

/** Where a key component's value comes from. */
export enum Source {
  /** `source.address` without its port. */
  RemoteAddress,
  /** `:path` without the query string. */
  Path,
  /** The verified mTLS peer identity (`weir.peer_identity`). */
  Identity,
  /** A request header, named by `Component.header`. */
  Header,
}

/** One part of a descriptor's key. */
export class Component {
  constructor(
    readonly source: Source,
    readonly header: string,
  ) {}
}

/** A descriptor: a key, a token bucket per key value, and its metrics. */
export class Descriptor {
  /** Bucket capacity in fixed-point tokens (`burst` × UNIT). */
  readonly capacity: i64;
  /** Refill rate in fixed-point tokens per millisecond. */
  readonly rate: f64;
  /** `burst` as the RateLimit-Limit header value. */
  readonly limitText: string;
  /** Prefix of this descriptor's logical keys, `weir:rl:v1:<name>:`, as UTF-8 (ASCII: names are). */
  readonly keyPrefix: ArrayBuffer;
  /** Prefix of its shared-data slots: `weir:rl:v1:<name>#`. */
  readonly slotPrefix: string;
  /** `slotPrefix` as UTF-8. */
  readonly slotPrefixBytes: ArrayBuffer;
  readonly allowed: Counter;
  readonly limited: Counter;
  readonly shadowLimited: Counter;
  readonly errors: Counter;
  /** This request's key for this descriptor (reused: one request is decided at a time). */
  readonly key: Key = new Key();

  constructor(
    readonly name: string,
    readonly components: Component[],
    readonly requests: i64,
    readonly perMs: i64,
    readonly burst: i64,
    readonly maxKeys: u32,
  ) {
    this.capacity = burst * UNIT;
    this.limitText = burst.toString();
    this.rate = (<f64>requests * <f64>UNIT) / <f64>perMs;
    this.keyPrefix = String.UTF8.encode("weir:rl:v1:" + name + ":");
    const slotPrefix = "weir:rl:v1:" + name + "#";
    this.slotPrefix = slotPrefix;
    this.slotPrefixBytes = String.UTF8.encode(slotPrefix);
    const tag = ["descriptor"];
    const value = [name];
    this.allowed = Counter.define(taggedMetricName("ratelimit_allowed", tag, value));
    this.limited = Counter.define(taggedMetricName("ratelimit_limited", tag, value));
    this.shadowLimited = Counter.define(taggedMetricName("ratelimit_shadow_limited", tag, value));
    this.errors = Counter.define(taggedMetricName("ratelimit_errors", tag, value));
  }
}

/** The whole configuration. */
export class Settings {
  descriptors: Descriptor[] = [];
  shadow: bool = false;
  headers: bool = true;
}

/** Reads the plugin configuration; problems are recorded on `config` and fail the load. */
export function readSettings(config: Config): Settings {
  const settings = new Settings();
  const json = config.json;
  if (json === null) return settings; // the SDK has recorded why
  const top = new JsonFields(config, config.bytes, "", json);
  top.allowOnly(["descriptors", "shadow", "headers"]);
  settings.shadow = config.getBool("shadow", false);
  settings.headers = config.getBool("headers", true);
  const items = top.array("descriptors");
  if (items === null) return settings;
  if (items.length == 0 || items.length > MAX_DESCRIPTORS) {
    top.fail("descriptors", "must list 1 to " + MAX_DESCRIPTORS.toString() + " descriptors, got " + items.length.toString());
    return settings;
  }
  const names = new Array<string>();
  for (let i = 0; i < items.length; i++) {
    const fields = top.asObject("descriptors[" + i.toString() + "]", items[i]);
    if (fields === null) continue;
    const descriptor = readDescriptor(fields);
    if (descriptor === null) continue;
    if (names.includes(descriptor.name)) {
      const why = " (an unnamed descriptor is named after its key): give each one a unique name";
      fields.fail("name", 'duplicates "' + descriptor.name + '"' + why);
      continue;
    }
    names.push(descriptor.name);
    settings.descriptors.push(descriptor);
  }
  return settings;
}

function readDescriptor(fields: JsonFields): Descriptor | null {
  fields.allowOnly(["name", "key", "limit", "maxKeys"]);
  // Read every field before giving up, so one load error lists every problem.
  const components = readKey(fields);
  const maxKeys = fields.int("maxKeys", DEFAULT_MAX_KEYS, 1, 1_000_000);
  const limit = fields.nested("limit");
  let requests: i64 = 0;
  let perMs: i64 = 0;
  let burst: i64 = 0;
  if (limit !== null) {
    limit.allowOnly(["requests", "per", "burst"]);
    requests = limit.int("requests", 0, 1, MAX_REQUESTS, true);
    perMs = readDuration(limit);
    burst = limit.int("burst", requests, 1, MAX_REQUESTS);
  }
  const nameValue = fields.member("name");
  let name = "";
  if (nameValue !== null) {
    name = fields.string("name", "");
    if (nameValue.kind == JsonKind.String && !isValidName(name)) {
      fields.fail("name", 'must be 1-64 characters of A-Z, a-z, 0-9, "_" and "-", got ' + fields.quote(nameValue));
      return null;
    }
  }
  if (components === null || requests == 0 || perMs == 0 || (nameValue !== null && name.length == 0)) return null;
  if (nameValue === null) name = defaultName(components);
  return new Descriptor(name, components, requests, perMs, burst, <u32>maxKeys);
}

function readKey(fields: JsonFields): Component[] | null {
  const items = fields.array("key");
  if (items === null) return null;
  if (items.length > MAX_COMPONENTS) {
    fields.fail("key", "may have at most " + MAX_COMPONENTS.toString() + " components, got " + items.length.toString());
    return null;
  }
  const components = new Array<Component>();
  for (let i = 0; i < items.length; i++) {
    const part = fields.asObject("key[" + i.toString() + "]", items[i]);
    if (part === null) return null;
    part.allowOnly(["source", "header"]);
    const source = part.member("source");
    const header = part.member("header");
    if ((source === null) == (header === null)) {
      fields.fail("key[" + i.toString() + "]", 'must have exactly one of "source" and "header"');
      return null;
    }
    if (header !== null) {
      const name = asciiLower(part.string("header", ""));
      if (name.length == 0 || name.length > 128) {
        part.fail("header", "must be a header name of 1-128 characters, got " + part.quote(header));
        return null;
      }
      components.push(new Component(Source.Header, name));
      continue;
    }
    const kind = part.string("source", "");
    if (kind == "remote_address") components.push(new Component(Source.RemoteAddress, ""));
    else if (kind == "path") components.push(new Component(Source.Path, ""));
    else if (kind == "identity") components.push(new Component(Source.Identity, ""));
    else {
      if ((source as JsonValue).kind == JsonKind.String) {
        part.fail("source", 'must be "remote_address", "path" or "identity", got ' + part.quote(source as JsonValue));
      }
      return null;
    }
  }
  return components;
}

/** `per`: a positive integer and a unit (`ms`, `s`, `m`, `h`, `d`), e.g. `1s`, `500ms`, `15m`; 0 when invalid. */
function readDuration(limit: JsonFields): i64 {
  const value = limit.member("per");
  if (value === null) {
    limit.fail("per", 'is required (e.g. "1s", "500ms", "1m", "1h", "1d")');
    return 0;
  }
  const text = value.kind == JsonKind.String ? value.stringValue : "";
  let digits = 0;
  while (digits < text.length && text.charCodeAt(digits) >= 0x30 && text.charCodeAt(digits) <= 0x39) digits++;
  const unit = text.substring(digits);
  let scale: i64 = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60_000;
  else if (unit == "h") scale = 3_600_000;
  else if (unit == "d") scale = 86_400_000;
  let amount: i64 = 0;
  for (let i = 0; i < digits && i < 12; i++) amount = amount * 10 + <i64>(text.charCodeAt(i) - 0x30);
  if (digits > 12) amount = 0;
  const ms = amount * scale;
  if (ms <= 0 || ms > MAX_PER_MS) {
    limit.fail("per", 'must be a duration from "1ms" to "366d" such as "1s", "500ms", "1m", "1h" or "1d", got ' + limit.quote(value));
    return 0;
  }
  return ms;
}

function asciiLower(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  }
  return out;
}

function isValidName(name: string): bool {
  if (name.length == 0 || name.length > MAX_NAME) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}

/** A name from the key: `remote_address`, `header-x-user_path`, `identity`; `global` for an empty key. */
function defaultName(components: Component[]): string {
  if (components.length == 0) return "global";
  let name = "";
  for (let i = 0; i < components.length; i++) {
    if (i > 0) name += "_";
    const c = components[i];
    if (c.source == Source.RemoteAddress) name += "remote_address";
    else if (c.source == Source.Path) name += "path";
    else if (c.source == Source.Identity) name += "identity";
    else {
      name += "header-";
      for (let j = 0; j < c.header.length; j++) {
        const ch = c.header.charCodeAt(j);
        const ok = (ch >= 0x30 && ch <= 0x39) || (ch >= 0x61 && ch <= 0x7a) || ch == 0x2d;
        name += ok ? String.fromCharCode(ch) : "_";
      }
    }
  }
  return name.length > MAX_NAME ? name.substring(0, MAX_NAME) : name;
}
