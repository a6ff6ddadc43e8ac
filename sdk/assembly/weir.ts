// weir's extensions, reached through the ABI's own extension points exactly as
// proxy/abi/EXTENSIONS.md specifies: the `weir.upstream_cluster`, `weir.attempt` and
// `weir.peer_identity` properties and the `weir.retry` and `weir.verify_signature` foreign
// functions. On other proxy-wasm hosts they answer NOT_FOUND, which these helpers turn into
// "not available" values, so a filter that uses them stays portable.

import { Status } from "./abi/enums";
import { callFailed, quote } from "./abi/failure";
import { callForeignFunctionRaw } from "./abi/foreign-function";
import { getPropertyInt, getPropertyString, setPropertyString } from "./abi/property";
import { encodePairs, HeaderPair } from "./pairs";

/**
 * Routes the current request to cluster `name` instead of the route's choice (the proxy
 * checks the name; an unknown one ends in a 503 `NR`). Call it before the request headers
 * leave the filter: in `onRequestHeaders`, or while paused there. False on hosts without
 * the extension.
 */
export function setUpstreamCluster(name: string): bool {
  if (name.length == 0) throw new Error("setUpstreamCluster: the cluster name is empty");
  return setPropertyString("weir.upstream_cluster", name);
}

/** The cluster the current request goes to, when the filter (or weir) chose one. */
export function upstreamCluster(): string | null {
  return getPropertyString("weir.upstream_cluster");
}

/** The upstream attempt the current stream is on (1 for the first try), or 0 on other hosts. In a stream's callbacks. */
export function upstreamAttempt(): i64 {
  return getPropertyInt("weir.attempt", 0);
}

/**
 * The verified identity of the downstream peer (its SPIFFE ID from the mTLS certificate,
 * e.g. `spiffe://cluster.local/ns/default/sa/web`), or null without a verified certificate.
 * In a stream's callbacks.
 */
export function peerIdentity(): string | null {
  return getPropertyString("weir.peer_identity");
}

/**
 * Asks for another upstream attempt instead of passing the current response on; call it
 * from `onResponseHeaders`. `delayMs` < 0 uses the host's jittered backoff. True when
 * accepted; false when refused (no retry machinery, attempts or budget exhausted) or on
 * hosts without the extension.
 */
export function requestRetry(delayMs: i32 = -1): bool {
  const args = memory.data(4, 4);
  if (delayMs >= 0) store<u32>(args, <u32>delayMs);
  const outcome = callForeignFunctionRaw("weir.retry", args, delayMs >= 0 ? 4 : 0);
  if (outcome.status == Status.NotFound) return false;
  const result = outcome.result;
  if (outcome.status != Status.Ok || result === null || result.byteLength != 1) {
    throw new Error(callFailed("proxy_call_foreign_function", quote("weir.retry") + ", delay " + delayMs.toString(), outcome.status));
  }
  return load<u8>(changetype<usize>(result)) == 1;
}

/** What `verifySignature` found. */
export enum SignatureCheck {
  /** The signature does not match. */
  Invalid = 0,
  /** The signature matches. */
  Valid = 1,
  /** The host could not check it: malformed input, unsupported algorithm or unusable key (logged by the host). */
  BadArgument = 2,
  /** The host has no crypto (or is not weir). */
  Unavailable = 3,
}

/**
 * Verifies `signature` over `data` with the host's native crypto, synchronously — e.g. a
 * JWT in `onRequestHeaders` (`data` = `header.payload`, `signature` = the third part).
 * `alg` is a JWS name (HS256/384/512, RS*, PS*, ES* with raw r‖s, EdDSA); `key` is a JWK
 * (JSON text), a PEM public key, or the shared secret for HS*. `signature` is base64url.
 * Allowed in any callback.
 */
export function verifySignature(alg: string, key: string, data: string, signature: string): SignatureCheck {
  const args = encodePairs([
    new HeaderPair("alg", alg),
    new HeaderPair("key", key),
    new HeaderPair("data", data),
    new HeaderPair("signature", signature),
  ]);
  const outcome = callForeignFunctionRaw("weir.verify_signature", changetype<usize>(args), <usize>args.byteLength);
  if (outcome.status == Status.NotFound) return SignatureCheck.Unavailable;
  if (outcome.status == Status.BadArgument) return SignatureCheck.BadArgument;
  const result = outcome.result;
  if (outcome.status != Status.Ok || result === null || result.byteLength != 1) {
    throw new Error(callFailed("proxy_call_foreign_function", quote("weir.verify_signature") + ", " + quote(alg), outcome.status));
  }
  return load<u8>(changetype<usize>(result)) == 1 ? SignatureCheck.Valid : SignatureCheck.Invalid;
}
