// The filter's configuration, read once in `onConfigure` into plain fields the request path
// uses without parsing anything. Problems are recorded through `Config.fail`, so the load error
// names the field (`config: field "rules[1].prefix" must start with /`); so are settings that
// would not mean what they say — claims on a rule an API key also passes, a rule shadowed by
// an earlier prefix. README.md is the reference.
//
// The members are read from the parsed JSON with the small `Fields` below rather than the
// SDK's typed getters, and the settings are one flat class: the module must stay under 64 KiB,
// of which the SDK takes two thirds.

import { Config, JsonKind, JsonValue } from "../../../sdk/assembly";
import { Jwk, readJwks, unusableKeys } from "./jwk";

/** A way to authenticate, as `require` names it: "jwt", "apiKey", "peer". */
export enum Method {
  Jwt,
  ApiKey,
  Peer,
}


/** A claim a rule requires (`values`: any one passes) or one forwarded upstream (`header`). */
export class Claim {
  constructor(
    readonly name: string,
    readonly values: string[],
    readonly header: string,
  ) {}
}

/** The credentials a path requires and what they must say. */
export class Rule {
  /** Path prefix ("" for the default rule). */
  prefix: string = "";
  /**
   * The methods any one of which authenticates the request, in the order they are tried:
   * method + 1 in each byte from the lowest, then 0. 0 means "none".
   */
  order: u32 = 0;
  /** `1 << method` for each method in `order`. */
  mask: u32 = 0;
  /** JWT claims that must be present (403 otherwise). */
  claims: Claim[] = [];

  accepts(method: Method): bool {
    return (this.mask & (1 << method)) != 0;
  }
}

/**
 * Everything the filter was configured with. The members of a method are set by
 * `readSettings` when that method is configured and read only then: until that, the ones
 * starting as `unset()` are null in all but type (which keeps this module small).
 */
export class Settings {
  /** `realm="…"` of the `WWW-Authenticate` challenges. */
  realm: string = "";
  /** `1 << method` for each configured method. */
  configured: u32 = 0;
  /** JWT: where the token is (`header` after `prefix` — "Bearer " in `authorization` — else cookie `cookie`) and what it must say. */
  header: string = "";
  prefix: string = "";
  cookie: string = "";
  issuers: string[] = unset<string[]>();
  audiences: string[] = unset<string[]>();
  skewSeconds: f64 = 60;
  forward: Claim[] = [];
  /** Inline keys; with `jwksCluster` set, the keys come from there instead. */
  keys: Jwk[] = unset<Jwk[]>();
  jwksCluster: string = "";
  jwksPath: string = "";
  jwksAuthority: string = "";
  jwksCacheMs: i64 = 0;
  jwksTimeoutMs: u32 = 0;
  /** API keys: the header, and `digestCount` SHA-256 digests of 32 bytes back to back. */
  apiKeyHeader: string = "";
  digests: ArrayBuffer = unset<ArrayBuffer>();
  digestCount: i32 = 0;
  /** SPIFFE IDs (or "*") of the mTLS peers allowed. */
  peers: string[] = unset<string[]>();
  rules: Rule[] = [];
  defaultRule: Rule = unset<Rule>();
}

/** A reference field's value before it is set: null in all but type (see `Settings`). */
// @ts-ignore: decorator
@inline export function unset<T>(): T {
  return changetype<T>(0);
}

/** The members of one JSON object of the configuration, with problems recorded under `at` + name. */
class Fields {
  constructor(
    readonly config: Config,
    /** "" at the top, "jwt.", "rules[2]." … below. */
    readonly at: string,
    readonly object: JsonValue,
    /** The known member names: any other is a typo (null: any name goes). */
    known: string[] | null,
  ) {
    const keys = object.keys;
    for (let i = 0; known !== null && i < keys.length; i++) {
      if (!known.includes(unchecked(keys[i]))) this.fail(unchecked(keys[i]), "is unknown");
    }
  }

  fail(field: string, message: string): void {
    this.config.fail(this.at + field, message);
  }

  /** Member `field` when present (not null) and of `kind`; records "must be `what`" for another kind. */
  get(field: string, kind: JsonKind, what: string): JsonValue | null {
    const value = this.object.get(field);
    if (value === null || value.kind == JsonKind.Null) return null;
    if (value.kind == kind) return value;
    this.fail(field, "must be " + what);
    return null;
  }

  string(field: string, fallback: string): string {
    const value = this.get(field, JsonKind.String, "a string");
    return value === null ? fallback : value.stringValue;
  }

  int(field: string, fallback: i64, min: i64, max: i64): i64 {
    const value = this.get(field, JsonKind.Number, "an integer");
    if (value === null) return fallback;
    if (value.isInteger && value.intValue >= min && value.intValue <= max) return value.intValue;
    this.fail(field, "is out of range");
    return fallback;
  }

  /** A string or an array of strings, as an array (empty when absent). */
  strings(field: string): string[] {
    const out = new Array<string>();
    const value = this.object.get(field);
    if (value === null || value.kind == JsonKind.Null) return out;
    const list = value.kind == JsonKind.Array;
    const n = list ? value.items.length : 1;
    for (let i = 0; i < n; i++) {
      const item = list ? unchecked(value.items[i]) : value;
      if (item.kind == JsonKind.String) out.push(item.stringValue);
      else this.fail(field, "must be strings");
    }
    return out;
  }

  /** Member `field` as an object, or null when absent. */
  fields(field: string, known: string[] | null): Fields | null {
    const value = this.get(field, JsonKind.Object, "an object");
    return value === null ? null : new Fields(this.config, this.at + field + ".", value, known);
  }

  /** A header name, lower-case as HTTP/2 writes them (required when `fallback` is ""). */
  header(field: string, fallback: string): string {
    const name = this.string(field, fallback);
    let ok = name.length > 0;
    for (let i = 0; i < name.length; i++) {
      const c = <u32>name.charCodeAt(i);
      if (!(c - 0x61 < 26 || c - 0x30 < 10 || c == 0x2d || c == 0x2e || c == 0x5f)) ok = false;
    }
    if (!ok) this.fail(field, "must be a lower-case header name");
    return name;
  }
}

/** Reads and checks the plugin configuration. */
export function readSettings(config: Config): Settings {
  const s = new Settings();
  const json = config.json;
  if (json === null) return s; // the SDK recorded why
  const top = new Fields(config, "", json, ["realm", "jwt", "apiKeys", "allowedPeers", "require", "claims", "rules"]);
  const realm = top.string("realm", "weir");
  for (let i = 0; i < realm.length; i++) {
    const c = realm.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c == 0x22 || c == 0x5c) top.fail("realm", "must be plain ASCII");
  }
  s.realm = 'realm="' + realm + '"';
  const jwt = top.fields("jwt", [
    "header",
    "cookie",
    "issuer",
    "audiences",
    "clockSkewSeconds",
    "jwks",
    "jwksCluster",
    "jwksPath",
    "jwksAuthority",
    "jwksCacheSeconds",
    "jwksTimeoutMs",
    "forwardClaims",
  ]);
  if (jwt !== null) readJwt(jwt, s);
  const apiKeys = top.fields("apiKeys", ["header", "hashes"]);
  if (apiKeys !== null) {
    s.apiKeyHeader = apiKeys.header("header", "x-api-key");
    const hashes = apiKeys.strings("hashes");
    const count = hashes.length;
    const digests = new ArrayBuffer(count * 32);
    for (let i = 0; i < count; i++) {
      if (!readDigest(unchecked(hashes[i]), changetype<usize>(digests) + <usize>i * 32)) apiKeys.fail("hashes", "must hold \"sha256:<64 hex digits>\"");
    }
    if (count == 0) apiKeys.fail("hashes", "is required");
    s.digests = digests;
    s.digestCount = count;
    s.configured |= 1 << Method.ApiKey;
  }
  if (json.get("allowedPeers") !== null) {
    const peers = top.strings("allowedPeers");
    for (let i = 0; i < peers.length; i++) {
      const peer = unchecked(peers[i]);
      if (peer != "*" && !peer.startsWith("spiffe://")) top.fail("allowedPeers", "must hold SPIFFE IDs or \"*\"");
    }
    if (peers.length == 0) top.fail("allowedPeers", "is empty");
    s.peers = peers;
    s.configured |= 1 << Method.Peer;
  }
  if (s.configured == 0) top.fail("jwt", "(or apiKeys, allowedPeers) is required");

  s.defaultRule = readRule(top, s.configured);
  const rules = top.get("rules", JsonKind.Array, "an array");
  if (rules !== null) {
    const items = rules.items;
    const earlier = s.rules;
    for (let i = 0; i < items.length; i++) {
      const at = "rules[" + i.toString() + "].";
      // Not an object: no members, so "prefix must start with /" reports it.
      const rule = readRule(new Fields(config, at, unchecked(items[i]), ["prefix", "require", "claims"]), s.configured);
      // The first match wins: a rule after a prefix of its own prefix is never used.
      for (let j = 0; j < earlier.length; j++) if (rule.prefix.startsWith(unchecked(earlier[j]).prefix)) config.fail(at + "prefix", "is shadowed by an earlier rule");
      earlier.push(rule);
    }
  }
  return s;
}

function readJwt(jwt: Fields, s: Settings): void {
  const header = jwt.header("header", "authorization");
  s.header = header;
  s.prefix = header == "authorization" ? "Bearer " : "";
  s.cookie = jwt.string("cookie", "");
  s.issuers = jwt.strings("issuer");
  s.audiences = jwt.strings("audiences");
  s.skewSeconds = <f64>jwt.int("clockSkewSeconds", 60, 0, 3600);
  const inline = jwt.get("jwks", JsonKind.Object, "a JWK Set");
  const cluster = jwt.string("jwksCluster", "");
  if ((inline === null) == (cluster == "")) jwt.fail("jwks", "or jwksCluster: exactly one");
  if (inline !== null) {
    const keys = readJwks(inline, changetype<usize>(jwt.config.bytes));
    if (unusableKeys > 0 || keys.length == 0) jwt.fail("jwks", "must hold usable signing keys (README.md)");
    s.keys = keys;
  }
  s.jwksCluster = cluster;
  s.jwksPath = jwt.string("jwksPath", "/.well-known/jwks.json");
  if (!s.jwksPath.startsWith("/")) jwt.fail("jwksPath", "must start with /");
  s.jwksAuthority = jwt.string("jwksAuthority", cluster);
  s.jwksCacheMs = jwt.int("jwksCacheSeconds", 300, 1, 604800) * 1000;
  s.jwksTimeoutMs = <u32>jwt.int("jwksTimeoutMs", 2000, 1, 60000);
  const forward = jwt.fields("forwardClaims", null);
  if (forward !== null) {
    const claims = forward.object.keys;
    for (let i = 0; i < claims.length; i++) {
      const claim = unchecked(claims[i]);
      s.forward.push(new Claim(claim, [], forward.header(claim, "")));
    }
  }
  s.configured |= 1 << Method.Jwt;
}

/** Parses `sha256:<64 hex digits>` into the 32 bytes at `out`. */
function readDigest(text: string, out: usize): bool {
  if (text.length != 71 || !text.startsWith("sha256:")) return false;
  for (let i = 0; i < 64; i++) {
    let c = <u32>text.charCodeAt(7 + i);
    c = c - 0x30 < 10 ? c - 0x30 : (c | 0x20) - 0x61 < 6 ? (c | 0x20) - 0x57 : 16;
    if (c > 15) return false;
    const at = out + <usize>(i >> 1);
    store<u8>(at, (i & 1) == 0 ? <u8>(c << 4) : load<u8>(at) | <u8>c);
  }
  return true;
}

/** A rule: `rules[i]`, or the top level, whose `require` defaults to every configured method (`configured`: a mask). */
function readRule(fields: Fields, configured: u32): Rule {
  const rule = new Rule();
  const object = fields.object;
  const top = fields.at == "";
  if (!top) {
    rule.prefix = fields.string("prefix", "");
    if (!rule.prefix.startsWith("/")) fields.fail("prefix", "must start with /");
  }
  const required = object.get("require");
  const names = required === null ? ["jwt", "apiKey", "peer"] : required.stringValue == "none" ? [] : fields.strings("require");
  if (required === null && !top) fields.fail("require", "is required");
  if (required !== null && required.kind == JsonKind.Array && names.length == 0) fields.fail("require", "is empty");
  let order: u32 = 0;
  let mask: u32 = 0;
  for (let i = 0, shift = 0; i < names.length; i++) {
    const name = unchecked(names[i]);
    const method = name == "jwt" ? 0 : name == "apiKey" ? 1 : name == "peer" ? 2 : 3;
    const bit: u32 = 1 << method;
    if ((configured & bit) == 0) {
      // By default, the configured methods; named, they must be configured.
      if (required !== null) fields.fail("require", "must be \"none\" or configured methods");
    } else if ((mask & bit) == 0) {
      order |= <u32>(method + 1) << shift;
      shift += 8;
      mask |= bit;
    }
  }
  rule.order = order;
  rule.mask = mask;
  const claims = fields.fields("claims", null);
  if (claims !== null) {
    if (mask != 1 << Method.Jwt) fields.fail("claims", "needs \"require\": [\"jwt\"] alone");
    const names = claims.object.keys;
    for (let i = 0; i < names.length; i++) {
      const values = claims.strings(unchecked(names[i]));
      if (values.length == 0) claims.fail(unchecked(names[i]), "is empty");
      rule.claims.push(new Claim(unchecked(names[i]), values, ""));
    }
  }
  return rule;
}
