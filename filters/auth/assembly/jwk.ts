// Signing keys as JWKs (RFC 7517) and the JWS algorithms they may verify (RFC 7518). A key
// verifies only algorithms of its own type — an `oct` secret HS* (if at least as long as the
// hash, RFC 7518 §3.2), an RSA key RS*/PS*, an EC key the ES* of its curve — so a token cannot
// pick a verification the key was not meant for (the RS256 → HS256 confusion); a key with
// `alg` verifies that algorithm only. Keys reach the host in the form its crypto takes: the
// raw secret for HS*, the JWK's own JSON text otherwise.

import { JsonKind, JsonValue } from "../../../sdk/assembly";
import { decodeBase64Url } from "./base64url";
import { unset } from "./settings";

/** The JWS algorithms the host verifies, five characters each; an algorithm is its index here. */
const ALGORITHMS = "HS256HS384HS512RS256RS384RS512PS256PS384PS512ES256ES384ES512";

/** The first ES* index: ES256, ES384, ES512 are 9, 10, 11. */
export const ES256 = 9;

/** The index of algorithm `name` (case-sensitive, as JWS names are), or -1 — for `none` too. */
export function findAlgorithm(name: string): i32 {
  const at = name.length == 5 ? ALGORITHMS.indexOf(name) : -1;
  return at % 5 == 0 ? at / 5 : -1;
}

/** The name of algorithm `alg`. */
export function algorithmName(alg: i32): string {
  return ALGORITHMS.substring(alg * 5, alg * 5 + 5);
}

/** One verification key. */
export class Jwk {
  /** `kid`, or null. */
  kid: string | null = null;
  /** Bit `alg` set for each algorithm this key may verify. */
  algorithms: u32 = 0;
  /** What the host gets as `key`: the secret for `oct`, the JWK (UTF-8 JSON) otherwise. */
  material: ArrayBuffer = unset<ArrayBuffer>();
}

/** How many keys the last `readJwks` left out as unusable (or 1 for a document that is not a JWK Set). */
export let unusableKeys = 0;

/**
 * Reads the signing keys of a JWK Set (`{"keys": [...]}`) parsed from the UTF-8 text at
 * `source`, counting in `unusableKeys` those it cannot use: `oct` with a `k` shorter than 32
 * bytes, other types than `oct`, `RSA` and `EC` on P-256, P-384 or P-521, an `alg` that does
 * not fit the key. Keys for other uses (`use` other than `sig`) are skipped silently.
 */
export function readJwks(set: JsonValue, source: usize): Jwk[] {
  const out = new Array<Jwk>();
  const keys = set.get("keys");
  unusableKeys = keys === null || keys.kind != JsonKind.Array ? 1 : 0;
  if (keys !== null) {
    const items = keys.items; // empty unless an array
    for (let i = 0; i < items.length; i++) if (!readJwk(unchecked(items[i]), source, out)) unusableKeys++;
  }
  return out;
}

/** String member `name` of `key`, or "" when absent or not a string. */
function text(key: JsonValue, name: string): string {
  const value = key.get(name);
  return value === null ? "" : value.stringValue;
}

/**
 * Reads one JWK into `keys`; false when it is unusable. An RSA or EC key goes to the host as
 * the JWK's own text: the host's crypto checks its members (and fails the signature checks of
 * a key it cannot use, logging why).
 */
function readJwk(value: JsonValue, source: usize, keys: Jwk[]): bool {
  const use = text(value, "use");
  if (use != "" && use != "sig") return true;
  const kty = text(value, "kty");
  const crv = text(value, "crv");
  const key = new Jwk();
  if (value.get("kid") !== null) key.kid = text(value, "kid");
  let algorithms: u32 = 0;
  if (kty == "oct") {
    const secret = decodeBase64Url(text(value, "k"));
    const size = secret === null ? 0 : secret.byteLength;
    algorithms = size < 32 ? 0 : size < 48 ? 0b1 : size < 64 ? 0b11 : 0b111;
    key.material = size < 32 ? key.material : secret!;
  } else {
    if (kty == "RSA") algorithms = 0b111111000;
    else if (kty == "EC") algorithms = crv == "P-256" ? 1 << ES256 : crv == "P-384" ? 2 << ES256 : crv == "P-521" ? 4 << ES256 : 0;
    const size = value.end - value.start;
    const material = new ArrayBuffer(size);
    memory.copy(changetype<usize>(material), source + <usize>value.start, <usize>size);
    key.material = material;
  }
  const alg = text(value, "alg");
  if (alg != "") algorithms &= findAlgorithm(alg) < 0 ? 0 : 1 << findAlgorithm(alg);
  key.algorithms = algorithms;
  if (algorithms != 0) keys.push(key);
  return algorithms != 0;
}
