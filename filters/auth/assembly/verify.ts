// Signature checks through weir's `weir.verify_signature` foreign function
// (proxy/abi/EXTENSIONS.md), called with raw bytes.
//
// Why not the SDK's `verifySignature(alg, key, data, signature)`: it takes the key and the
// signature as strings, so an HMAC secret (a JWK's `k`, decoded: arbitrary bytes) cannot be
// passed, and it fails the filter when the host answers INTERNAL_FAILURE (node:crypto throwing
// on a key it cannot use). Here the secret goes out as bytes, and every status is a value: a
// bad key or a signature that is not base64url costs one request a 401, never the filter.

import { Status } from "../../../sdk/assembly";
// Not in the SDK's public API: the foreign-function call that returns the status instead of throwing.
import { callForeignFunctionRaw } from "../../../sdk/assembly/abi/foreign-function";

/** What the host said about a signature. */
export enum Check {
  Valid,
  Invalid,
  /** The host could not use the input (unusable key, unsupported algorithm); it logged why. */
  Unusable,
  /** The host has no `weir.verify_signature` (not weir, no crypto, or not among the filter's capabilities). */
  Unavailable,
}

/**
 * Verifies the signature of the JWS compact `token` (ASCII; the signing input ends at `dot2`)
 * with `key` — a secret or a JWK — and JWS algorithm `alg`.
 */
export function verify(alg: string, key: ArrayBuffer, token: string, dot2: i32): Check {
  const n = token.length;
  const text = new ArrayBuffer(n);
  String.UTF8.encodeUnsafe(changetype<usize>(token), n, changetype<usize>(text));
  const ptr = changetype<usize>(text);
  const keySize = key.byteLength;
  // 4 pairs: the count and 4 × 2 sizes (36 bytes); the names "alg", "key", "data", "signature"
  // (19 bytes); the values: alg, key, the data and the signature (the token but its 2nd dot);
  // a NUL after each name and value (8 bytes).
  const args = new ArrayBuffer(36 + 19 + alg.length + keySize + n - 1 + 8);
  const base = changetype<usize>(args);
  store<u32>(base, 4);
  let at = pair(base, 0, base + 36, "alg", changetype<usize>(String.UTF8.encode(alg)), 5);
  at = pair(base, 1, at, "key", changetype<usize>(key), keySize);
  at = pair(base, 2, at, "data", ptr, dot2);
  pair(base, 3, at, "signature", ptr + <usize>dot2 + 1, n - dot2 - 1);
  const outcome = callForeignFunctionRaw("weir.verify_signature", base, <usize>args.byteLength);
  if (outcome.status == Status.NotFound) return Check.Unavailable;
  const result = outcome.result;
  if (outcome.status != Status.Ok || result === null || result.byteLength != 1) return Check.Unusable;
  return load<u8>(changetype<usize>(result)) == 1 ? Check.Valid : Check.Invalid;
}

/**
 * Writes pair `i` of the ABI's pairs format (sdk/assembly/pairs.ts) at `at` — ASCII `name`,
 * `size` bytes at `value` — and its sizes into the header at `base`; returns where the next goes.
 * The buffer is zeroed, so the NUL terminators are already there.
 */
function pair(base: usize, i: i32, at: usize, name: string, value: usize, size: i32): usize {
  store<u32>(base + 4 + <usize>i * 8, <u32>name.length);
  store<u32>(base + 8 + <usize>i * 8, <u32>size);
  for (let j = 0; j < name.length; j++) store<u8>(at + <usize>j, <u8>name.charCodeAt(j));
  at += <usize>name.length + 1;
  memory.copy(at, value, <usize>size);
  return at + <usize>size + 1;
}
