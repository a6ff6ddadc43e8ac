/**
 * Host crypto for `weir.verify_signature` on Bun: Bun 1's `node:crypto` provides the whole
 * surface the Node adapter uses (createHmac, timingSafeEqual, createPublicKey from PEM and JWK,
 * verify with `dsaEncoding: "ieee-p1363"`), synchronously, so this re-exports it. Checked by
 * test/runtimes/smoke.ts (HS256 and ES256 with JWK and PEM keys, good and bad signatures).
 */

export { nodeCrypto as bunCrypto } from "../node/crypto.ts";
