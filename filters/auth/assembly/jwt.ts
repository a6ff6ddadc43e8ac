// JSON Web Tokens (RFC 7519) in JWS compact form (RFC 7515): finding the token in a request,
// reading its header, choosing the key, having the host check the signature, then checking
// the registered claims — `exp` and `nbf` with clock skew, `iss`, `aud`. The reasons given
// for a rejection are fixed phrases (they end up in `WWW-Authenticate`), never token data.

import { HeaderMap, JsonKind, JsonValue, parseJson } from "../../../sdk/assembly";
import { decodeBase64Url } from "./base64url";
import { algorithmName, ES256, findAlgorithm, Jwk } from "./jwk";
import { Settings } from "./settings";
import { Check, verify } from "./verify";

/** Tokens longer than this are refused unread. */
const MAX_TOKEN_LENGTH = 16384;

export const MALFORMED = "malformed token";

/**
 * The token the request carries: from `settings.header` after `settings.prefix` (compared
 * case-insensitively), else from cookie `settings.cookie` (in the first `cookie` header). Null
 * when there is none — an `Authorization` header of another scheme is someone else's
 * credential, not a bad token.
 */
export function findToken(headers: HeaderMap, settings: Settings): string | null {
  const value = headers.get(settings.header);
  const prefix = settings.prefix;
  const n = prefix.length;
  if (value !== null && value.length >= n) {
    let i = 0;
    while (i < n && (value.charCodeAt(i) | 0x20) == (prefix.charCodeAt(i) | 0x20)) i++;
    if (i == n) return trimmed(value, n, value.length);
  }
  const name = settings.cookie;
  const cookies: string | null = name == "" ? null : headers.get("cookie");
  if (cookies === null) return null;
  // `a=1; b=2`: find `name=` at the start or after "; ".
  const key = name + "=";
  let at = cookies.indexOf(key);
  while (at > 0 && cookies.charCodeAt(at - 1) != 0x20 && cookies.charCodeAt(at - 1) != 0x3b) at = cookies.indexOf(key, at + 1);
  if (at < 0) return null;
  let end = cookies.indexOf(";", at);
  if (end < 0) end = cookies.length;
  return trimmed(cookies, at + key.length, end);
}

/** `text[start, end)` without the spaces around it. */
function trimmed(text: string, start: i32, end: i32): string {
  while (start < end && text.charCodeAt(start) == 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) == 0x20) end--;
  return text.substring(start, end);
}

// The token `parseToken` read last (a request is checked start to end before the next).
/** Its algorithm (an index of `findAlgorithm`). */
let alg = -1;
/** Its `kid`, or null. */
let kid: string | null = null;
/** The indexes of its first and second dots. */
let dot1 = 0;
let dot2 = 0;

/** Splits `text` and reads its JOSE header; returns what is wrong with it, or "". */
export function parseToken(text: string): string {
  dot1 = text.indexOf(".");
  dot2 = text.indexOf(".", dot1 + 1);
  if (text.length > MAX_TOKEN_LENGTH || dot1 <= 0 || dot2 <= dot1 + 1 || text.indexOf(".", dot2 + 1) >= 0) return MALFORMED;
  const header = decodeJson(text, 0, dot1);
  if (header === null) return MALFORMED;
  const name = header.get("alg");
  const id = header.get("kid");
  if (name === null || (id !== null && id.kind != JsonKind.String)) return MALFORMED;
  // `none` and anything else unknown end here (a non-string alg reads as ""), and so does a
  // token naming extensions we do not implement (`crit`, RFC 7515 §4.1.11).
  alg = findAlgorithm(name.stringValue);
  kid = id === null ? null : id.stringValue;
  return alg < 0 || header.get("crit") !== null ? "unsupported alg or crit" : "";
}

/** base64url-decodes `text[start, end)` and parses it as a JSON object; null otherwise. */
function decodeJson(text: string, start: i32, end: i32): JsonValue | null {
  const bytes = decodeBase64Url(text, start, end);
  if (bytes === null) return null;
  const value = parseJson(String.UTF8.decode(bytes)).value;
  return value === null || value.kind != JsonKind.Object ? null : value;
}

/** The key for the token `parseToken` read among `keys`: the one with its `kid`, or else the only one that fits. */
export function selectKey(keys: Jwk[]): Jwk | null {
  let found: Jwk | null = null;
  let candidates = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = unchecked(keys[i]);
    if (((key.algorithms >> alg) & 1) == 0) continue;
    if (kid === null) {
      found = key;
      candidates++;
    } else if (key.kid !== null && key.kid == kid) return key;
  }
  return candidates == 1 ? found : null;
}

/** Why the last `checkToken` refused its token (`CRYPTO_UNAVAILABLE`: the host could not check at all). */
export let tokenError = "";

/**
 * Verifies the signature of `text` (the token `parseToken` read) with `key`, then its
 * registered claims at `now` (seconds since the epoch). Returns the verified payload, or null
 * with the reason in `tokenError`.
 */
export function checkToken(text: string, key: Jwk, settings: Settings, now: f64): JsonValue | null {
  const payload = decodeJson(text, dot1 + 1, dot2);
  tokenError = MALFORMED;
  if (payload === null) return null;
  tokenError = "invalid signature";
  // ES*: r‖s of a fixed size (RFC 7518 §3.4), as unpadded base64url.
  const n = text.length;
  const size = alg == ES256 ? 86 : alg == ES256 + 1 ? 128 : alg == ES256 + 2 ? 176 : n - dot2 - 1; // 64, 96, 132 bytes
  if (decodeBase64Url(text, dot2 + 1, n) === null || n - dot2 - 1 != size) return null;
  const check = verify(algorithmName(alg), key.material, text, dot2);
  if (check == Check.Unavailable) tokenError = CRYPTO_UNAVAILABLE;
  if (check != Check.Valid) return null;
  tokenError = checkClaims(payload, settings, now);
  return tokenError == "" ? payload : null;
}

export const CRYPTO_UNAVAILABLE = "crypto unavailable";

/** `exp`, `nbf`, `iss` and `aud` (RFC 7519 §4.1); "" when they pass. */
function checkClaims(payload: JsonValue, settings: Settings, now: f64): string {
  const skew = settings.skewSeconds;
  // NumericDates (a non-number reads as 0: an `exp` long past, an `nbf` that holds no one back).
  const exp = payload.get("exp");
  const nbf = payload.get("nbf");
  // A token without `exp` would never expire: refused.
  if (exp === null) return "exp missing";
  if (now - skew >= exp.numberValue) return "token expired";
  if (nbf !== null && now + skew < nbf.numberValue) return "token not yet valid";
  const iss = payload.get("iss");
  if (settings.issuers.length > 0 && (iss === null || !settings.issuers.includes(iss.stringValue))) return "wrong issuer";
  const audiences = settings.audiences;
  if (audiences.length == 0) return "";
  // `aud` is one string or an array of them (RFC 7519 §4.1.3); one accepted is enough.
  const aud = payload.get("aud");
  if (aud !== null) {
    if (aud.kind == JsonKind.String && audiences.includes(aud.stringValue)) return "";
    for (let i = 0; i < aud.items.length; i++) if (audiences.includes(unchecked(aud.items[i]).stringValue)) return "";
  }
  return "wrong audience";
}
