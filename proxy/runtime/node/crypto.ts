/**
 * Host crypto for `weir.verify_signature`, on `node:crypto` — synchronous, which WebCrypto is
 * not, so a filter can verify a JWT inside `on_request_headers`. Deno and Bun implement the
 * same `node:crypto` surface, so their adapters reuse this file.
 */

import { createHmac, createPublicKey, type KeyObject, timingSafeEqual, verify as verifySignature } from "node:crypto";
import type { HostCrypto } from "../../abi/types.ts";

const HASHES: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };

/** Parsed keys by their text: a JWKS key is verified with again and again (bounded, oldest out first). */
const KEY_CACHE_SIZE = 256;
const keyCache = new Map<string, KeyObject>();

/** Parses a JWK (JSON) or PEM public key; an unusable key is a `TypeError` (BAD_ARGUMENT to the filter). */
function publicKey(key: Uint8Array): KeyObject {
  const text = new TextDecoder().decode(key).trim();
  const cached = keyCache.get(text);
  if (cached !== undefined) return cached;
  let parsed: KeyObject;
  try {
    parsed = text.startsWith("{") ? createPublicKey({ key: JSON.parse(text), format: "jwk" }) : createPublicKey(text);
  } catch (err) {
    throw new TypeError(`unusable public key: ${(err as Error).message}`, { cause: err });
  }
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(text, parsed);
  return parsed;
}

/** Verifies JWS algorithms HS*, RS*, PS*, ES* (raw r||s signatures, as JWS uses) and EdDSA. */
export const nodeCrypto: HostCrypto = {
  verify(alg, key, data, signature) {
    const family = alg.slice(0, 2);
    const hash = HASHES[alg.slice(2)];
    if (alg === "EdDSA") return verifySignature(null, data, publicKey(key), signature);
    if (hash === undefined) throw new TypeError(`unsupported algorithm "${alg}"`);
    if (family === "HS") {
      const mac = createHmac(hash, key).update(data).digest();
      return mac.byteLength === signature.byteLength && timingSafeEqual(mac, signature);
    }
    if (family === "RS") return verifySignature(hash, data, publicKey(key), signature);
    if (family === "PS")
      return verifySignature(hash, data, { key: publicKey(key), padding: 6, saltLength: Number(alg.slice(2)) / 8 }, signature);
    if (family === "ES") return verifySignature(hash, data, { key: publicKey(key), dsaEncoding: "ieee-p1363" }, signature);
    throw new TypeError(`unsupported algorithm "${alg}"`);
  },
};
