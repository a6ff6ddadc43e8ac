/**
 * Host crypto for `weir.verify_signature` on Deno: Deno 2's `node:crypto` provides the whole
 * surface the Node adapter uses (createHmac, timingSafeEqual, createPublicKey from PEM and JWK,
 * verify with `dsaEncoding: "ieee-p1363"`), synchronously, so this re-exports it. Checked by
 * test/runtimes/smoke.ts (HS256 and ES256 with JWK and PEM keys, good and bad signatures).
 *
 * One difference: for a key that does not parse, Deno throws a `TypeError` ("invalid PEM
 * public key") where Node and Bun throw a plain OpenSSL `Error`, so `weir.verify_signature`
 * answers BAD_ARGUMENT on Deno and INTERNAL_FAILURE on Node and Bun for the same bad key.
 */

export { nodeCrypto as denoCrypto } from "../node/crypto.ts";
